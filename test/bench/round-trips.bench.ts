/**
 * Round trips per verification, counted rather than guessed: a few lifecycles one after the
 * other on an idle platform, with Redis MONITOR on and the bus counted. Each Redis command is
 * put in the window it ran in (inside StartVerification, inside CheckCode, or in the background:
 * projector, routing, gateway) and named by its script or its key's kind.
 */
import { createHash } from "node:crypto";
import { createBenchUsers, emptyStages } from "./bench-users";
import { settle } from "./lifecycle.bench";
import type { BusCounts } from "./counting-bus";
import { startMonitor } from "./redis-monitor";
import type { SmsPlatform } from "./sms-platform";

type Window = "start" | "check" | "background";

export interface RoundTripsResult {
  lifecycles: number;
  /** Redis commands per lifecycle, by window, then by script or key kind. */
  redis: Record<Window, { total: number; byName: Record<string, number> }>;
  /** Commands scripts ran inside Redis (no round trip of their own), per lifecycle. */
  commandsInsideScripts: number;
  /** Bus activity per lifecycle. */
  bus: { publishCalls: number; messages: number; consumed: number; byEvent: Record<string, number> };
}

export async function benchRoundTrips(
  h: SmsPlatform,
  redisUrl: string,
  lifecycles: number,
): Promise<RoundTripsResult> {
  const users = createBenchUsers(h);
  await users.lifecycle(emptyStages()); // scripts loaded, connections open
  await settle(h);
  const scripts = knownScripts();
  const prefix = h.platform.store.key("");
  const windows: { from: number; to: number; window: Window }[] = [];
  const seen: { at: number; name: string }[] = [];
  let insideScripts = 0;
  const monitor = await startMonitor(redisUrl, (time, args, source) => {
    // Commands a script runs inside Redis show up too, with source "lua": not round trips.
    if (source === "lua") insideScripts++;
    else seen.push({ at: time, name: commandName(args, scripts, prefix) });
  });
  const wall = () => performance.timeOrigin + performance.now();
  const busBefore = h.busCounts();
  const stages = emptyStages();
  for (let i = 0; i < lifecycles; i++) {
    let from = wall();
    const started = await users.start(stages);
    windows.push({ from, to: wall(), window: "start" });
    const handset = await started.sms;
    await settle(h, 5_000);
    from = wall();
    await users.check(started.id, handset.code, stages);
    windows.push({ from, to: wall(), window: "check" });
    await settle(h, 5_000);
  }
  await settle(h);
  monitor.close();
  users.close();
  const ours = seen.filter((s) => s.name !== "");
  return {
    lifecycles,
    redis: perLifecycle(ours, windows, lifecycles),
    commandsInsideScripts: insideScripts / lifecycles,
    bus: busPerLifecycle(busBefore, h.busCounts(), lifecycles),
  };
}

function perLifecycle(
  seen: { at: number; name: string }[],
  windows: { from: number; to: number; window: Window }[],
  n: number,
): RoundTripsResult["redis"] {
  const out: RoundTripsResult["redis"] = {
    start: { total: 0, byName: {} },
    check: { total: 0, byName: {} },
    background: { total: 0, byName: {} },
  };
  for (const s of seen) {
    // MONITOR stamps a command when Redis runs it: inside the call's window, or not.
    const w = windows.find((x) => s.at >= x.from - 0.5 && s.at <= x.to + 0.5)?.window ?? "background";
    out[w].total += 1 / n;
    out[w].byName[s.name] = (out[w].byName[s.name] ?? 0) + 1 / n;
  }
  return out;
}

function busPerLifecycle(before: BusCounts, after: BusCounts, n: number): RoundTripsResult["bus"] {
  const byEvent: Record<string, number> = {};
  for (const [name, count] of Object.entries(after.byEvent)) {
    const d = count - (before.byEvent[name] ?? 0);
    if (d > 0) byEvent[name] = d / n;
  }
  return {
    publishCalls: (after.publishCalls - before.publishCalls) / n,
    messages: (after.messages - before.messages) / n,
    consumed: (after.consumed - before.consumed) / n,
    byEvent,
  };
}

/** "script projectVerification", "GET once:vact", or "" for commands outside the store's prefix. */
export function commandName(args: string[], scripts: Map<string, string>, prefix: string): string {
  const command = (args[0] ?? "").toLowerCase();
  if (command === "evalsha" || command === "eval") {
    const key = args[3] ?? "";
    if (!key.startsWith(prefix)) return "";
    const sha = command === "eval" ? sha1(args[1] ?? "") : (args[1] ?? "");
    return `script ${scripts.get(sha) ?? sha.slice(0, 8)}`;
  }
  const key = args[1] ?? "";
  if (!key.startsWith(prefix)) return "";
  return `${command.toUpperCase()} ${keyKind(key.slice(prefix.length))}`;
}

/** "once:{vact|bench|…}" → "once:vact"; "rl:tenant:bench" → "rl". */
function keyKind(suffix: string): string {
  const [kind, rest = ""] = suffix.split(/:(.*)/s);
  if (kind === "once") return `once:${rest.replace(/^\{/, "").split("|")[0] ?? ""}`;
  return kind ?? suffix;
}

/** Every store script loaded in this process, by the SHA1 Redis knows it by. */
export function knownScripts(): Map<string, string> {
  const out = new Map<string, string>();
  for (const mod of Object.values(require.cache)) {
    for (const value of Object.values((mod?.exports ?? {}) as Record<string, unknown>)) {
      const s = value as { name?: unknown; lua?: unknown; numberOfKeys?: unknown } | null;
      if (s && typeof s === "object" && typeof s.lua === "string" && typeof s.name === "string") {
        out.set(sha1(s.lua), s.name);
      }
    }
  }
  return out;
}

const sha1 = (text: string): string => createHash("sha1").update(text).digest("hex");
