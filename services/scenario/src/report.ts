/**
 * The report: per strategy and district (and the affected districts together), from what the
 * virtual users saw and what GetVerification says was sent. Times in scenario seconds.
 */
import { Channel, type DeliveryAttempt } from "@proto/otp/v1/common";
import type { ChannelName } from "./scenario-file";
import type { UserOutcome } from "./virtual-user";

export interface GroupFigures {
  strategy: string;
  group: string;
  users: number;
  verified: number;
  within60s: number;
  within5min: number;
  successRate60s: number;
  successRate5min: number;
  p50Seconds: number | null;
  p95Seconds: number | null;
  /** Verifications whose attempts used more than one channel. */
  verificationsWithFallback: number;
  verifications: number;
  sends: number;
  sendsByChannel: Record<ChannelName, number>;
  sendsPerSuccess: number | null;
  cost: number;
  costPerSuccess: number | null;
  startCalls: number;
  /** StartVerification answered OK (new or reused). */
  accepted: number;
  /** Answers with the active verification: a send the tap did not cause. */
  reused: number;
  /** Impatient taps, and those that did not make the platform send again. */
  taps: number;
  duplicateSendsAvoided: number;
  shed: number;
  limited: number;
  shedWithRetryInfo: number;
  /** Wall ms of StartVerification answers: accepted ones, and shed or limited ones. */
  acceptedP50Ms: number | null;
  acceptedP99Ms: number | null;
  refusedP99Ms: number | null;
  errors: Record<string, number>;
  /** Users whose app tried the silent step, and those the mobile network verified. */
  silentTried: number;
  silentVerified: number;
  /**
   * Of the users whose app tried it, those whose verification routing had planned without silent
   * (down in the district or under an incident): the app got a URL, routing did not wait on it.
   */
  silentLeftOut: number;
  /** Time to verified of the network-verified users (scenario seconds). */
  silentP50Seconds: number | null;
  /** What an SMS would have cost for each network-verified user. */
  smsCostSaved: number;
}

const CHANNEL_NAMES: Partial<Record<Channel, ChannelName>> = {
  [Channel.CHANNEL_WHATSAPP]: "whatsapp",
  [Channel.CHANNEL_SMS]: "sms",
  [Channel.CHANNEL_VOICE]: "voice",
};

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))] ?? null;
}

const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits;

function latency(ms: number[], p: number): number | null {
  const value = percentile(
    ms.sort((a, b) => a - b),
    p,
  );
  return value === null ? null : round(value, 1);
}

/** An attempt costs money once the provider accepted it. */
/** Whether routing's first attempt of the user's first verification was the silent step. */
const silentPlanned = (o: UserOutcome, attemptsOf: (id: string) => DeliveryAttempt[]): boolean =>
  attemptsOf(o.verificationIds[0] ?? "")[0]?.channel === Channel.CHANNEL_SILENT;

const charged = (a: DeliveryAttempt): boolean => a.acceptedAt !== undefined || a.deliveredAt !== undefined;

export function figures(
  strategy: string,
  group: string,
  outcomes: UserOutcome[],
  attemptsOf: (verificationId: string) => DeliveryAttempt[],
  prices: Record<ChannelName, number>,
  scale: number,
): GroupFigures {
  const times = outcomes
    .filter((o) => o.verifiedAt !== undefined)
    .map((o) => ((o.verifiedAt ?? 0) - o.arrivedAt) / 1000 / scale)
    .sort((a, b) => a - b);
  const silentTimes = outcomes
    .filter((o) => o.verifiedBy === "silent" && o.verifiedAt !== undefined)
    .map((o) => ((o.verifiedAt ?? 0) - o.arrivedAt) / 1000 / scale)
    .sort((a, b) => a - b);
  const sendsByChannel: Record<ChannelName, number> = { whatsapp: 0, sms: 0, voice: 0 };
  let cost = 0;
  let verifications = 0;
  let withFallback = 0;
  const errors: Record<string, number> = {};
  for (const o of outcomes) {
    for (const [name, n] of Object.entries(o.errors)) errors[name] = (errors[name] ?? 0) + n;
    for (const id of o.verificationIds) {
      verifications++;
      const attempts = attemptsOf(id);
      if (new Set(attempts.map((a) => a.channel)).size > 1) withFallback++;
      for (const a of attempts.filter(charged)) {
        const channel = CHANNEL_NAMES[a.channel];
        if (channel === undefined) continue;
        sendsByChannel[channel]++;
        cost += prices[channel];
      }
    }
  }
  const sends = sendsByChannel.whatsapp + sendsByChannel.sms + sendsByChannel.voice;
  const verified = times.length;
  const within60s = times.filter((t) => t <= 60).length;
  const within5min = times.filter((t) => t <= 300).length;
  const sum = (pick: (o: UserOutcome) => number): number => outcomes.reduce((n, o) => n + pick(o), 0);
  return {
    strategy,
    group,
    users: outcomes.length,
    verified,
    within60s,
    within5min,
    successRate60s: outcomes.length === 0 ? 0 : round(within60s / outcomes.length, 3),
    successRate5min: outcomes.length === 0 ? 0 : round(within5min / outcomes.length, 3),
    p50Seconds: percentile(times, 50) === null ? null : round(percentile(times, 50) ?? 0, 1),
    p95Seconds: percentile(times, 95) === null ? null : round(percentile(times, 95) ?? 0, 1),
    verificationsWithFallback: withFallback,
    verifications,
    sends,
    sendsByChannel,
    sendsPerSuccess: verified === 0 ? null : round(sends / verified),
    cost: round(cost, 4),
    costPerSuccess: verified === 0 ? null : round(cost / verified, 4),
    startCalls: sum((o) => o.startCalls),
    accepted: sum((o) => o.acceptedMs.length),
    reused: sum((o) => o.reused),
    taps: sum((o) => o.resends),
    duplicateSendsAvoided: sum((o) => o.resends - o.resendsSent),
    silentTried: sum((o) => (o.silentTried ? 1 : 0)),
    silentVerified: silentTimes.length,
    silentLeftOut: outcomes.filter((o) => o.silentTried && !silentPlanned(o, attemptsOf)).length,
    silentP50Seconds:
      percentile(silentTimes, 50) === null ? null : round(percentile(silentTimes, 50) ?? 0, 1),
    smsCostSaved: round(silentTimes.length * prices.sms, 4),
    shed: sum((o) => o.shed),
    limited: sum((o) => o.limited),
    shedWithRetryInfo: sum((o) => o.shedWithRetryInfo),
    acceptedP50Ms: latency(
      outcomes.flatMap((o) => o.acceptedMs),
      50,
    ),
    acceptedP99Ms: latency(
      outcomes.flatMap((o) => o.acceptedMs),
      99,
    ),
    refusedP99Ms: latency(
      outcomes.flatMap((o) => o.refusedMs),
      99,
    ),
    errors,
  };
}

const pct = (n: number): string => `${(n * 100).toFixed(0)}%`;
const num = (n: number | null, digits = 1): string => (n === null ? "-" : n.toFixed(digits));

export function formatTable(rows: GroupFigures[], currency: string): string {
  const header = [
    "strategy",
    "district",
    "users",
    "ok≤60s",
    "ok≤5min",
    "p50 s",
    "p95 s",
    "fallback",
    "sends wa/sms/voice",
    "sends/ok",
    `${currency}/ok`,
  ];
  const cells = rows.map((r) => [
    r.strategy,
    r.group,
    String(r.users),
    pct(r.successRate60s),
    pct(r.successRate5min),
    num(r.p50Seconds),
    num(r.p95Seconds),
    `${r.verificationsWithFallback}/${r.verifications}`,
    `${r.sendsByChannel.whatsapp}/${r.sendsByChannel.sms}/${r.sendsByChannel.voice}`,
    num(r.sendsPerSuccess, 2),
    num(r.costPerSuccess, 4),
  ]);
  return aligned(header, cells);
}

function aligned(header: string[], cells: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? "").length)));
  const line = (c: string[]): string =>
    c
      .map((v, i) => v.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n");
}

/** Silent network verification, for strategies where users' apps tried it. */
export function formatSilentTable(rows: GroupFigures[], currency: string): string {
  const header = [
    "strategy",
    "district",
    "users",
    "silent tried",
    "left out by routing",
    "verified silently",
    "p50 s",
    `SMS ${currency} saved`,
  ];
  const cells = rows
    .filter((r) => r.silentTried > 0)
    .map((r) => [
      r.strategy,
      r.group,
      String(r.users),
      String(r.silentTried),
      String(r.silentLeftOut),
      String(r.silentVerified),
      num(r.silentP50Seconds),
      num(r.smsCostSaved, 4),
    ]);
  return cells.length === 0 ? "" : aligned(header, cells);
}

/** The load side of a run: what StartVerification answered, and how fast. */
export function formatLoadTable(rows: GroupFigures[]): string {
  const header = [
    "strategy",
    "district",
    "starts",
    "accepted",
    "reused",
    "taps",
    "dup avoided",
    "shed",
    "limited",
    "retry-info",
    "accept p50/p99 ms",
    "refusal p99 ms",
    "other errors",
  ];
  const cells = rows.map((r) => {
    const refusals = r.shed + r.limited;
    const other = Object.entries(r.errors)
      .filter(([name]) => !REFUSALS.has(name))
      .map(([name, n]) => `${name}×${n}`)
      .join(" ");
    return [
      r.strategy,
      r.group,
      String(r.startCalls),
      String(r.accepted),
      String(r.reused),
      String(r.taps),
      String(r.duplicateSendsAvoided),
      String(r.shed),
      String(r.limited),
      refusals === 0 ? "-" : pct(r.shedWithRetryInfo / refusals),
      `${num(r.acceptedP50Ms)}/${num(r.acceptedP99Ms)}`,
      num(r.refusedP99Ms),
      other === "" ? "-" : other,
    ];
  });
  return aligned(header, cells);
}

const REFUSALS = new Set(["OTP_OVERLOADED", "OTP_RATE_LIMITED", "UNAVAILABLE"]);
