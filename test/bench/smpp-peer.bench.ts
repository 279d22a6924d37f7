/**
 * gateway-smpp beside Kannel (`npm run bench -- --only=smpp-peer`): the same N messages, the
 * same window on one transceiver bind, the same SMSC (our strict simulator in its own process,
 * receipts at once), each on its full path:
 *
 * - ours: DispatchRequested on Kafka → gateway-smpp (its own process, Redis ledger) → submit_sm
 *   → deliver_sm receipt → DeliveryReported DELIVERED on Kafka;
 * - Kannel: HTTP sendsms to smsbox with a dlr-url → bearerbox → submit_sm → deliver_sm →
 *   smsbox calls the dlr-url.
 *
 * Per side: messages/s with all N handed over at once; CPU seconds per 1,000 messages of its
 * own processes (gateway-smpp; bearerbox + smsbox), from /proc, between the first hand-over and
 * the last receipt; receipt latency (hand-over → delivery event / DLR callback) at a paced rate
 * in a second run. Our Kafka broker's and Redis's CPU are shown too: Kannel needs neither.
 * Both are warmed up first. Kannel is not installed here: without it the phase says so.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { startGatewayPeer, peerCode, peerText, until } from "./gateway-peer";
import { KANNEL_HOW_TO_INSTALL, kannelBinaries, startKannel } from "./kannel";
import { summarize, type LatencySummary } from "./load";
import { processCpuSeconds } from "./process-stats";
import { startServiceProcess } from "./service-processes";

export interface PeerSettings {
  messages: number;
  window: number;
  warmup: number;
  /** The paced run for receipt latency. */
  latencyRatePerSec: number;
  latencySeconds: number;
}

export interface PeerSide {
  messages: number;
  seconds: number;
  messagesPerSec: number;
  /** CPU of the side's own processes. */
  cpuSeconds: number;
  cpuSecondsPer1000: number;
  /** messages ÷ CPU seconds of its own processes. */
  messagesPerCpuSecond: number;
  /** Kafka broker + redis-server CPU per 1,000 messages over the same run (ours only). */
  infraCpuSecondsPer1000?: number;
  receiptLatency: LatencySummary;
  lost: number;
}

export interface PeerResult {
  settings: PeerSettings;
  /** Why the Kannel side did not run, and how to get it; undefined when it ran. */
  skipped?: string;
  kannelVersion?: string;
  ours: PeerSide;
  kannel?: PeerSide;
  /** ours.messagesPerCpuSecond ÷ kannel.messagesPerCpuSecond (goal ≥ 1.5). */
  cpuEfficiencyRatio?: number;
  /** ours.messagesPerSec ÷ kannel.messagesPerSec. */
  throughputRatio?: number;
  /** Our side's warn/error log lines by message. */
  warnings: Record<string, number>;
}

export interface PeerEnv {
  brokers: string;
  redisUrl: string;
  /** CPU seconds of Kafka + Redis so far, when known. */
  infraCpu: () => Promise<number | undefined>;
  log: (line: string) => void;
  /** Extra environment for our gateway process (e.g. --cpu-prof). */
  gatewayEnv?: Record<string, string>;
}

const SIMULATOR_LINE = /SMPP on ([\d.]+):(\d+), control API on (http:\/\/[\d.]+:\d+)/;
const SMSC = { systemId: "bench", password: "bench123" };
const DRAIN_TIMEOUT_MS = 120_000;

/** One side as the runs see it: hand messages over, learn when each is delivered. */
interface Side {
  pids: number[];
  handOver(messages: number[]): Promise<void>;
  /** How many messages one hand-over takes, and how many hand-overs may be in flight. */
  chunk: number;
  concurrency: number;
}

export async function benchSmppPeer(settings: PeerSettings, env: PeerEnv): Promise<PeerResult> {
  const simulator = startServiceProcess("SMSC simulator", "gateway-smpp/src/simulator/main.ts", {}, [
    ...["--host", "127.0.0.1", "--smpp-port", "0", "--http-port", "0"],
    ...["--system-id", SMSC.systemId, "--password", SMSC.password],
  ]);
  try {
    const [, host, port, control] = await simulator.waitFor(SIMULATOR_LINE);
    await setScenario(control!, { default: { receiptDelayMs: 0 } });
    const smsc = { host: host!, port: Number(port), ...SMSC };
    env.log(`smpp-peer: gateway-smpp, ${settings.messages} messages, window ${settings.window} …`);
    const ours = await runOurs(settings, env, smsc);
    const binaries = kannelBinaries();
    if (binaries === undefined) {
      return { settings, skipped: `Kannel is not installed: ${KANNEL_HOW_TO_INSTALL}`, ...ours };
    }
    env.log(`smpp-peer: Kannel, ${settings.messages} messages, window ${settings.window} …`);
    await clearInbox(control!);
    const kannel = await runKannel(settings, smsc);
    return {
      settings,
      kannelVersion: await kannelVersion(binaries.bearerbox),
      ...ours,
      kannel,
      cpuEfficiencyRatio: ours.ours.messagesPerCpuSecond / kannel.messagesPerCpuSecond,
      throughputRatio: ours.ours.messagesPerSec / kannel.messagesPerSec,
    };
  } finally {
    await simulator.stop("SIGTERM");
  }
}

type Smsc = { host: string; port: number; systemId: string; password: string };

async function runOurs(
  settings: PeerSettings,
  env: PeerEnv,
  smsc: Smsc,
): Promise<{ ours: PeerSide; warnings: Record<string, number> }> {
  const delivered = new Map<number, number>();
  const peer = await startGatewayPeer({
    brokers: env.brokers,
    redisUrl: env.redisUrl,
    smsc,
    window: settings.window,
    extraEnv: env.gatewayEnv,
    onDelivered: (message) => delivered.set(message, performance.now()),
  });
  try {
    const side: Side = {
      pids: peer.pids,
      handOver: (messages) => peer.send(messages, phoneOf, peerCode),
      chunk: 200,
      concurrency: 2,
    };
    // The warm-up also waits for the bind (the gateway logs warnings only, not "bound").
    const measured = await measureSide(side, settings, delivered, env.infraCpu);
    return { ours: measured, warnings: peer.warnings() };
  } finally {
    await peer.stop();
  }
}

async function runKannel(settings: PeerSettings, smsc: Smsc): Promise<PeerSide> {
  const delivered = new Map<number, number>();
  const kannel = await startKannel({
    smsc,
    window: settings.window,
    onDlr: (message, type) => {
      if (type === 1) delivered.set(message, performance.now());
    },
  });
  try {
    const side: Side = {
      pids: kannel.pids,
      handOver: async (messages) => {
        for (const m of messages) await kannel.send(m, `+${phoneOf(m)}`, peerText(peerCode()));
      },
      chunk: 1,
      concurrency: 64,
    };
    return await measureSide(side, settings, delivered, undefined);
  } finally {
    await kannel.stop();
  }
}

/** Warm-up, the throughput run (all N at once), then the paced run for receipt latency. */
async function measureSide(
  side: Side,
  settings: PeerSettings,
  delivered: Map<number, number>,
  infraCpu: (() => Promise<number | undefined>) | undefined,
): Promise<PeerSide> {
  let next = 0;
  const numbers = (n: number): number[] => Array.from({ length: n }, () => next++);
  const allDelivered = (messages: number[]) => () => messages.every((m) => delivered.has(m));

  const warm = numbers(settings.warmup);
  await handOverAll(side, warm, new Map());
  await until(allDelivered(warm), 60_000);

  const run = numbers(settings.messages);
  const sentAt = new Map<number, number>();
  const cpu0 = cpuOf(side.pids);
  const infra0 = await infraCpu?.();
  const t0 = performance.now();
  await handOverAll(side, run, sentAt);
  await until(allDelivered(run), DRAIN_TIMEOUT_MS);
  const last = Math.max(t0, ...run.map((m) => delivered.get(m) ?? 0));
  const cpuSeconds = cpuOf(side.pids) - cpu0;
  const infra1 = await infraCpu?.();
  const done = run.filter((m) => delivered.has(m)).length;
  const seconds = (last - t0) / 1000;

  const paced = await pacedRun(side, settings, delivered, numbers);
  return {
    messages: done,
    seconds,
    messagesPerSec: done / seconds,
    cpuSeconds,
    cpuSecondsPer1000: (cpuSeconds * 1000) / Math.max(1, done),
    messagesPerCpuSecond: done / Math.max(1e-9, cpuSeconds),
    infraCpuSecondsPer1000:
      infra0 === undefined || infra1 === undefined
        ? undefined
        : ((infra1 - infra0) * 1000) / Math.max(1, done),
    receiptLatency: paced,
    lost: run.length - done,
  };
}

/** Hands every message over, `chunk` at a time with `concurrency` hand-overs in flight. */
async function handOverAll(side: Side, messages: number[], sentAt: Map<number, number>): Promise<void> {
  let at = 0;
  const worker = async (): Promise<void> => {
    while (at < messages.length) {
      const batch = messages.slice(at, at + side.chunk);
      at += batch.length;
      const now = performance.now();
      for (const m of batch) sentAt.set(m, now);
      await side.handOver(batch);
    }
  };
  await Promise.all(Array.from({ length: side.concurrency }, worker));
}

/** Messages at a fixed rate (one hand-over per 10 ms tick); latency from hand-over to delivery. */
async function pacedRun(
  side: Side,
  settings: PeerSettings,
  delivered: Map<number, number>,
  numbers: (n: number) => number[],
): Promise<LatencySummary> {
  const total = Math.round(settings.latencyRatePerSec * settings.latencySeconds);
  const sentAt = new Map<number, number>();
  const inFlight: Promise<void>[] = [];
  const t0 = performance.now();
  let handed = 0;
  let errors = 0;
  while (handed < total) {
    const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * settings.latencyRatePerSec));
    if (due > handed) {
      const batch = numbers(due - handed);
      handed = due;
      const now = performance.now();
      for (const m of batch) sentAt.set(m, now);
      inFlight.push(side.handOver(batch).catch(() => void errors++));
    }
    await sleep(10);
  }
  await Promise.all(inFlight);
  const messages = [...sentAt.keys()];
  await until(() => messages.every((m) => delivered.has(m)), DRAIN_TIMEOUT_MS);
  const latencies = messages.filter((m) => delivered.has(m)).map((m) => delivered.get(m)! - sentAt.get(m)!);
  return summarize(latencies, errors + messages.length - latencies.length, settings.latencySeconds);
}

function cpuOf(pids: number[]): number {
  return pids.reduce((sum, pid) => sum + (processCpuSeconds(pid) ?? 0), 0);
}

const phoneOf = (message: number): string => `62812${String(message % 1e7).padStart(7, "0")}`;

async function setScenario(control: string, scenario: unknown): Promise<void> {
  const res = await fetch(`${control}/scenario`, { method: "PUT", body: JSON.stringify(scenario) });
  if (!res.ok) throw new Error(`simulator scenario refused: ${res.status}`);
}

async function clearInbox(control: string): Promise<void> {
  await fetch(`${control}/inbox`, { method: "DELETE" });
}

async function kannelVersion(bearerbox: string): Promise<string | undefined> {
  // bearerbox --version prints its version, then exits non-zero: read the output either way.
  const { spawnSync } = await import("node:child_process");
  const run = spawnSync(bearerbox, ["--version"], { encoding: "utf8" });
  return /version `([^']+)'/.exec(`${run.stdout}${run.stderr}`)?.[1];
}
