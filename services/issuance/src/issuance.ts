/**
 * The issuance application service: starts verifications, resends, cancels and reads them.
 * Every change is an event on the bus first (acks=all), then the hot projection, then the
 * answer; a failed publish answers UNAVAILABLE and leaves no half-made verification behind. Once
 * the event is on the log the change has happened: a store that cannot take it right then gets it
 * from the projector, and the caller its answer (a retry would make a second verification).
 */
import type { EventEnvelope } from "../../../proto/gen/otp/events/v1/events";
import { Channel } from "../../../proto/gen/otp/v1/common";
import type { EventBus } from "../../shared/src/bus/port";
import { randomCode } from "../../shared/src/crypto/codes";
import type { SecretMaterial } from "../../shared/src/crypto/keys";
import { sealedField } from "../../shared/src/crypto/sealer";
import { evolve, initialState, type VerificationState } from "../../shared/src/domain/verification";
import { decideCancel, decideResend, type Rejection } from "../../shared/src/domain/verification-decide";
import { OtpError, invalidArgument, isOtpError } from "../../shared/src/errors";
import { envelope, newVerificationId, type EventBody } from "../../shared/src/events/envelope";
import type { TopicNames } from "../../shared/src/events/topics";
import { classify, type NumberingPlan } from "../../shared/src/numbering";
import { silentLogger, type Logger } from "../../shared/src/log";
import { maskPhone } from "../../shared/src/privacy";
import {
  effectivePurposeRules,
  resolveLocale,
  riskTierToProto,
  type PolicyBook,
} from "../../shared/src/policy";
import type { VerificationProjection } from "../../shared/src/projection/projection";
import { destinationPrefix } from "../../shared/src/projection/view";
import type { Store } from "../../shared/src/store/port";
import {
  activeKey,
  IDEMPOTENCY_TTL_MS,
  idempotencyKey,
  idempotencyTarget,
  idempotencyValue,
} from "../../shared/src/projection/projector";
import { bindingDigest } from "../../shared/src/crypto/code-hash";
import { setIfAbsentGet } from "../../shared/src/store/scripts";
import type { AbuseGuards, AdmitRequest, SendSubject } from "./abuse-guards";
import { validateStart, type StartInput } from "./start-request";
import type { DistrictSet } from "../../shared/src/domain/districts";
import type { StartVerificationRequest } from "../../../proto/gen/otp/v1/issuance";
import type { SilentGateway } from "../../shared/src/policy/types";
import { authorizeUrl } from "../../shared/src/silent/authorize-url";
import { servableChannels, type ServeDecision } from "../../shared/src/silent/eligibility";
import { openSilentSession } from "../../shared/src/silent/session";

export interface IssuanceDeps {
  bus: EventBus;
  store: Store;
  projection: VerificationProjection;
  secrets: SecretMaterial;
  policies: PolicyBook;
  plan?: NumberingPlan;
  guards: AbuseGuards;
  topics: TopicNames;
  now: () => number;
  /** The platform's districts: a hint outside them is recorded as `other` (default: the built-in list). */
  districts?: DistrictSet;
  /** Whether an incident is declared for the district (policy may loosen low-risk purposes). */
  incidentActive?: (district: string) => Promise<boolean>;
  /** How long an idempotency key keeps answering with its verification. */
  idempotencyTtlMs?: number;
  /**
   * After a failed publish, how long the idempotency key still waits for the start it names
   * (a publish that timed out may land): the projector then keeps it; else it is released.
   */
  publishDoubtMs?: number;
  logger?: Logger;
}

export interface StartResult {
  state: VerificationState;
  reused: boolean;
  /** The silent step's authorization URL, when the workflow starts with one that can run. */
  silent?: { url: string; expiresAt: number };
}

export interface Issuance {
  start(tenant: string, request: StartVerificationRequest): Promise<StartResult>;
  resend(tenant: string, verificationId: string, channel: Channel, by: string): Promise<VerificationState>;
  cancel(tenant: string, verificationId: string, reason: string, by: string): Promise<VerificationState>;
  get(tenant: string, verificationId: string): Promise<VerificationState>;
}

/** No channel the purpose allows can serve the request: each reason names its request field. */
function noAllowedChannel(purpose: string, serve: ServeDecision): OtpError {
  const violations = serve.refused.map(({ field, description }) => ({ field, description }));
  return new OtpError(
    "OTP_NO_ALLOWED_CHANNEL",
    `no channel allowed for purpose ${purpose} can serve this request: ${violations.map((v) => `${v.field}: ${v.description}`).join("; ")}`,
    { violations },
  );
}

/** The key is the client's own (printable ASCII, at most 128 characters): safe to name back. */
const idempotencyMismatch = (key: string): OtpError =>
  new OtpError(
    "OTP_IDEMPOTENCY_MISMATCH",
    `idempotency key "${key}" was first used with other parameters (phone, purpose, channel or transaction binding); use a new key for a new request`,
  );

const notFound = (): OtpError => new OtpError("OTP_NOT_FOUND", "verification not found");

function rejected(r: Rejection): OtpError {
  return new OtpError(r.code, r.reason, r.retryAfterMs === undefined ? {} : { retryAfterMs: r.retryAfterMs });
}

export function createIssuance(deps: IssuanceDeps): Issuance {
  const { bus, store, projection, secrets, policies, guards, topics, now } = deps;
  const idempotencyTtlMs = deps.idempotencyTtlMs ?? IDEMPOTENCY_TTL_MS;
  const publishDoubtMs = deps.publishDoubtMs ?? 30_000;
  const logger = deps.logger ?? silentLogger();

  const publish = async (env: EventEnvelope): Promise<void> => {
    try {
      await bus.publish(topics.verifications, env);
    } catch (cause) {
      throw new OtpError("OTP_DEPENDENCY_UNAVAILABLE", "event log unavailable, retry shortly", {
        cause,
        retryAfterMs: 500,
      });
    }
  };

  /** Writes a published event's effect to the store, or leaves it to the projector. */
  const project = async (
    env: EventEnvelope,
    write: () => Promise<VerificationState>,
    folded: () => VerificationState,
  ): Promise<VerificationState> => {
    try {
      return await write();
    } catch (err) {
      if (!isOtpError(err) || err.code !== "OTP_STATE_UNAVAILABLE") throw err;
      logger.warn("event published, store unavailable: the projector will write it", {
        verificationId: env.verificationId,
        event: env.event?.$case,
      });
      return folded();
    }
  };

  const append = async (state: VerificationState, event: EventBody): Promise<VerificationState> => {
    const env = envelope({ verificationId: state.id, tenant: state.tenant, at: new Date(now()) }, event);
    await publish(env);
    return project(
      env,
      () => projection.apply(state.id, state.tenant, [env]),
      () => evolve(state, env),
    );
  };

  const load = async (tenant: string, verificationId: string): Promise<VerificationState> => {
    const state = await projection.read(verificationId);
    if (!state || state.tenant !== tenant) throw notFound();
    return state;
  };

  /**
   * The first request with an idempotency key may still be writing its verification, or may
   * have pointed the key at an active verification it reused: follow the key until it resolves.
   */
  const awaitIdempotent = async (tenant: string, key: string, first: string): Promise<VerificationState> => {
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
  };

  const isLive = (s: VerificationState): boolean =>
    (s.status === "pending" || s.status === "delivered") && now() < s.expiresAt;

  const resend = async (
    tenant: string,
    verificationId: string,
    channel: Channel,
    by: string,
  ): Promise<VerificationState> => {
    const state = await load(tenant, verificationId);
    const decision = decideResend(state, channel, now());
    if (!decision.ok) throw rejected(decision);
    // One resend per cooldown even when several arrive before the first is projected.
    const claim = await store.run(setIfAbsentGet, {
      key: `resend|${verificationId}`,
      value: by || "resend",
      ttlMs: Math.max(1000, state.resendCooldownMs),
    });
    if (!claim.created)
      throw new OtpError("OTP_RATE_LIMITED", "resend cooldown", { retryAfterMs: state.resendCooldownMs });
    const policy = policies.policyFor(tenant);
    const e164 = state.phone ? secrets.sealer.open(state.phone, sealedField(state.id, "phone")) : "";
    await guards.admit({
      kind: "resend",
      countRequest: true,
      subject: {
        tenant,
        policy,
        phoneKey: secrets.hasher.lookup("phone", e164),
        e164,
        prefix: destinationPrefix(state.maskedPhone),
        country: state.country,
        clientIp: "",
        deviceId: "",
      },
    });
    const newCode = state.codePerAttempt
      ? secrets.sealer.seal(randomCode(codeLengthOf(state, policy)), sealedField(state.id, "code"))
      : undefined;
    return append(state, {
      $case: "resendRequested",
      value: { channel, newCode, expiresAt: new Date(state.expiresAt) },
    });
  };

  const codeLengthOf = (state: VerificationState, policy: ReturnType<PolicyBook["policyFor"]>): number =>
    policy.purposes[state.purpose]?.codeLength ?? 6;

  const start = async (tenant: string, request: StartVerificationRequest): Promise<StartResult> => {
    // Load admission happened before the call got here (the server's admission gate).
    return startAdmitted(tenant, validateStart(request, deps.districts));
  };

  /**
   * One store call checks and counts every limit and claims both keys. A key naming another
   * verification answers instead (undefined: admitted); an active one that has ended is
   * replaced by a further call.
   */
  const admitStart = async (
    tenant: string,
    input: StartInput,
    request: AdmitRequest,
  ): Promise<StartResult | undefined> => {
    for (let round = 0; ; round++) {
      const admission = await guards.admit(request);
      if (admission.kind === "admitted") return undefined;
      if (admission.kind === "idempotency-mismatch") throw idempotencyMismatch(input.idempotencyKey);
      if (admission.kind === "idempotent" && request.idempotency) {
        const state = await awaitIdempotent(tenant, request.idempotency.key, admission.verificationId);
        return { state, reused: true };
      }
      const existing = await projection.read(admission.verificationId);
      if (existing && existing.tenant === tenant && isLive(existing)) {
        if (input.idempotencyKey) await rememberIdempotency(tenant, input, existing.id);
        if (!input.resendIfActive) return { state: existing, reused: true };
        return { state: await resend(tenant, existing.id, input.channelPreference, "start"), reused: true };
      }
      if (round >= 3 || !request.active) {
        throw new OtpError("OTP_STATE_UNAVAILABLE", "verification is being replaced, retry shortly", {
          retryAfterMs: 100,
        });
      }
      request.countRequest = false;
      request.active = { ...request.active, replacing: admission.verificationId };
    }
  };

  const startAdmitted = async (tenant: string, input: StartInput): Promise<StartResult> => {
    const policy = policies.policyFor(tenant);
    const incident = deps.incidentActive ? await deps.incidentActive(input.district) : false;
    const rules = effectivePurposeRules(policy, input.purpose, { incidentActive: incident });
    const number = classify(input.phone.e164, deps.plan);
    let serve: ServeDecision | undefined;
    try {
      if (rules.requireTransactionBinding && !input.transaction) {
        throw invalidArgument("transaction", `purpose ${input.purpose} requires amount, currency and payee`);
      }
      const workflow = (policy.workflows[rules.workflow] ?? []).map((s) => s.channel);
      guards.checkDestination(policy, number.country, number.type, workflow);
      serve = servableChannels({
        policy,
        rules,
        purpose: input.purpose,
        operator: number.operatorGuess ?? "",
        numberType: number.type,
        mobileData: input.mobileData,
      });
      if (serve.channels.length === 0) throw noAllowedChannel(input.purpose, serve);
    } catch (err) {
      // A refused request still counts toward the tenant's request rate, which answers first.
      await guards.admitTenant(tenant, policy);
      throw err;
    }

    const verificationId = newVerificationId();
    const phoneKey = secrets.hasher.lookup("phone", input.phone.e164);
    const ttlMs = rules.ttlSeconds * 1000;
    const activeName = activeKey(tenant, phoneKey, input.purpose);
    const subject: SendSubject = {
      tenant,
      policy,
      phoneKey,
      e164: input.phone.e164,
      prefix: destinationPrefix(maskPhone(input.phone.e164)),
      country: number.country,
      clientIp: input.clientIp,
      deviceId: input.deviceId,
    };
    const request: AdmitRequest = {
      kind: "start",
      subject,
      countRequest: true,
      idempotency: input.idempotencyKey
        ? {
            key: idemKey(tenant, input.idempotencyKey),
            value: idempotencyValue(verificationId, fingerprintOf(input)),
            ttlMs: idempotencyTtlMs,
          }
        : undefined,
      active: { key: activeName, value: verificationId, ttlMs },
    };
    const answered = await admitStart(tenant, input, request);
    if (answered) return answered;

    const at = now();
    const expiresAt = at + ttlMs;
    const silentStep = policy.workflows[rules.workflow]?.[0];
    const silentGateway = serve?.silent;
    const silent =
      silentGateway && silentStep?.channel === "silent"
        ? await offerSilent({
            verificationId,
            tenant,
            gateway: silentGateway,
            operator: number.operatorGuess ?? "",
            phone: input.phone.e164,
            stepDeadline: Math.min(expiresAt, at + silentStep.timeoutSeconds * 1000),
            expiresAt,
          })
        : undefined;
    const seal = (value: string, field: "phone" | "code" | "transaction") =>
      secrets.sealer.seal(value, sealedField(verificationId, field));
    const env = envelope(
      { verificationId, tenant, at: new Date(at) },
      {
        $case: "verificationStarted",
        value: {
          phone: seal(input.phone.e164, "phone"),
          maskedPhone: maskPhone(input.phone.e164),
          country: number.country,
          operator: number.operatorGuess ?? "",
          district: input.district,
          purpose: input.purpose,
          riskTier: riskTierToProto(rules.riskTier),
          locale: resolveLocale(policy, input.locale),
          channelPreference: input.channelPreference,
          code: seal(randomCode(rules.codeLength), "code"),
          codeLength: rules.codeLength,
          expiresAt: new Date(expiresAt),
          maxChecks: rules.maxChecks,
          maxSends: rules.maxSends,
          codePerAttempt: rules.codePerAttempt,
          transaction: input.transaction ? seal(JSON.stringify(input.transaction), "transaction") : undefined,
          hasTransactionBinding: input.transaction !== undefined,
          idempotencyKeyHash: input.idempotencyKey ? secrets.hasher.lookup("idem", input.idempotencyKey) : "",
          idempotencyFingerprint: input.idempotencyKey ? fingerprintOf(input) : "",
          resendCooldownSeconds: rules.resendCooldownSeconds,
          numberType: number.type,
          resendUntil: new Date(Math.min(expiresAt, at + rules.resendWindowSeconds * 1000)),
          silentGateway: silent ? silentGateway!.name : "",
          silentSkippedReason: silent ? "" : (serve?.silentSkipped ?? ""),
        },
      },
    );
    try {
      await publish(env);
    } catch (err) {
      await Promise.all([
        store.del(store.key(activeName)).catch(() => 0),
        input.idempotencyKey
          ? rememberIdempotency(tenant, input, verificationId, publishDoubtMs).catch(() => 0)
          : 0,
      ]);
      throw err;
    }
    const state = await project(
      env,
      () => projection.applyFresh(verificationId, tenant, [env]),
      () => evolve(initialState(verificationId, tenant), env),
    );
    return { state, reused: false, ...(silent ? { silent } : {}) };
  };

  /** Opens the server half of the silent step and builds the URL the app opens. */
  const offerSilent = async (o: {
    verificationId: string;
    tenant: string;
    gateway: { name: string; gateway: SilentGateway };
    operator: string;
    phone: string;
    stepDeadline: number;
    expiresAt: number;
  }): Promise<{ url: string; expiresAt: number }> => {
    const opened = await openSilentSession(
      store,
      secrets,
      {
        verificationId: o.verificationId,
        tenant: o.tenant,
        gateway: o.gateway.name,
        operator: o.operator,
        phone: o.phone,
        stepDeadline: o.stepDeadline,
        expiresAt: o.expiresAt,
      },
      now(),
    );
    return { url: authorizeUrl(o.gateway.gateway, opened), expiresAt: o.stepDeadline };
  };

  const idemKey = (tenant: string, key: string): string =>
    idempotencyKey(tenant, secrets.hasher.lookup("idem", key));

  /**
   * What a reused idempotency key is compared on: the parameters that decide who gets which
   * code (phone, purpose, channel preference, transaction binding). A keyed hash, so the store
   * holds no phone number.
   */
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

  const rememberIdempotency = async (
    tenant: string,
    input: StartInput,
    verificationId: string,
    ttlMs = idempotencyTtlMs,
  ): Promise<void> => {
    const value = idempotencyValue(verificationId, fingerprintOf(input));
    await store.set(store.key(idemKey(tenant, input.idempotencyKey)), value, { ttlMs });
  };

  return {
    start,
    resend,
    async cancel(tenant, verificationId, reason, by) {
      const state = await load(tenant, verificationId);
      const decision = decideCancel(state);
      if (!decision.ok) throw rejected(decision);
      return append(state, { $case: "verificationCancelled", value: { reason: reason.slice(0, 200), by } });
    },
    get: load,
  };
}
