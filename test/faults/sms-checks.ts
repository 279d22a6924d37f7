/**
 * The SMS gateway's promises, read from the log (see gateway-smpp/README.md, "Design
 * decisions"), and the SMSC simulator driven through its HTTP control API as an operator's
 * drill would: scenario in force, connections dropped, counters.
 */
import assert from "node:assert/strict";
import type { DeliveryReported } from "@proto/otp/events/v1/events";
import { Channel, DeliveryStatus, FailureClass } from "@proto/otp/v1/common";
import type { SimulatorStats } from "@gateway-smpp/src/simulator/simulator-state";
import type { Scenario } from "@gateway-smpp/src/simulator/scenario";
import type { PlatformStack } from "./fault-stack";
import { eventually, type Accepted } from "./load";
import { storiesOf, storyOf } from "./story";

export interface SmsAttempt {
  attempt: number;
  route: string;
  /** Its DeliveryReported events, in log order. */
  reports: DeliveryReported[];
}

/** A verification's SMS attempts, in order. */
export function smsAttemptsOf(stack: PlatformStack, verificationId: string): SmsAttempt[] {
  const attempts = new Map<number, SmsAttempt>();
  for (const env of stack.eventsOf(verificationId)) {
    const event = env.event;
    if (event?.$case === "dispatchRequested" && event.value.channel === Channel.CHANNEL_SMS) {
      const { attempt, route } = event.value;
      if (!attempts.has(attempt)) attempts.set(attempt, { attempt, route, reports: [] });
    }
    if (event?.$case === "deliveryReported" && event.value.channel === Channel.CHANNEL_SMS) {
      attempts.get(event.value.attempt)?.reports.push(event.value);
    }
  }
  return [...attempts.values()];
}

export const isUnknown = (r: DeliveryReported): boolean =>
  r.status === DeliveryStatus.DELIVERY_STATUS_FAILED && r.failureClass === FailureClass.FAILURE_CLASS_UNKNOWN;
export const isDelivered = (r: DeliveryReported): boolean =>
  r.status === DeliveryStatus.DELIVERY_STATUS_DELIVERED;
const isAccepted = (r: DeliveryReported): boolean => r.status === DeliveryStatus.DELIVERY_STATUS_ACCEPTED;

/** SMS reports of the verifications matching `which`, for the evidence each test asks for. */
export function smsReports(
  stack: PlatformStack,
  accepted: readonly Accepted[],
  which: (r: DeliveryReported) => boolean,
): number {
  return accepted
    .flatMap((v) => smsAttemptsOf(stack, v.verificationId))
    .flatMap((a) => a.reports)
    .filter(which).length;
}

/**
 * Every SMS dispatch gets a first outcome (accepted, failed, expired): the gateway publishes one
 * for each, whatever the SMSC did; none is left hanging.
 */
export async function assertEverySmsDispatchReported(
  stack: PlatformStack,
  accepted: readonly Accepted[],
): Promise<void> {
  const unreported = () =>
    accepted.filter((v) => smsAttemptsOf(stack, v.verificationId).some((a) => a.reports.length === 0));
  await eventually(
    "a report for every SMS dispatch",
    () => unreported().length === 0,
    30_000,
    () => storiesOf(stack, unreported()),
  );
}

/**
 * What the design allows and no more: an outcome nobody knows (no submit_sm_resp: timeout, link
 * lost, sender died mid-send) is never sent again on its route, neither by the gateway nor by
 * routing; an attempt is ACCEPTED before it is DELIVERED; repeated receipts make one DELIVERED.
 * (One message per dispatch on the handset is assertNoDuplicateSends's; an UNKNOWN SMS that did
 * reach the phone plus the fallback's message is two dispatches, two messages: allowed.)
 */
export function assertSmsPromisesKept(stack: PlatformStack, accepted: readonly Accepted[]): void {
  for (const v of accepted) {
    const attempts = smsAttemptsOf(stack, v.verificationId);
    const story = () => `${v.verificationId}: ${storyOf(stack, v.verificationId)}`;
    attempts.forEach((a, i) => {
      if (a.reports.some(isUnknown)) {
        const again = attempts.slice(i + 1).filter((later) => later.route === a.route);
        assert.deepEqual(again, [], `UNKNOWN on ${a.route} sent again on it: ${story()}`);
      }
      const delivered = a.reports.findIndex(isDelivered);
      if (delivered >= 0) {
        assert.ok(a.reports.slice(0, delivered).some(isAccepted), `DELIVERED before ACCEPTED: ${story()}`);
      }
      assert.ok(a.reports.filter(isDelivered).length <= 1, `DELIVERED twice for one attempt: ${story()}`);
    });
  }
}

/**
 * Verifications that went out by SMS alone, at the first attempt, and were delivered: the SMSC
 * works. (The receipt may come after the check: the phone has the code when the SMSC accepts.)
 */
export async function assertDeliveredBySmsFirst(
  stack: PlatformStack,
  accepted: readonly Accepted[],
): Promise<void> {
  const bySmsAlone = (v: Accepted): boolean => {
    const attempts = smsAttemptsOf(stack, v.verificationId);
    return (
      attempts[0]?.attempt === 1 &&
      attempts[0].reports.some(isDelivered) &&
      dispatchCount(stack, v.verificationId) === 1
    );
  };
  await eventually(
    "delivered by their first SMS alone",
    () => accepted.every(bySmsAlone),
    15_000,
    () =>
      storiesOf(
        stack,
        accepted.filter((v) => !bySmsAlone(v)),
      ),
  );
}

/** The dispatches of a verification on the log. */
export function dispatchCount(stack: PlatformStack, verificationId: string): number {
  return stack.eventsOf(verificationId).filter((e) => e.event?.$case === "dispatchRequested").length;
}

export interface SmscControl {
  scenario(scenario: Scenario): Promise<void>;
  dropConnections(unbind: boolean): Promise<number>;
  /** The connections open now go half-open: up, never answered again. */
  muteConnections(): Promise<number>;
  stats(): Promise<SimulatorStats>;
}

/** The simulator's HTTP control API, as an operator's drill script uses it. */
export function smscControl(stack: PlatformStack): SmscControl {
  const base = `http://127.0.0.1:${stack.app.simulators.smscControl.port}`;
  const call = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const answer = await fetch(`${base}${path}`, {
      method,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    assert.equal(answer.status, 200, `${method} ${path}: ${answer.status}`);
    return answer.json();
  };
  return {
    scenario: async (scenario) => void (await call("PUT", "/scenario", scenario)),
    dropConnections: async (unbind) =>
      ((await call("POST", `/connections/drop${unbind ? "?unbind=1" : ""}`)) as { dropped: number }).dropped,
    muteConnections: async () => ((await call("POST", "/connections/mute")) as { muted: number }).muted,
    stats: async () => (await call("GET", "/stats")) as SimulatorStats,
  };
}

/** Every bind of the gateway bound (after an outage, reconnects take their backoff). */
export async function allBindsBound(stack: PlatformStack, timeoutMs = 30_000): Promise<void> {
  await eventually(
    "every SMPP bind bound again",
    () => stack.app.gateway.snapshot().binds.every((b) => b.state === "bound"),
    timeoutMs,
  );
}
