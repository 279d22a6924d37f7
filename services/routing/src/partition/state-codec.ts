/**
 * A verification's routing state as it travels on the routing changelog: JSON, sealed values
 * as they travel on Kafka (encrypted, base64), with the trace to continue when its timers fire
 * and when it finished (so a new owner keeps it as long as the old one would have).
 */
import { EncryptedValue } from "@proto/otp/events/v1/events";
import type { RoutingState, Sealed, VerificationFacts } from "../core/types";

export interface OwnedState {
  state: RoutingState;
  /** W3C traceparent of the start, continued by the verification's timers. */
  traceparent?: string;
  /** When it reached a final status (ms); it is dropped `retention` later. */
  finishedAt?: number;
}

type SealedJson = unknown;

interface FactsJson extends Omit<VerificationFacts, "phone" | "code" | "transaction"> {
  phone?: SealedJson;
  code?: SealedJson;
  transaction?: SealedJson;
}

interface OwnedJson {
  s: Omit<RoutingState, "facts"> & { facts?: FactsJson };
  t?: string;
  f?: number;
}

export function encodeOwnedState(owned: OwnedState): Uint8Array {
  const json: OwnedJson = { s: stateToJson(owned.state) };
  if (owned.traceparent) json.t = owned.traceparent;
  if (owned.finishedAt !== undefined) json.f = owned.finishedAt;
  return Buffer.from(JSON.stringify(json));
}

export function decodeOwnedState(bytes: Uint8Array): OwnedState {
  const json = JSON.parse(
    Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString(),
  ) as OwnedJson;
  return {
    state: stateFromJson(json.s),
    ...(json.t ? { traceparent: json.t } : {}),
    ...(json.f === undefined ? {} : { finishedAt: json.f }),
  };
}

const sealedToJson = (value: Sealed | undefined): SealedJson =>
  value ? EncryptedValue.toJSON(value) : undefined;
const sealedFromJson = (value: SealedJson): Sealed | undefined =>
  value ? EncryptedValue.fromJSON(value) : undefined;

function stateToJson(state: RoutingState): OwnedJson["s"] {
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

function stateFromJson(json: OwnedJson["s"]): RoutingState {
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
