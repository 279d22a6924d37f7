/**
 * Checking codes and the audited support override. A check is decided atomically in the store
 * (projection/scripts.ts), then recorded on the log before the answer, so an acknowledged
 * success survives the loss of the store. Looked up by phone, an unknown verification answers
 * exactly like a wrong code.
 */
import { randomBytes } from "node:crypto";
import { CheckOutcome, type EventEnvelope } from "@proto/otp/events/v1/events";
import { CheckResult, type CheckCodeRequest, type CheckCodeResponse } from "@proto/otp/v1/verification";
import type { EventBus } from "@platform/bus/port";
import { bindingDigest } from "@platform/crypto/code-hash";
import type { SecretMaterial } from "@platform/crypto/keys";
import type { VerificationState } from "@domain/verification";
import { decideOverride } from "@domain/verification-decide";
import { OtpError, invalidArgument, type FieldViolation } from "@domain/errors";
import { envelope, VERIFICATION_ID_PATTERN, type EventBody } from "@platform/events/envelope";
import type { TopicNames } from "@platform/bus/topics";
import { conversionWindow } from "@verification-state/pumping-script";
import type { ConversionTally } from "./conversion-tally";
import { parseE164 } from "@domain/numbering";
import type { PolicyBook } from "@domain/policy";
import type { VerificationProjection } from "@verification-state/projection";
import { activeKey } from "@verification-state/projector";
import { claimOverride, overrideRequestName } from "./override-claim";
import { destinationPrefix } from "@verification-state/view";
import type { Store } from "@platform/store/port";
import { setIfAbsentGet } from "@platform/store/scripts";
import { validateTransaction } from "@platform/crypto/transaction-binding";

export interface VerificationDeps {
  bus: EventBus;
  store: Store;
  projection: VerificationProjection;
  secrets: SecretMaterial;
  policies: PolicyBook;
  topics: TopicNames;
  now: () => number;
  /** How long an override request waits for its approver. */
  overrideTtlMs?: number;
  /** Where verified codes are counted for the pumping guard. */
  conversions: ConversionTally;
}

export interface OverrideRequest {
  overrideId: string;
  verificationId: string;
  expiresAt: number;
}

export interface VerificationService {
  check(tenant: string, request: CheckCodeRequest): Promise<CheckCodeResponse>;
  requestOverride(agent: string, verificationId: string, reason: string): Promise<OverrideRequest>;
  approveOverride(approver: string, overrideId: string): Promise<VerificationState>;
}

/** Only the format here: the length is the verification's own, checked with it (no attempt used). */
const CODE = /^\d{1,10}$/;

const RESULT: Record<CheckOutcome, CheckResult> = {
  [CheckOutcome.CHECK_OUTCOME_UNSPECIFIED]: CheckResult.CHECK_RESULT_REJECTED,
  [CheckOutcome.CHECK_OUTCOME_VERIFIED]: CheckResult.CHECK_RESULT_VERIFIED,
  [CheckOutcome.CHECK_OUTCOME_WRONG_CODE]: CheckResult.CHECK_RESULT_REJECTED,
  [CheckOutcome.CHECK_OUTCOME_BINDING_MISMATCH]: CheckResult.CHECK_RESULT_REJECTED,
  [CheckOutcome.CHECK_OUTCOME_EXPIRED]: CheckResult.CHECK_RESULT_EXPIRED,
  [CheckOutcome.CHECK_OUTCOME_LOCKED]: CheckResult.CHECK_RESULT_LOCKED,
  [CheckOutcome.CHECK_OUTCOME_ALREADY_USED]: CheckResult.CHECK_RESULT_ALREADY_USED,
  [CheckOutcome.CHECK_OUTCOME_CANCELLED]: CheckResult.CHECK_RESULT_CANCELLED,
  [CheckOutcome.CHECK_OUTCOME_FAILED]: CheckResult.CHECK_RESULT_FAILED,
};

function wrongLength(expected: number): OtpError {
  const description = `must be ${expected} digits`;
  return new OtpError("OTP_INVALID_ARGUMENT", `code: ${description}`, {
    violations: [{ field: "code", description }],
  });
}

const DEFAULT_OVERRIDE_TTL_MS = 15 * 60_000;

export function createVerificationService(deps: VerificationDeps): VerificationService {
  return {
    check: (tenant, request) => check(deps, tenant, request),
    requestOverride: (agent, verificationId, reason) => requestOverride(deps, agent, verificationId, reason),
    approveOverride: (approver, overrideId) => approveOverride(deps, approver, overrideId),
  };
}

async function publish(deps: VerificationDeps, envelopes: EventEnvelope[]): Promise<void> {
  try {
    await deps.bus.publishBatch(
      envelopes.map((env) => ({ topic: deps.topics.verifications, envelope: env })),
    );
  } catch (cause) {
    throw new OtpError("OTP_DEPENDENCY_UNAVAILABLE", "event log unavailable, retry shortly", {
      cause,
      retryAfterMs: 500,
    });
  }
}

/** The verification a request names, or undefined; `byPhone` hides which it was. */
async function resolveTarget(
  deps: VerificationDeps,
  tenant: string,
  request: CheckCodeRequest,
  violations: FieldViolation[],
): Promise<{ verificationId: string | undefined; byPhone: boolean }> {
  const { store, secrets } = deps;
  const target = request.target;
  if (target?.$case === "verificationId") {
    if (!VERIFICATION_ID_PATTERN.test(target.value))
      violations.push({ field: "verification_id", description: "malformed" });
    return { verificationId: target.value, byPhone: false };
  }
  if (target?.$case === "byPhone") {
    const phone = parseE164(target.value.phone);
    if (!phone.ok) violations.push({ field: "by_phone.phone", description: phone.reason });
    if (!target.value.purpose) violations.push({ field: "by_phone.purpose", description: "is required" });
    if (!phone.ok || violations.length > 0) return { verificationId: undefined, byPhone: true };
    const key = activeKey(tenant, secrets.hasher.lookup("phone", phone.e164), target.value.purpose);
    return { verificationId: (await store.get(store.key(key))) ?? undefined, byPhone: true };
  }
  violations.push({ field: "target", description: "give verification_id or by_phone" });
  return { verificationId: undefined, byPhone: false };
}

/** Counts a success toward its destination prefix's conversion (pumping guard). */
async function recordVerified(
  deps: VerificationDeps,
  tenant: string,
  verificationId: string,
  prefix: string | undefined,
): Promise<void> {
  const guard = deps.policies.policyFor(tenant).fraud.pumpingGuard;
  if (!guard.enabled) return;
  // A projection written before the prefix was kept beside the codes: read it from the state.
  const known =
    prefix ?? (await deps.projection.read(verificationId).then((s) => s && destinationPrefix(s.maskedPhone)));
  if (known === undefined) return;
  const { windowIndex, windowMs } = conversionWindow(guard, deps.now());
  deps.conversions.add(tenant, known, windowIndex, windowMs);
}

async function check(
  deps: VerificationDeps,
  tenant: string,
  request: CheckCodeRequest,
): Promise<CheckCodeResponse> {
  const { projection, secrets, now } = deps;
  const violations: FieldViolation[] = [];
  if (!CODE.test(request.code)) violations.push({ field: "code", description: "must be 1-10 digits" });
  const binding = validateTransaction(request.transaction, "transaction", violations);
  const { verificationId, byPhone } = await resolveTarget(deps, tenant, request, violations);
  if (violations.length > 0) {
    throw new OtpError(
      "OTP_INVALID_ARGUMENT",
      violations.map((v) => `${v.field}: ${v.description}`).join("; "),
      {
        violations,
      },
    );
  }
  const rejected: CheckCodeResponse = {
    result: CheckResult.CHECK_RESULT_REJECTED,
    verificationId: byPhone ? "" : (verificationId ?? ""),
    checksRemaining: 0,
  };
  // By phone, the expected length comes from the purpose's policy, whether or not a
  // verification exists, so the answer says nothing about the number.
  const policyLength =
    request.target?.$case === "byPhone"
      ? deps.policies.policyFor(tenant).purposes[request.target.value.purpose]?.codeLength
      : undefined;
  if (policyLength !== undefined && request.code.length !== policyLength) throw wrongLength(policyLength);
  if (!verificationId) return rejected;

  const candidateBinding = bindingDigest(binding);
  const checkInput = {
    verificationId,
    tenant,
    candidateHashes: secrets.hasher.candidates(verificationId, request.code, candidateBinding),
    candidateBinding,
    candidateLength: request.code.length,
  };
  let decision = await projection.check(checkInput);
  // A state the store lost (a failover) that this process's projector wrote comes back first.
  if (decision.kind === "missing" && (await projection.restore(verificationId, tenant)))
    decision = await projection.check(checkInput);
  // Missing state is never "0 attempts": reject, the client starts a new verification.
  if (decision.kind === "missing") return rejected;
  // Costs no attempt. By phone, a length that differs from the policy's (changed since the
  // code was sent) answers like any failure.
  if (decision.kind === "wrong-length") {
    if (byPhone) return rejected;
    throw wrongLength(decision.expectedLength);
  }

  const events: EventBody[] = [
    {
      $case: "codeChecked",
      value: {
        outcome: decision.outcome,
        checksUsed: decision.checksUsed,
        matchedAttempt: decision.matchedAttempt,
      },
    },
  ];
  if (decision.lockedNow)
    events.push({ $case: "verificationLocked", value: { checksUsed: decision.checksUsed } });
  const at = new Date(now());
  const verified = decision.outcome === CheckOutcome.CHECK_OUTCOME_VERIFIED;
  // The pumping guard's conversion record does not wait for the log write, nor the log
  // write for it: both follow from the decision already taken.
  await Promise.all([
    publish(
      deps,
      events.map((event) => envelope({ verificationId, tenant, at }, event)),
    ),
    verified ? recordVerified(deps, tenant, verificationId, decision.prefix) : undefined,
  ]);
  return {
    result: byPhone && !verified ? CheckResult.CHECK_RESULT_REJECTED : RESULT[decision.outcome],
    verificationId: byPhone && !verified ? "" : verificationId,
    // By phone, a failure looks the same whether or not a verification exists.
    checksRemaining: byPhone && !verified ? 0 : Math.max(0, decision.maxChecks - decision.checksUsed),
  };
}

async function requestOverride(
  deps: VerificationDeps,
  agent: string,
  verificationId: string,
  reason: string,
): Promise<OverrideRequest> {
  const overrideTtlMs = deps.overrideTtlMs ?? DEFAULT_OVERRIDE_TTL_MS;
  const state = await deps.projection.read(verificationId);
  if (!state) throw new OtpError("OTP_NOT_FOUND", "verification not found");
  const precheck = decideOverride(state, { agent, approver: `${agent}#pending-second-agent`, reason });
  if (!precheck.ok) throw new OtpError(precheck.code, precheck.reason);
  const overrideId = `ovr_${randomBytes(12).toString("base64url")}`;
  await deps.store.run(setIfAbsentGet, {
    key: overrideRequestName(overrideId),
    value: JSON.stringify({ verificationId, agent, reason }),
    ttlMs: overrideTtlMs,
  });
  return { overrideId, verificationId, expiresAt: deps.now() + overrideTtlMs };
}

async function approveOverride(
  deps: VerificationDeps,
  approver: string,
  overrideId: string,
): Promise<VerificationState> {
  const { store, projection, now } = deps;
  const overrideTtlMs = deps.overrideTtlMs ?? DEFAULT_OVERRIDE_TTL_MS;
  if (!/^ovr_[A-Za-z0-9_-]{16}$/.test(overrideId)) throw invalidArgument("override_id", "malformed");
  // One script reads the request, compares the agents and takes it: of two approvals at
  // once only one gets it, and the requesting agent cannot use it up (override-claim.ts).
  const claim = await store.run(claimOverride, { overrideId, approver });
  if (claim.kind === "missing") throw new OtpError("OTP_NOT_FOUND", "override request not found or expired");
  if (claim.kind === "same-agent")
    throw new OtpError("OTP_FAILED_PRECONDITION", "override needs a second, different approver");
  const pending = claim.pending;
  // Until the override is on the log, any failure puts the request back, so the approval
  // can be retried: a store that failed to read the verification must not use it up.
  const putBack = () =>
    store
      .run(setIfAbsentGet, {
        key: overrideRequestName(overrideId),
        value: JSON.stringify(pending),
        ttlMs: overrideTtlMs,
      })
      .catch(() => undefined);
  let state: VerificationState;
  let env: EventEnvelope;
  try {
    const read = await projection.read(pending.verificationId);
    if (!read) throw new OtpError("OTP_NOT_FOUND", "verification not found");
    state = read;
    const decision = decideOverride(state, { agent: pending.agent, approver, reason: pending.reason });
    if (!decision.ok) throw new OtpError(decision.code, decision.reason);
    const event: EventBody = {
      $case: "verificationOverridden",
      value: { agent: pending.agent, approver, reason: pending.reason },
    };
    env = envelope({ verificationId: state.id, tenant: state.tenant, at: new Date(now()) }, event);
    await publish(deps, [env]);
  } catch (err) {
    await putBack();
    throw err;
  }
  return projection.apply(state.id, state.tenant, [env]);
}
