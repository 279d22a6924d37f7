/**
 * Loads and saves a verification's routing state with its outbox, as JSON in the store, with
 * compare-and-set on a version (store-scripts/routing-state.ts). Sealed values are stored as
 * they travel on Kafka: encrypted, base64.
 */
import { EncryptedValue, EventEnvelope } from "../../../proto/gen/otp/events/v1/events";
import type { Store } from "../../shared/src/store/port";
import type { RoutingState, Sealed, VerificationFacts } from "./core/types";
import type { Effect } from "./effects";
import { loadRoutingState, saveRoutingState } from "./store-scripts";

export interface StoredRouting {
  version: number;
  state: RoutingState;
  /** Effects saved with the state and not yet known to be done. */
  outbox: Effect[];
}

export interface RoutingStateRepo {
  load(verificationId: string): Promise<StoredRouting | undefined>;
  /** The new version, or 0 when the stored version is no longer `expectedVersion`. */
  save(expectedVersion: number, state: RoutingState, outbox: readonly Effect[], now: number): Promise<number>;
}

export interface RoutingStateRepoOptions {
  /** How long a state outlives its code's expiry (ExplainRoute answers until then). */
  retentionMs: number;
}

/** EncryptedValue as ts-proto's JSON (base64 bytes). */
type SealedJson = unknown;

interface FactsJson extends Omit<VerificationFacts, "phone" | "code" | "transaction"> {
  phone?: SealedJson;
  code?: SealedJson;
  transaction?: SealedJson;
}

type StoredEffect = Exclude<Effect, { kind: "publish" }> | { kind: "publish"; envelope: unknown };

interface StoredJson {
  state: Omit<RoutingState, "facts"> & { facts?: FactsJson };
  outbox: StoredEffect[];
}

export function createRoutingStateRepo(store: Store, options: RoutingStateRepoOptions): RoutingStateRepo {
  return {
    async load(verificationId) {
      const loaded = await store.run(loadRoutingState, verificationId);
      if (loaded.version === 0 || loaded.json === undefined) return undefined;
      const parsed = JSON.parse(loaded.json) as StoredJson;
      return {
        version: loaded.version,
        state: stateFromJson(parsed.state),
        outbox: parsed.outbox.map(effectFromJson),
      };
    },

    async save(expectedVersion, state, outbox, now) {
      const json: StoredJson = { state: stateToJson(state), outbox: outbox.map(effectToJson) };
      const expiresAt = state.facts?.expiresAt ?? now;
      return store.run(saveRoutingState, {
        verificationId: state.verificationId,
        expectedVersion,
        json: JSON.stringify(json),
        ttlMs: Math.max(60_000, Math.ceil(expiresAt - now + options.retentionMs)),
      });
    },
  };
}

const sealedToJson = (value: Sealed | undefined): SealedJson =>
  value ? EncryptedValue.toJSON(value) : undefined;
const sealedFromJson = (value: SealedJson): Sealed | undefined =>
  value ? EncryptedValue.fromJSON(value) : undefined;

function stateToJson(state: RoutingState): StoredJson["state"] {
  const { facts, ...rest } = state;
  if (!facts) return rest;
  const { phone, code, transaction, ...clear } = facts;
  return {
    ...rest,
    facts: {
      ...clear,
      phone: sealedToJson(phone),
      code: sealedToJson(code),
      transaction: sealedToJson(transaction),
    },
  };
}

function stateFromJson(json: StoredJson["state"]): RoutingState {
  const { facts, ...rest } = json;
  if (!facts) return { ...rest, facts: undefined };
  const { phone, code, transaction, ...clear } = facts;
  return {
    ...rest,
    facts: {
      ...clear,
      phone: sealedFromJson(phone),
      code: sealedFromJson(code),
      transaction: sealedFromJson(transaction),
    },
  };
}

function effectToJson(effect: Effect): StoredEffect {
  return effect.kind === "publish"
    ? { kind: "publish", envelope: EventEnvelope.toJSON(effect.envelope) }
    : effect;
}

function effectFromJson(effect: StoredEffect): Effect {
  return effect.kind === "publish"
    ? { kind: "publish", envelope: EventEnvelope.fromJSON(effect.envelope) }
    : effect;
}
