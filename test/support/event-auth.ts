/**
 * Event keys for tests that run services beside a bus of their own: the services read
 * OTP_EVENT_KEYS from `env`, and the test's bus signs and checks with `authenticator`, which
 * holds the same key of every producer (ADR 0010).
 */
import { createEventAuthenticator, type EventAuthenticator } from "@platform/bus/event-mac";
import { eventKeysFromEnv, freshEventKeysVariable } from "@platform/crypto/event-keys";
import { EVENT_ROLES } from "@domain/events/ownership";

export interface TestEventAuth {
  env: { OTP_EVENT_KEYS: string };
  authenticator: EventAuthenticator;
}

export function testEventAuth(): TestEventAuth {
  const env = { OTP_EVENT_KEYS: freshEventKeysVariable() };
  const ring = eventKeysFromEnv(env, EVENT_ROLES["all-in-one"], { allowEphemeral: false });
  return { env, authenticator: createEventAuthenticator(ring) };
}
