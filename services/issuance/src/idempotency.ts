/**
 * A start's idempotency key in the store: its name (a keyed hash of the client's key, per
 * tenant), what a reuse is compared on, pointing it at a verification, and following it to the
 * verification its first request made.
 */
import type { SecretMaterial } from "@platform/crypto/keys";
import { bindingDigest } from "@platform/crypto/code-hash";
import type { VerificationState } from "@domain/verification";
import { OtpError } from "@domain/errors";
import type { VerificationProjection } from "@verification-state/projection";
import { idempotencyKey, idempotencyTarget, idempotencyValue } from "@verification-state/projector";
import type { Store } from "@platform/store/port";
import { notFound } from "./core/changes";
import type { StartInput } from "./start-request";

export interface Idempotency {
  /** The store key of a client's idempotency key. */
  keyOf(tenant: string, key: string): string;
  /** The keyed hash of the client's key, as VerificationStarted records it. */
  keyHash(key: string): string;
  /**
   * What a reused idempotency key is compared on: the parameters that decide who gets which
   * code (phone, purpose, channel preference, transaction binding). A keyed hash, so the store
   * holds no phone number.
   */
  fingerprintOf(input: StartInput): string;
  /** The value the key holds while it names `verificationId`. */
  valueFor(input: StartInput, verificationId: string): string;
  /** Points the request's key at a verification for `ttlMs`. */
  remember(tenant: string, input: StartInput, verificationId: string, ttlMs: number): Promise<void>;
  /**
   * The first request with the key may still be writing its verification, or may have pointed
   * the key at an active verification it reused: follows the key until it resolves.
   */
  follow(tenant: string, key: string, first: string): Promise<VerificationState>;
}

export function createIdempotency(deps: {
  store: Store;
  projection: VerificationProjection;
  secrets: SecretMaterial;
}): Idempotency {
  const { store, projection, secrets } = deps;
  const keyHash = (key: string): string => secrets.hasher.lookup("idem", key);
  const keyOf = (tenant: string, key: string): string => idempotencyKey(tenant, keyHash(key));
  const fingerprintOf = (input: StartInput): string =>
    secrets.hasher.lookup(
      "idem-params",
      [
        input.phone.e164,
        input.purpose,
        String(input.channelPreference),
        bindingDigest(input.transaction),
      ].join("\u0000"),
    );
  const valueFor = (input: StartInput, verificationId: string): string =>
    idempotencyValue(verificationId, fingerprintOf(input));

  return {
    keyOf,
    keyHash,
    fingerprintOf,
    valueFor,
    async remember(tenant, input, verificationId, ttlMs) {
      await store.set(store.key(keyOf(tenant, input.idempotencyKey)), valueFor(input, verificationId), {
        ttlMs,
      });
    },
    async follow(tenant, key, first) {
      let verificationId = first;
      for (let i = 0; i < 40; i++) {
        if (i > 0) {
          const value = await store.get(store.key(key));
          if (value !== null) verificationId = idempotencyTarget(value).verificationId;
        }
        const state = await projection.read(verificationId);
        if (state) {
          if (state.tenant !== tenant) throw notFound();
          return state;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new OtpError("OTP_STATE_UNAVAILABLE", "verification is still being created, retry shortly", {
        retryAfterMs: 500,
      });
    },
  };
}
