/** The events an envelope can carry, named by their `$case`, and the payload of each. */
import type { EventEnvelope } from "@proto/otp/events/v1/events";

export type EventBody = NonNullable<EventEnvelope["event"]>;
export type EventCase = EventBody["$case"];
export type EventOf<C extends EventCase> =
  Extract<EventBody, { $case: C }> extends { value: infer V } ? V : never;
