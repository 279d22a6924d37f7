/**
 * One verification's story as the log tells it, in one line, for failure messages: where a
 * stuck verification stopped is most of the diagnosis (never dispatched, dispatched but no
 * receipt, delivered but not checked...). Carries no code and no phone number.
 */
import { CheckOutcome, type EventEnvelope } from "@proto/otp/events/v1/events";
import { DeliveryStatus, FailureClass } from "@proto/otp/v1/common";
import { channelLabel } from "@platform/telemetry/labels";
import type { PlatformStack } from "./fault-stack";

function chapter(env: EventEnvelope): string {
  const event = env.event;
  if (event === undefined) return "?";
  if (event.$case === "dispatchRequested") {
    return `dispatch#${event.value.attempt} ${channelLabel(event.value.channel)}@${event.value.route}`;
  }
  if (event.$case === "deliveryReported") {
    const d = event.value;
    const status = DeliveryStatus[d.status].replace("DELIVERY_STATUS_", "");
    const failure =
      d.failureClass === FailureClass.FAILURE_CLASS_UNSPECIFIED
        ? ""
        : ` ${FailureClass[d.failureClass].replace("FAILURE_CLASS_", "")} ${d.reason}`;
    return `#${d.attempt} ${channelLabel(d.channel)} ${status}${failure}`;
  }
  if (event.$case === "fallbackTriggered")
    return `fallback ${event.value.fromAttempt}→${event.value.toAttempt}`;
  if (event.$case === "codeChecked") {
    return `checked ${CheckOutcome[event.value.outcome].replace("CHECK_OUTCOME_", "")}`;
  }
  return event.$case;
}

/**
 * Offsets from the start in ms and places on the log, e.g. `+0 verificationStarted (0@4), +35
 * dispatch#1 sms@… (0@6)`.
 */
export function storyOf(stack: PlatformStack, verificationId: string): string {
  const events = stack.eventsOf(verificationId);
  const t0 = events[0]?.occurredAt?.getTime() ?? 0;
  const told = events.map((e) => {
    const place = stack.placeOfCopy(e);
    return `+${(e.occurredAt?.getTime() ?? t0) - t0} ${chapter(e)}${place ? ` (${place})` : ""}`;
  });
  return told.length === 0 ? "(nothing on the log)" : told.join(", ");
}

/** One line per verification, `<id>: <story>`, for failure messages. */
export function storiesOf(
  stack: PlatformStack,
  verifications: ReadonlyArray<{ verificationId: string }>,
): string {
  return verifications.map((v) => `${v.verificationId}: ${storyOf(stack, v.verificationId)}`).join("\n");
}
