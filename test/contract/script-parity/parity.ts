/**
 * Runs one sequence of script calls on two stores — the in-process store, whose TypeScript body
 * is the reference, and a real Redis running the Lua body — and compares, after every call, the
 * decoded answer (or the error) and the data left in every key the call named: its type, its
 * contents and whether and roughly when it expires. A case passes only if the two backends
 * agree on all of it; its own assertions (`expect`) say what the answers should be.
 */
import assert from "node:assert/strict";
import { isOtpError } from "@domain/errors";
import { prepareCall } from "@platform/store/script-call";
import type { LocalDb, LocalReply, Script, Store } from "@platform/store/port";

/** One call. `view` maps a time-dependent answer to what both backends must agree on. */
export interface Step<I = unknown, O = unknown> {
  script: Script<I, O>;
  input: I;
  view?: (answer: O) => unknown;
}

export const step = <I, O>(script: Script<I, O>, input: I, view?: (answer: O) => unknown): Step =>
  ({ script, input, view }) as Step;

export interface ParityCase {
  name: string;
  /**
   * The calls, made from one clock reading so both backends get the same inputs. `key` is the
   * store's own (for the few scripts whose input is a full key).
   */
  steps(nowMs: number, key: (suffix: string) => string): Step[];
  /** What the reference answers must be (checked on the in-process run). */
  expect?(answers: unknown[], nowMs: number): void;
}

/** TTLs and times computed from the two servers' clocks differ by the time between the runs. */
const TTL_SLACK_MS = 2_000;

/**
 * Equal, or both the same instant read from the two clocks: a number past 10^11 is a time in
 * ms, past 10^14 one in µs (GCRA state), and those may differ by the slack.
 */
function sameValue(lua: string, ts: string): boolean {
  if (lua === ts) return true;
  const [a, b] = [Number(lua), Number(ts)];
  if (!Number.isFinite(a) || !Number.isFinite(b) || lua.trim() === "" || ts.trim() === "") return false;
  const slack = Math.min(a, b) > 1e14 ? TTL_SLACK_MS * 1_000 : Math.min(a, b) > 1e11 ? TTL_SLACK_MS : 0;
  return Math.abs(a - b) <= slack;
}

function sameContents(lua: unknown, ts: unknown): boolean {
  if (typeof lua === "string" && typeof ts === "string") return sameValue(lua, ts);
  if (Array.isArray(lua) && Array.isArray(ts)) {
    return (
      lua.length === ts.length &&
      lua.every((item, i) => {
        const [fieldA, valueA = ""] = String(item).split(/=(.*)/s);
        const [fieldB, valueB = ""] = String(ts[i]).split(/=(.*)/s);
        return fieldA === fieldB && sameValue(valueA, valueB);
      })
    );
  }
  return lua === ts;
}

type Outcome = { answer: unknown } | { error: string };
type KeyState = { type: string; value: unknown; ttl: "none" | "persistent" | number };

/** A key's type, contents and expiry, the same way on both backends. */
const dumpKey: Script<{ key: string }, [string, LocalReply, number]> = {
  name: "otpTestDumpKey",
  numberOfKeys: 1,
  lua: `
local t = redis.call('TYPE', KEYS[1]).ok
local v = false
if t == 'string' then v = redis.call('GET', KEYS[1])
elseif t == 'hash' then v = redis.call('HGETALL', KEYS[1])
elseif t == 'zset' then v = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES') end
return { t, v, redis.call('PTTL', KEYS[1]) }
`,
  local(db: LocalDb, [key = ""]) {
    if (!db.exists(key)) return ["none", false, db.pttl(key)];
    const read = (): [string, LocalReply] => {
      try {
        return ["string", db.get(key)];
      } catch {
        try {
          return ["hash", Object.entries(db.hgetall(key)).flat()];
        } catch {
          return ["zset", db.zrangebyscore(key, -Infinity, Infinity).flatMap(([m, s]) => [m, String(s)])];
        }
      }
    };
    return [...read(), db.pttl(key)];
  },
  encode: (input) => ({ keys: [input.key], argv: [] }),
  decode: (reply) => reply as unknown as [string, LocalReply, number],
};

function stateOf([type, value, pttl]: [string, LocalReply, number]): KeyState {
  // Hash fields come back in any order; a sorted list of pairs compares as a set.
  const pairs = (list: LocalReply) => {
    const items = Array.isArray(list) ? list.map(String) : [];
    const out: string[] = [];
    for (let i = 0; i < items.length; i += 2) out.push(`${items[i]}=${items[i + 1]}`);
    return out;
  };
  return {
    type,
    value: type === "hash" ? pairs(value).sort() : type === "zset" ? pairs(value) : value,
    ttl: pttl === -2 ? "none" : pttl === -1 ? "persistent" : pttl,
  };
}

async function runOn(store: Store, steps: Step[]): Promise<{ outcomes: Outcome[]; states: KeyState[][] }> {
  const outcomes: Outcome[] = [];
  const states: KeyState[][] = [];
  for (const s of steps) {
    try {
      const answer = await store.run(s.script, s.input);
      outcomes.push({ answer: s.view ? s.view(answer) : answer });
    } catch (err) {
      // Both backends must refuse; how their messages are worded is theirs.
      outcomes.push({ error: isOtpError(err) ? err.code : "thrown" });
    }
    let keys: string[] = [];
    try {
      keys = prepareCall(s.script, s.input, (suffix) => store.key(suffix)).keys;
    } catch {
      // Refused before reaching the store: nothing to compare but the refusal.
    }
    states.push(await Promise.all(keys.map(async (key) => stateOf(await store.run(dumpKey, { key })))));
  }
  return { outcomes, states };
}

/**
 * `a` with each `retryAfterMs` that is within a second of `b`'s replaced by `b`'s. Waits are
 * computed from each server's clock and the two runs are milliseconds apart, so a wait shown in
 * whole seconds can round either side of a half second; anything further apart still differs.
 */
function withWaitsOf(a: unknown, b: unknown): unknown {
  if (Array.isArray(a) && Array.isArray(b)) return a.map((x, i) => withWaitsOf(x, b[i]));
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return a;
  const bRecord = b as Record<string, unknown>;
  return Object.fromEntries(
    Object.entries(a).map(([k, v]) => {
      const other = bRecord[k];
      if (k === "retryAfterMs" && typeof v === "number" && typeof other === "number")
        return [k, Math.abs(v - other) <= 1 ? other : v];
      return [k, withWaitsOf(v, other)];
    }),
  );
}

/** Runs the case on both stores; returns the reference answers. */
export async function assertParity(c: ParityCase, reference: Store, redis: Store): Promise<unknown[]> {
  const nowMs = Date.now();
  const steps = c.steps(nowMs, (suffix) => reference.key(suffix));
  const local = await runOn(reference, steps);
  const lua = await runOn(
    redis,
    c.steps(nowMs, (suffix) => redis.key(suffix)),
  );
  for (let i = 0; i < steps.length; i++) {
    const where = `${c.name}, call ${i + 1} (${steps[i]!.script.name})`;
    assert.deepEqual(
      withWaitsOf(lua.outcomes[i], local.outcomes[i]),
      local.outcomes[i],
      `${where}: Lua and TypeScript answer differently`,
    );
    const [luaKeys, localKeys] = [lua.states[i]!, local.states[i]!];
    for (let k = 0; k < localKeys.length; k++) {
      const [l, r] = [luaKeys[k]!, localKeys[k]!];
      assert.equal(l.type, r.type, `${where}, key ${k + 1}: type`);
      assert.ok(
        sameContents(l.value, r.value),
        `${where}, key ${k + 1}: contents ${JSON.stringify(l.value)} vs ${JSON.stringify(r.value)}`,
      );
      if (typeof l.ttl === "number" && typeof r.ttl === "number") {
        assert.ok(
          Math.abs(l.ttl - r.ttl) <= TTL_SLACK_MS,
          `${where}, key ${k + 1}: TTL ${l.ttl} vs ${r.ttl}`,
        );
      } else {
        assert.equal(l.ttl, r.ttl, `${where}, key ${k + 1}: expiry`);
      }
    }
  }
  const answers = local.outcomes.map((o) => ("answer" in o ? o.answer : o));
  c.expect?.(answers, nowMs);
  return answers;
}
