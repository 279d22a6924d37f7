/**
 * What every fault scenario must still hold afterwards, read from the log and the handsets:
 * no accepted verification lost (its start is on the log and it verified), at most one dispatch
 * per (verification, attempt) and at most one message per dispatch on each handset, every
 * verification in a defined final state, and no code in any log line.
 */
import assert from "node:assert/strict";
import { Channel } from "../../proto/gen/otp/v1/common";
import { inboxOf } from "../../services/all-in-one/src/inbox-server";
import type { PlatformStack } from "./fault-stack";
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

export function assertNoDuplicateSends(stack: PlatformStack, accepted: readonly Accepted[]): void {
  for (const v of accepted) {
    const attempts = dispatchesOf(stack, v.verificationId);
    for (const [attempt, { eventIds }] of attempts)
      assert.equal(
        eventIds.size,
        1,
        `${v.verificationId} attempt ${attempt} was dispatched ${eventIds.size} times`,
      );
    const received = inboxOf(stack.app.simulators, v.phone);
    for (const [name, channel] of Object.entries(CHANNEL_OF_INBOX)) {
      const got = received.filter((m) => m.channel === name).length;
      const dispatched = [...attempts.values()].filter((a) => a.channel === channel).length;
      assert.ok(
        got <= dispatched,
        `${v.verificationId}: the handset got ${got} ${name} messages for ${dispatched} dispatches`,
      );
    }
  }
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

export async function assertAllVerified(
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
  const logs = stack.logs.join("\n");
  for (const v of accepted) {
    const code = codeOnHandset(stack, v.phone);
    if (code) assert.doesNotMatch(logs, new RegExp(`(?<![0-9])${code}(?![0-9])`), "a code in the logs");
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
