/**
 * Runs a scenario: one platform per strategy, the same virtual population against each at the
 * same time, network phases switched on schedule, then the figures from what users saw and what
 * the platform says it sent.
 */
import { randomBytes } from "node:crypto";
import type { DeliveryAttempt } from "@proto/otp/v1/common";
import { IssuanceServiceClient } from "@proto/otp/v1/issuance";
import { VerificationServiceClient } from "@proto/otp/v1/verification";
import { callUnary, createClient } from "@platform/grpc/client";
import { watchHandsets } from "./handset";
import { startStrategyInstance, type StrategyInstance } from "./instance";
import { simulatorScenarios } from "./network";
import { buildPopulation, secondTenantPopulation, type VirtualUser } from "./population";
import { figures, type GroupFigures } from "./report";
import { timeNotes } from "./scaled-policy";
import type { ScenarioFile, Strategy } from "./scenario-file";
import { runUser, type UserOutcome } from "./virtual-user";

export interface RunOptions {
  /** Wall seconds per scenario second. */
  scale: number;
  /** Multiplies every district's population. */
  sizeFactor: number;
  logWrite?: (line: string) => void;
  progress?: (message: string) => void;
}

export interface ScenarioReport {
  scenario: string;
  description: string;
  scale: number;
  users: number;
  wallSeconds: number;
  timeNotes: Record<string, string[]>;
  strategies: { id: string; label: string }[];
  rows: GroupFigures[];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

async function runStrategy(
  s: ScenarioFile,
  instance: StrategyInstance,
  users: VirtualUser[],
  second: VirtualUser[],
  o: RunOptions,
  runId: string,
): Promise<GroupFigures[]> {
  const { app, platform, strategy } = instance;
  const clientOptions = {
    address: instance.address,
    insecure: true as const,
    token: instance.token,
    defaultDeadlineMs: 10_000,
  };
  const issuance = createClient(IssuanceServiceClient, clientOptions);
  const verification = createClient(VerificationServiceClient, clientOptions);
  const secondOptions = { ...clientOptions, token: instance.secondToken };
  const secondIssuance = createClient(IssuanceServiceClient, secondOptions);
  const secondVerification = createClient(VerificationServiceClient, secondOptions);
  const handsets = await watchHandsets(
    app.simulators,
    platform.bus,
    platform.topics.verifications,
    `scenario-handsets-${runId}`,
  );
  const applyPhase = (index: number): void => {
    const phase = s.phases[index]!;
    const sims = simulatorScenarios(s, strategy, phase, users, o.scale, s.seed + index);
    app.simulators.smsc.setScenario(sims.sms);
    app.simulators.whatsapp.setScenario(sims.whatsapp);
    app.simulators.voice.setScenario(sims.voice);
    app.simulators.openGateway.setScenario(sims.openGateway);
    o.progress?.(`${strategy.id}: phase ${phase.name}`);
  };
  applyPhase(0);
  const timers = s.phases
    .slice(1)
    .map((phase, i) => setTimeout(() => applyPhase(i + 1), phase.atSecond * 1000 * o.scale));
  const t0 = Date.now();
  const ctx = {
    issuance,
    verification,
    handsets,
    behaviour: s.users,
    purpose: s.purpose,
    locale: s.locale,
    scale: o.scale,
    pollMs: 100,
    tapAsksNewCode: strategy.tapAsksNewCode ?? false,
    mobileDataShare: strategy.mobileDataShare ?? 0,
    now: () => Date.now(),
  };
  const secondCtx = { ...ctx, issuance: secondIssuance, verification: secondVerification };
  const arrive = (user: VirtualUser, as: typeof ctx) => async () => {
    await sleep(Math.max(0, t0 + user.arrivalSecond * 1000 * o.scale - Date.now()));
    return runUser(user, as);
  };
  try {
    const [outcomes, secondOutcomes] = await Promise.all([
      Promise.all(users.map((user) => arrive(user, ctx)())),
      Promise.all(second.map((user) => arrive(user, secondCtx)())),
    ]);
    const attempts = new Map<string, DeliveryAttempt[]>();
    const ids = outcomes.flatMap((out) => out.verificationIds);
    const secondIds = secondOutcomes.flatMap((out) => out.verificationIds);
    await mapLimited(secondIds, 16, async (verificationId) => {
      const res = await callUnary(secondIssuance, "getVerification", { verificationId }).catch(
        () => undefined,
      );
      attempts.set(verificationId, res?.verification?.attempts ?? []);
    });
    await mapLimited(ids, 16, async (verificationId) => {
      const res = await callUnary(issuance, "getVerification", { verificationId }).catch(() => undefined);
      attempts.set(verificationId, res?.verification?.attempts ?? []);
    });
    const attemptsOf = (id: string) => attempts.get(id) ?? [];
    return [
      ...groupFigures(s, strategy, outcomes, attemptsOf, o.scale),
      ...secondTenantFigures(s, strategy, secondOutcomes, attemptsOf, o.scale),
    ];
  } finally {
    timers.forEach(clearTimeout);
    await handsets.stop();
    issuance.close();
    verification.close();
    secondIssuance.close();
    secondVerification.close();
  }
}

function groupFigures(
  s: ScenarioFile,
  strategy: Strategy,
  outcomes: UserOutcome[],
  attemptsOf: (id: string) => DeliveryAttempt[],
  scale: number,
): GroupFigures[] {
  const prices = { ...s.prices, ...strategy.prices };
  const of = (group: string, list: UserOutcome[]): GroupFigures =>
    figures(strategy.id, group, list, attemptsOf, prices, scale);
  const affected = new Set(s.districts.filter((d) => d.affected).map((d) => d.name));
  const rows = s.districts.map((d) =>
    of(
      d.name,
      outcomes.filter((x) => x.user.district === d.name),
    ),
  );
  if (affected.size > 0 && affected.size < s.districts.length) {
    rows.push(
      of(
        "affected",
        outcomes.filter((x) => affected.has(x.user.district)),
      ),
    );
    rows.push(
      of(
        "unaffected",
        outcomes.filter((x) => !affected.has(x.user.district)),
      ),
    );
  }
  rows.push(of("all", outcomes));
  return rows;
}

/** The second tenant before the main crowd arrives (its calm figures) and beside it. */
function secondTenantFigures(
  s: ScenarioFile,
  strategy: Strategy,
  outcomes: UserOutcome[],
  attemptsOf: (id: string) => DeliveryAttempt[],
  scale: number,
): GroupFigures[] {
  if (s.secondTenant === undefined) return [];
  const lead = s.secondTenant.leadSeconds;
  const prices = { ...s.prices, ...strategy.prices };
  const of = (group: string, list: UserOutcome[]): GroupFigures =>
    figures(strategy.id, group, list, attemptsOf, prices, scale);
  return [
    of(
      "second tenant, before",
      outcomes.filter((x) => x.user.arrivalSecond < lead),
    ),
    of(
      "second tenant, beside",
      outcomes.filter((x) => x.user.arrivalSecond >= lead),
    ),
  ];
}

export async function runScenario(s: ScenarioFile, o: RunOptions): Promise<ScenarioReport> {
  const runId = randomBytes(4).toString("hex");
  const users = buildPopulation(s, o.sizeFactor);
  const second = secondTenantPopulation(s);
  const started = Date.now();
  const logWrite = o.logWrite ?? ((line: string) => process.stderr.write(`${line}\n`));
  const instances: StrategyInstance[] = [];
  try {
    for (const strategy of s.strategies) {
      instances.push(await startStrategyInstance(s, strategy, o.scale, runId, logWrite));
    }
    o.progress?.(`${users.length} users per strategy, ${s.strategies.length} strategies, scale ${o.scale}`);
    const perStrategy = await Promise.all(
      instances.map((instance) => runStrategy(s, instance, users, second, o, runId)),
    );
    return {
      scenario: s.name,
      description: s.description,
      scale: o.scale,
      users: users.length,
      wallSeconds: Math.round((Date.now() - started) / 1000),
      timeNotes: Object.fromEntries(s.strategies.map((st) => [st.id, timeNotes(s, st, o.scale)])),
      strategies: s.strategies.map(({ id, label }) => ({ id, label })),
      rows: perStrategy.flat(),
    };
  } finally {
    await Promise.allSettled(instances.map((i) => i.stop()));
  }
}
