/**
 * The committed TypeScript in proto/gen must be exactly what the protos generate, and the
 * protos must lint clean, so a contract change cannot land without its code.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";

const ROOT = path.resolve(__dirname, "../..");
const BIN = path.join(ROOT, "node_modules/.bin");

function listFiles(dir: string, base = dir): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? listFiles(full, base) : [path.relative(base, full)];
  });
}

describe("protobuf contracts", () => {
  const out = mkdtempSync(path.join(tmpdir(), "otp-gen-"));
  after(() => rmSync(out, { recursive: true, force: true }));

  it("lint clean with buf", () => {
    execFileSync(path.join(BIN, "buf"), ["lint", "proto"], { cwd: ROOT, stdio: "pipe" });
  });

  it("generate exactly the committed proto/gen", () => {
    const template = readFileSync(path.join(ROOT, "proto/buf.gen.yaml"), "utf8").replace(
      "out: proto/gen",
      `out: ${out}`,
    );
    const templatePath = path.join(out, "buf.gen.yaml");
    writeFileSync(templatePath, template);
    execFileSync(path.join(BIN, "buf"), ["generate", "proto", "--template", templatePath], {
      cwd: ROOT,
      stdio: "pipe",
    });
    rmSync(templatePath);
    const generatedRoot = out;
    const prettierArgs = ["--config", path.join(ROOT, ".prettierrc.json"), "--log-level", "warn", "--write"];
    execFileSync(path.join(BIN, "prettier"), [...prettierArgs, generatedRoot], {
      cwd: ROOT,
      stdio: "pipe",
    });
    const committed = listFiles(path.join(ROOT, "proto/gen")).sort();
    const fresh = listFiles(generatedRoot).sort();
    assert.deepEqual(fresh, committed, "generated file list differs: run `npm run gen`");
    for (const file of committed) {
      const a = readFileSync(path.join(ROOT, "proto/gen", file), "utf8");
      const b = readFileSync(path.join(generatedRoot, file), "utf8");
      assert.ok(a === b, `proto/gen/${file} is stale: run \`npm run gen\` and commit`);
    }
  });
});
