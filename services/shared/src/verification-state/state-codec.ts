/**
 * The verification state as text for the store (the `doc` field of `vp:{<id>}`, opaque to the
 * store's scripts). Nothing here is a secret in clear: phone, code and binding stay sealed.
 *
 * Written as a positional record, `[2, id, tenant, …]` (platform/store/positional-record.ts):
 * the field names, defaults and UUID dashes of the plain JSON form were most of what a pending
 * verification kept in Redis. The plain JSON form (an object, written before) is still read.
 */
import type { EncryptedValue } from "@proto/otp/events/v1/events";
import type { PlannedStep } from "@proto/otp/v1/common";
import type {
  AttemptState,
  IssuedCode,
  VerificationState,
  VerificationStatus,
  VerifiedBy,
} from "@domain/verification";
import { sealedFromJson, sealedToJson, type SealedJson } from "@platform/crypto/sealed-json";
import { compactId, fullId } from "@platform/events/compact-id";
import { positionalFields } from "@platform/store/positional-record";

const FORMAT = 2;

type Sealed = [keyId: string, iv: string, ciphertext: string, tag: string];
type Code = [attempt: number, sealed: Sealed, expiresAt: number];
type Step = [channel: number, route: string, timeoutSeconds: number];
type Attempt = [
  attempt: number,
  channel: number,
  route: string,
  status: number,
  failureClass: number,
  reason: string,
  operator: string,
  requestedAt: number,
  acceptedAt: number | null,
  deliveredAt: number | null,
  finishedAt: number | null,
];

const sealed = (v: EncryptedValue): Sealed => {
  const j = sealedToJson(v);
  return [j.k, j.i, j.c, j.t];
};
const unsealed = ([k, i, c, t]: Sealed): EncryptedValue => sealedFromJson({ k, i, c, t });
const optionalSealed = (v: EncryptedValue | undefined): Sealed | null => (v ? sealed(v) : null);
const flag = (b: boolean): number => (b ? 1 : 0);
const time = (t: number | undefined): number | null => t ?? null;

export function serializeState(s: VerificationState): string {
  const codes: Code[] = s.codes.map((c) => [c.attempt, sealed(c.sealed), c.expiresAt]);
  const steps: Step[] = s.plannedSteps.map((p) => [p.channel, p.route, p.timeoutSeconds]);
  const attempts: Attempt[] = s.attempts.map((a) => [
    a.attempt,
    a.channel,
    a.route,
    a.status,
    a.failureClass,
    a.reason,
    a.operator,
    a.requestedAt,
    time(a.acceptedAt),
    time(a.deliveredAt),
    time(a.finishedAt),
  ]);
  return JSON.stringify([
    FORMAT,
    s.id,
    s.tenant,
    s.status,
    s.purpose,
    s.riskTier,
    s.maskedPhone,
    optionalSealed(s.phone),
    s.country,
    s.operator,
    s.district,
    s.locale,
    s.channelPreference,
    s.createdAt,
    s.expiresAt,
    s.maxChecks,
    s.checksUsed,
    s.maxSends,
    s.sendsUsed,
    s.resendCooldownMs,
    s.resendUntil,
    s.lastSendAt,
    s.numberType,
    flag(s.codePerAttempt),
    s.codeLength,
    codes,
    flag(s.hasBinding),
    optionalSealed(s.transaction),
    steps,
    attempts,
    s.appliedEventIds.map(compactId),
    s.verifiedBy ?? null,
  ]);
}

export function parseState(text: string): VerificationState {
  const fields = positionalFields(text, FORMAT, "verification state");
  return fields ? stateOf(fields) : parsePlainJson(text);
}

function stateOf(f: unknown[]): VerificationState {
  const attempts = (f[29] as Attempt[]).map(attemptOf);
  const state: VerificationState = {
    id: f[1] as string,
    tenant: f[2] as string,
    status: f[3] as VerificationStatus,
    purpose: f[4] as string,
    riskTier: f[5] as VerificationState["riskTier"],
    maskedPhone: f[6] as string,
    phone: f[7] ? unsealed(f[7] as Sealed) : undefined,
    country: f[8] as string,
    operator: f[9] as string,
    district: f[10] as string,
    locale: f[11] as string,
    channelPreference: f[12] as VerificationState["channelPreference"],
    createdAt: f[13] as number,
    expiresAt: f[14] as number,
    maxChecks: f[15] as number,
    checksUsed: f[16] as number,
    maxSends: f[17] as number,
    sendsUsed: f[18] as number,
    resendCooldownMs: f[19] as number,
    resendUntil: f[20] as number,
    lastSendAt: f[21] as number,
    numberType: f[22] as string,
    codePerAttempt: f[23] === 1,
    codeLength: f[24] as number,
    codes: (f[25] as Code[]).map(([attempt, s, expiresAt]): IssuedCode => ({
      attempt,
      sealed: unsealed(s),
      expiresAt,
    })),
    hasBinding: f[26] === 1,
    transaction: f[27] ? unsealed(f[27] as Sealed) : undefined,
    plannedSteps: (f[28] as Step[]).map(([channel, route, timeoutSeconds]): PlannedStep => ({
      channel,
      route,
      timeoutSeconds,
    })),
    attempts,
    appliedEventIds: (f[30] as string[]).map(fullId),
  };
  if (f[31] !== null && f[31] !== undefined) state.verifiedBy = f[31] as VerifiedBy;
  return state;
}

function attemptOf(a: Attempt): AttemptState {
  const attempt: AttemptState = {
    attempt: a[0],
    channel: a[1],
    route: a[2],
    status: a[3],
    failureClass: a[4],
    reason: a[5],
    operator: a[6],
    requestedAt: a[7],
  };
  if (a[8] !== null) attempt.acceptedAt = a[8];
  if (a[9] !== null) attempt.deliveredAt = a[9];
  if (a[10] !== null) attempt.finishedAt = a[10];
  return attempt;
}

function isSealedJson(v: unknown): v is SealedJson {
  return typeof v === "object" && v !== null && "k" in v && "i" in v && "c" in v && "t" in v;
}

/** The plain JSON form written before: sealed values as {k, i, c, t}. */
function parsePlainJson(json: string): VerificationState {
  return JSON.parse(json, (_key, value: unknown) =>
    isSealedJson(value) ? sealedFromJson(value) : value,
  ) as VerificationState;
}
