/**
 * Every store script, Lua against its TypeScript twin (ADR 0005: they cannot disagree): each
 * case runs on the in-process store (the reference) and on the real redis-server `npm test`
 * starts, and must answer and leave the data the same way (parity.ts). A script that no case
 * calls fails the suite, so a new script comes with its cases.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { after, describe, it } from "node:test";
import { createMemoryStore } from "@platform/store/memory";
import type { Store } from "@platform/store/port";
import { createRedisStore } from "@platform/store/redis";
import { channelCases } from "./channel-cases";
import { limitCases } from "./limit-cases";
import { assertParity, type ParityCase } from "./parity";
import { verificationCases } from "./verification-cases";

const redisUrl = process.env.REDIS_URL;
if (!redisUrl) throw new Error("REDIS_URL is not set: run through `npm test` or export it");

const ROOT = path.resolve(__dirname, "../../..");
const CASES: ParityCase[] = [...verificationCases, ...limitCases, ...channelCases];
const run = randomBytes(4).toString("hex");
const opened: Store[] = [];
after(async () => {
  for (const store of opened) {
    await store.clear();
    await store.close();
  }
});

let n = 0;
function stores(): { reference: Store; redis: Store } {
  const prefix = `otp-parity-${run}-${n++}:`;
  const reference = createMemoryStore({ prefix });
  const redis = createRedisStore({ url: redisUrl!, prefix });
  opened.push(reference, redis);
  return { reference, redis };
}

/** Source files (not tests) that declare a store script. */
function scriptModules(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (name === "node_modules" || name === "gen") return [];
    if (statSync(full).isDirectory()) return scriptModules(full);
    if (!name.endsWith(".ts") || name.endsWith(".test.ts")) return [];
    return /: Script<[^;]*> = \{/.test(readFileSync(full, "utf8")) ? [full] : [];
  });
}

describe("store scripts: Lua and TypeScript agree", () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const { reference, redis } = stores();
      await assertParity(c, reference, redis);
    });
  }

  it("every script in the code has a parity case", async () => {
    const declared = new Set<string>();
    const modules = ["services", "gateway-smpp"].flatMap((dir) => scriptModules(path.join(ROOT, dir)));
    for (const file of modules) {
      const exports = (await import(file)) as Record<string, unknown>;
      for (const value of Object.values(exports)) {
        const script = value as { name?: unknown; lua?: unknown; local?: unknown };
        if (typeof script?.lua === "string" && typeof script.local === "function")
          declared.add(String(script.name));
      }
    }
    assert.ok(declared.size >= 15, `found only ${declared.size} scripts: is the scan still right?`);
    const called = new Set(CASES.flatMap((c) => c.steps(Date.now(), (s) => s).map((s) => s.script.name)));
    const missing = [...declared].filter((name) => !called.has(name)).sort();
    assert.deepEqual(missing, [], "scripts without a parity case");
  });
});
