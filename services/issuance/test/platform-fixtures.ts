/**
 * Issuance on a test platform (the in-process bus and store from `platformFromEnv`), wired as the
 * app wires it; a test overrides what it watches or breaks.
 */
import { createVerificationProjection } from "@verification-state/projection";
import type { Platform } from "@platform/runtime/platform";
import { createAbuseGuards } from "../src/abuse-guards";
import { createIssuance, type Issuance, type IssuanceDeps } from "../src/issuance";

export function issuanceOn(platform: Platform, overrides: Partial<IssuanceDeps> = {}): Issuance {
  return createIssuance({
    bus: platform.bus,
    store: platform.store,
    projection: createVerificationProjection({
      store: platform.store,
      secrets: platform.secrets,
      retentionMs: 3_600_000,
    }),
    secrets: platform.secrets,
    policies: platform.policies,
    guards: createAbuseGuards({ store: platform.store, now: Date.now, logger: platform.logger }),
    topics: platform.topics,
    now: Date.now,
    logger: platform.logger,
    districts: platform.districts,
    ...overrides,
  });
}
