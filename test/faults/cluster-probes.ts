/**
 * What the failover tests set up before a kill and read back after it: the state a failover
 * could take back (a phone's start window at its limit, a verification's failed checks, a code
 * not yet used) and where it lives (the Redis master of a key, the Kafka broker leading the
 * busiest partitions).
 */
import assert from "node:assert/strict";
import Redis from "ioredis";
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { StartVerificationRequest } from "@proto/otp/v1/issuance";
import { CheckCodeRequest, CheckResult, type CheckCodeResponse } from "@proto/otp/v1/verification";
import { callUnary } from "@platform/grpc/client";
import { projectionKey } from "@verification-state/scripts";
import { taggedKey } from "@platform/store/port";
import { keySlot } from "@platform/store/slots";
import type { ClusterStack } from "./cluster-stack";
import { FAULT_TENANT } from "./fault-stack";
import { grpcStatusOf, type ClientError } from "./lifecycle-load";
import { codeOnHandset, eventually, phoneFactory, RETRYABLE } from "./load";

export interface Delivered {
  verificationId: string;
  phone: string;
  code: string;
}

const newPhone = phoneFactory("+62814");

async function start(stack: ClusterStack, phone: string, purpose = "login"): Promise<string> {
  const res = await callUnary(
    stack.issuance,
    "startVerification",
    StartVerificationRequest.fromPartial({
      phone,
      purpose,
      locale: "id",
      districtHint: "ID-JK-JKS",
      idempotencyKey: randomUUID(),
    }),
  );
  return res.verification!.verificationId;
}

/** `count` verifications started and delivered, codes on their handsets, none checked. */
export async function delivered(stack: ClusterStack, count: number): Promise<Delivered[]> {
  const started = await Promise.all(
    Array.from({ length: count }, async () => {
      const phone = newPhone();
      return { phone, verificationId: await start(stack, phone) };
    }),
  );
  await eventually(
    "codes on the handsets",
    () => started.every((s) => codeOnHandset(stack, s.phone)),
    60_000,
  );
  return started.map((s) => ({ ...s, code: codeOnHandset(stack, s.phone)! }));
}

export const wrongCode = (code: string): string =>
  String((Number(code) + 1) % 10 ** code.length).padStart(code.length, "0");

export function check(stack: ClusterStack, verificationId: string, code: string): Promise<CheckCodeResponse> {
  return callUnary(
    stack.verification,
    "checkCode",
    CheckCodeRequest.fromPartial({ target: { $case: "verificationId", value: verificationId }, code }),
    { deadlineMs: 5_000 },
  );
}

/** A check retried on retryable errors until it has an answer (or `giveUpMs` passed). */
export async function checkUntilAnswered(
  stack: ClusterStack,
  verificationId: string,
  code: string,
  errors: ClientError[] = [],
  giveUpMs = 90_000,
): Promise<CheckResult | "gave up"> {
  const giveUpAt = Date.now() + giveUpMs;
  for (;;) {
    try {
      return (await check(stack, verificationId, code)).result;
    } catch (err) {
      const seen = grpcStatusOf(err);
      errors.push({ at: Date.now(), op: "check", ...seen });
      assert.ok(RETRYABLE.has(seen.status), `a check failed with ${seen.status}`);
      if (Date.now() > giveUpAt) return "gave up";
      await sleep(250);
    }
  }
}

/** The store key slot of a verification's hot projection, and of the tenant's limits. */
export const projectionSlot = (stack: ClusterStack, verificationId: string): number =>
  keySlot(stack.platform.store.key(projectionKey(verificationId)));
export const limitsSlot = (stack: ClusterStack): number =>
  keySlot(stack.platform.store.key(taggedKey("limit", FAULT_TENANT, "rate")));

/** Ports of the Redis nodes serving `slot` now: its master, then its replicas. */
export async function shardOf(
  stack: ClusterStack,
  slot: number,
): Promise<{ master: number; replicas: number[] }> {
  const shard = (await stack.redisCluster.shards()).find((s) =>
    s.slots.some(([lo, hi]) => slot >= lo && slot <= hi),
  );
  assert.ok(shard, `no master serves slot ${slot}`);
  return shard;
}

/** The broker leading the partitions of the verifications topic that hold the most events. */
export async function busiestLeader(stack: ClusterStack): Promise<{ broker: number; partitions: number[] }> {
  const topic = stack.platform.topics.verifications;
  return stack.kafkaCluster.withAdmin(async (admin) => {
    const [offsets, metadata] = await Promise.all([
      admin.fetchTopicOffsets(topic),
      admin.fetchTopicMetadata({ topics: [topic] }),
    ]);
    const events = new Map(offsets.map((o) => [o.partition, Number(o.high)]));
    const load = new Map<number, { events: number; partitions: number[] }>();
    for (const p of metadata.topics[0]?.partitions ?? []) {
      const entry = load.get(p.leader) ?? { events: 0, partitions: [] };
      entry.events += events.get(p.partitionId) ?? 0;
      entry.partitions.push(p.partitionId);
      load.set(p.leader, entry);
    }
    const [broker, busiest] =
      [...load].sort(([, a], [, b]) => b.events - a.events)[0] ?? assert.fail("no leaders");
    return { broker, partitions: busiest.partitions };
  });
}

/** Every partition of every topic has all its replicas in sync again. */
export async function kafkaFullyReplicated(stack: ClusterStack): Promise<void> {
  await eventually(
    "every partition back to three in-sync replicas",
    () =>
      stack.kafkaCluster
        .withAdmin(async (admin) => {
          const { topics } = await admin.fetchTopicMetadata();
          return topics.every((t) =>
            t.partitions.every((p) => p.isr.length === p.replicas.length && p.leader >= 0),
          );
        })
        .catch(() => false),
    120_000,
  );
}

export interface Guards {
  /** Phones whose start window is full: a further start must be refused. */
  limitedPhones: string[];
  /** Verifications with one check left: the next wrong check locks them. */
  nearlyLocked: Delivered[];
}

/**
 * Fills start windows (the policy allows two starts per phone per 10 minutes) and spends all
 * but one check of some verifications, proving each is in force before the fault.
 */
export async function setGuards(stack: ClusterStack, maxChecks: number): Promise<Guards> {
  const limitedPhones = Array.from({ length: 4 }, () => newPhone());
  for (const phone of limitedPhones) {
    await start(stack, phone, "login");
    await start(stack, phone, "signup");
  }
  const nearlyLocked = await delivered(stack, 4);
  for (const v of nearlyLocked) {
    let left = maxChecks;
    for (let i = 0; i < maxChecks - 1; i++)
      left = (await check(stack, v.verificationId, wrongCode(v.code))).checksRemaining;
    assert.equal(left, 1, "one check left before the fault");
  }
  for (const phone of limitedPhones) assert.ok(await startRefused(stack, phone), "the start window is full");
  return { limitedPhones, nearlyLocked };
}

/** Whether a start for `phone` is refused for its start window now. */
export async function startRefused(stack: ClusterStack, phone: string): Promise<boolean> {
  for (;;) {
    try {
      await start(stack, phone, "password_reset");
      return false;
    } catch (err) {
      const seen = grpcStatusOf(err);
      if (seen.status === "RESOURCE_EXHAUSTED") return true;
      assert.ok(RETRYABLE.has(seen.status), `a start failed with ${seen.status}`);
      await sleep(250);
    }
  }
}

export { CheckResult };

/** Closes a master's connections to its replicas (a stopped replica cannot come back for more). */
export async function dropReplicaLinks(masterPort: number): Promise<void> {
  const master = new Redis({
    host: "127.0.0.1",
    port: masterPort,
    lazyConnect: true,
    maxRetriesPerRequest: 1,
  });
  try {
    await master.connect();
    await master.client("KILL", "TYPE", "replica");
  } finally {
    master.disconnect();
  }
}
