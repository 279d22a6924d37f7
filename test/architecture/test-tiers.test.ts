/**
 * Where a test lives says what it needs: `src/**` tests run on plain data and the in-process
 * adapters (no broker, no redis-server), a service's `test/` folder runs it on real Kafka and
 * Redis, and `test/` runs several services together. This keeps the first tier fast and lets
 * anyone read a test's cost from its path.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";

const ROOT = path.resolve(__dirname, "../..");
const NEEDS_REAL_BACKENDS =
  /process\.env\.(REDIS_URL|KAFKA_BROKERS)\b|\bcreateRedisStore\b|\bcreateKafkaBus\b|\bstartKafka\b|\bstartRedis\b|support\/store-backends/;

function unitTests(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) unitTests(full, out);
    else if (name.endsWith(".test.ts")) out.push(path.relative(ROOT, full));
  }
  return out;
}

function testsNeedingBackends(files: readonly string[], read: (file: string) => string): string[] {
  return files.filter((file) => NEEDS_REAL_BACKENDS.test(read(file)));
}

describe("test tiers", () => {
  it("no test beside the code (src/) needs a real Kafka or Redis: those live in a test/ folder", () => {
    const sources = [
      ...readdirSync(path.join(ROOT, "services")).map((s) => path.join(ROOT, "services", s, "src")),
      path.join(ROOT, "gateway-smpp", "src"),
    ];
    const files = sources.flatMap((dir) => unitTests(dir));
    assert.ok(files.length > 50, `found only ${files.length} unit tests`);
    assert.deepEqual(
      testsNeedingBackends(files, (f) => readFileSync(path.join(ROOT, f), "utf8")),
      [],
    );
  });

  it("every test file is written with describe and it, not test()", () => {
    const files = ["services", "gateway-smpp", "test"].flatMap((dir) => unitTests(path.join(ROOT, dir)));
    const offenders = files.filter((f) =>
      /import \{[^}]*\btest\b[^}]*\} from "node:test"/.test(readFileSync(path.join(ROOT, f), "utf8")),
    );
    assert.deepEqual(offenders, []);
  });

  it("recognises a test that reads the harness's Redis or starts Kafka", () => {
    const texts: Record<string, string> = {
      "a.test.ts": "const url = process.env.REDIS_URL;",
      "b.test.ts": 'import { createKafkaBus } from "@platform/bus/kafka";',
      "c.test.ts": 'import { createMemoryStore } from "@platform/store/memory";',
    };
    assert.deepEqual(
      testsNeedingBackends(Object.keys(texts), (f) => texts[f]!),
      ["a.test.ts", "b.test.ts"],
    );
  });
});
