/**
 * What every fault scenario must still hold afterwards, read from the log and the handsets:
 * no accepted verification lost (its start is on the log and it verified), at most one dispatch
 * per (verification, attempt) and at most one message per dispatch on each handset, every
 * verification in a defined final state, no code in any log line, and (deadLettered) what the
 * dead-letter topics hold.
 */
import assert from "node:assert/strict";
import { Kafka, logLevel } from "kafkajs";
import { Channel } from "@proto/otp/v1/common";
import { inboxOf } from "@services/all-in-one/src/inbox-server";
import type { FaultStack, PlatformStack } from "./fault-stack";
import { codeOnHandset, eventually, statusOf, verifyAll, type Accepted } from "./load";
import { storyOf } from "./story";

const CHANNEL_OF_INBOX = {
  sms: Channel.CHANNEL_SMS,
  whatsapp: Channel.CHANNEL_WHATSAPP,
  voice: Channel.CHANNEL_VOICE,
} as const;

/** Distinct DispatchRequested events per attempt, and the channel each attempt used. */
function dispatchesOf(
  stack: PlatformStack,
  id: string,
): Map<number, { eventIds: Set<string>; channel: Channel }> {
  const attempts = new Map<number, { eventIds: Set<string>; channel: Channel }>();
  for (const env of stack.eventsOf(id)) {
    if (env.event?.$case !== "dispatchRequested") continue;
    const d = env.event.value;
    const entry = attempts.get(d.attempt) ?? { eventIds: new Set<string>(), channel: d.channel };
    entry.eventIds.add(env.eventId);
    attempts.set(d.attempt, entry);
  }
  return attempts;
}

/** Which attempt each provider id belongs to, from the attempts' receipts. */
function attemptsByProviderId(stack: PlatformStack, id: string): Map<string, number> {
  const owners = new Map<string, number>();
  for (const env of stack.eventsOf(id)) {
    if (env.event?.$case !== "deliveryReported") continue;
    const { attempt, providerMessageId } = env.event.value;
    for (const providerId of providerMessageId.split(",")) if (providerId) owners.set(providerId, attempt);
  }
  return owners;
}

/** The services' last warnings and errors matching `about`, for a failure message. */
export function warningsAbout(stack: PlatformStack, about: RegExp, count = 40): string[] {
  return stack.logs
    .filter((l) => /"level":"(warn|error)"/.test(l) && !l.includes('"logger":"kafkajs"') && about.test(l))
    .slice(-count);
}

/** The processors' warnings and errors (restores, failed commits), for a failure message. */
const processorWarnings = (stack: PlatformStack): string[] => warningsAbout(stack, /partition|commit/);

/**
 * At most one dispatch per attempt, and at most one message on the handset per dispatch: each
 * message is traced to its attempt by the provider id its receipts carry, so a dispatch sent
 * twice is caught even when another dispatch of the same channel sent nothing. Messages no
 * receipt names still count against their channel's dispatches.
 */
export function assertNoDuplicateSends(stack: PlatformStack, accepted: readonly Accepted[]): void {
  for (const v of accepted) {
    const attempts = dispatchesOf(stack, v.verificationId);
    for (const [attempt, { eventIds }] of attempts)
      assert.equal(
        eventIds.size,
        1,
        `${v.verificationId} attempt ${attempt} was dispatched ${eventIds.size} times, at ` +
          `${[...eventIds].map((e) => stack.placeOf.get(e)).join(" and ")}: ${storyOf(stack, v.verificationId)}` +
          `\nwhat the processors said:\n${processorWarnings(stack).join("\n")}`,
      );
    const owners = attemptsByProviderId(stack, v.verificationId);
    const perAttempt = new Map<number, number>();
    const untraced = new Map<string, number>();
    for (const message of inboxOf(stack.app.simulators, v.phone)) {
      const attempt = message.providerIds.map((pid) => owners.get(pid)).find((a) => a !== undefined);
      if (attempt === undefined) untraced.set(message.channel, (untraced.get(message.channel) ?? 0) + 1);
      else perAttempt.set(attempt, (perAttempt.get(attempt) ?? 0) + 1);
    }
    for (const [attempt, got] of perAttempt)
      assert.equal(got, 1, `${v.verificationId}: the handset got ${got} messages for attempt ${attempt}`);
    for (const [name, channel] of Object.entries(CHANNEL_OF_INBOX)) {
      const dispatched = [...attempts.values()].filter((a) => a.channel === channel).length;
      const traced = [...perAttempt.keys()].filter((a) => attempts.get(a)?.channel === channel).length;
      const got = traced + (untraced.get(name) ?? 0);
      assert.ok(
        got <= dispatched,
        `${v.verificationId}: the handset got ${got} ${name} messages for ${dispatched} dispatches`,
      );
    }
  }
}

/**
 * Messages on the stack's dead-letter topics, per topic (only those holding any): a short
 * outage must leave none, so a fault test asserts this is empty or exactly what it expects.
 */
async function deadLettered(stack: FaultStack): Promise<Record<string, number>> {
  const kafka = new Kafka({
    clientId: "fault-dlq-reader",
    brokers: stack.kafka.brokers.split(","),
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const prefix = stack.env.OTP_TOPIC_PREFIX ?? "";
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix) && t.endsWith(".dlq"));
    const counts: Record<string, number> = {};
    for (const topic of topics) {
      const offsets = await admin.fetchTopicOffsets(topic);
      const held = offsets.reduce((sum, o) => sum + Number(o.high) - Number(o.low), 0);
      if (held > 0) counts[topic] = held;
    }
    return counts;
  } finally {
    await admin.disconnect();
  }
}

export async function assertNothingDeadLettered(stack: FaultStack): Promise<void> {
  assert.deepEqual(await deadLettered(stack), {}, "messages on the dead-letter topics");
}

export function assertStartedOnLog(stack: PlatformStack, accepted: readonly Accepted[]): void {
  for (const v of accepted) {
    const starts = new Set(
      stack
        .eventsOf(v.verificationId)
        .filter((e) => e.event?.$case === "verificationStarted")
        .map((e) => e.eventId),
    );
    assert.equal(starts.size, 1, `${v.verificationId} accepted, ${starts.size} starts on the log`);
  }
}

async function assertAllVerified(
  stack: PlatformStack,
  accepted: readonly Accepted[],
  timeoutMs?: number,
): Promise<void> {
  const failures = await verifyAll(stack, accepted, timeoutMs);
  const stories = [...failures].slice(0, 12).map(([id, why]) => `${id}: ${why}\n  ${storyOf(stack, id)}`);
  assert.equal(
    failures.size,
    0,
    `${failures.size} of ${accepted.length} accepted verifications did not verify:\n${stories.join("\n")}`,
  );
  for (const v of accepted)
    assert.equal(await statusOf(stack, v.verificationId), "VERIFIED", v.verificationId);
}

export function assertNoCodeInLogs(stack: PlatformStack, accepted: readonly Accepted[]): void {
  // An SMSC's message ids are decimal strings too ("messageIds":"100239"): not codes.
  const logs = stack.logs.join("\n").replace(/"(messageIds?|providerMessageId)":"[^"]*"/g, '"$1":"…"');
  for (const v of accepted) {
    const code = codeOnHandset(stack, v.phone);
    // A code is text: the same six digits as a JSON number ("elapsedMs":100020) are chance.
    const at = code ? logs.search(new RegExp(`(?<![0-9])(?<!":)${code}(?![0-9])`)) : -1;
    assert.equal(at, -1, `a code in the logs: …${logs.slice(Math.max(0, at - 80), at + 20)}…`);
    assert.ok(!logs.includes(v.phone), "a full phone number in the logs");
  }
}

/**
 * All four, in the order that gives the clearest failure. `verifyTimeoutMs`: how long the
 * verifications may take to reach their handsets and verify (default 90 s).
 */
export async function assertNothingLost(
  stack: PlatformStack,
  accepted: readonly Accepted[],
  options: { verifyTimeoutMs?: number } = {},
): Promise<void> {
  assert.ok(accepted.length > 0, "the load was accepted at all");
  await assertAllVerified(stack, accepted, options.verifyTimeoutMs);
  // The capturing consumer may trail the services by a moment.
  await eventually("every outcome captured", () =>
    accepted.every((v) => stack.eventsOf(v.verificationId).some((e) => e.event?.$case === "codeChecked")),
  );
  assertStartedOnLog(stack, accepted);
  assertNoDuplicateSends(stack, accepted);
  assertNoCodeInLogs(stack, accepted);
}
