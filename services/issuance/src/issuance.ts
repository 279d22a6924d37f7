/**
 * The issuance application service: starts verifications, resends, cancels and reads them.
 * Every change is an event on the bus first (acks=all), then the hot projection, then the
 * answer; a failed publish answers UNAVAILABLE and leaves no half-made verification behind. Once
 * the event is on the log the change has happened: a store that cannot take it right then gets it
 * from the projector, and the caller its answer (a retry would make a second verification).
 *
 * What each request becomes is decided in `core/` from plain data; this handler validates, loads
 * the facts (policy, incident, number, the limits script's answer, the verification a key names),
 * asks the core, then publishes and projects what it decided.
 */
import type { EventEnvelope } from "@proto/otp/events/v1/events";
import { Channel } from "@proto/otp/v1/common";
import type { StartVerificationRequest } from "@proto/otp/v1/issuance";
import type { EventBus } from "@platform/bus/port";
import { randomCode } from "@platform/crypto/codes";
import type { SecretMaterial } from "@platform/crypto/keys";
import { sealedField } from "@platform/crypto/sealer";
import type { DistrictSet } from "@domain/districts";
import { evolve, initialState, type VerificationState } from "@domain/verification";
import { OtpError, isOtpError } from "@domain/errors";
import { envelope, newVerificationId, type EventBody } from "@platform/events/envelope";
import type { TopicNames } from "@platform/bus/topics";
import { silentLogger, type Logger } from "@platform/log";
import { classify, type NumberingPlan } from "@domain/numbering";
import type { PolicyBook, TenantPolicy } from "@domain/policy";
import { maskPhone } from "@domain/privacy";
import type { VerificationProjection } from "@verification-state/projection";
import { activeKey, IDEMPOTENCY_TTL_MS } from "@verification-state/projector";
import { destinationPrefix } from "@verification-state/view";
import { authorizeUrl } from "@platform/silent/authorize-url";
import { openSilentSession } from "@platform/silent/session";
import type { Store } from "@platform/store/port";
import { setIfAbsentGet } from "@platform/store/scripts";
import type { AbuseGuards, AdmitRequest, SendSubject } from "./abuse-guards";
import { decideActive, decideAdmission } from "./core/admission";
import {
  decideCancellation,
  decideResendRequest,
  notFound,
  resendCooldown,
  resendRequested,
} from "./core/changes";
import {
  decideStart,
  silentOffer,
  startedEvent,
  type SilentOffer,
  type StartFacts,
  type StartPlan,
} from "./core/start";
import { createIdempotency, type Idempotency } from "./idempotency";
import { validateStart, type StartInput } from "./start-request";

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
  /**
   * Each refusal of a start's screen (destination, binding, channels) that counts as a request,
   * before its tenant rate is counted: the guard-block metric counts the destination refusals.
   */
  onScreenRefusal?: (error: OtpError) => void;
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

/** The dependencies with their defaults, and the idempotency keys: what every step below reads. */
interface Context extends IssuanceDeps {
  idempotencyTtlMs: number;
  publishDoubtMs: number;
  logger: Logger;
  idempotency: Idempotency;
}

export function createIssuance(deps: IssuanceDeps): Issuance {
  const ctx: Context = {
    ...deps,
    idempotencyTtlMs: deps.idempotencyTtlMs ?? IDEMPOTENCY_TTL_MS,
    publishDoubtMs: deps.publishDoubtMs ?? 30_000,
    logger: deps.logger ?? silentLogger(),
    idempotency: createIdempotency(deps),
  };
  return {
    // Load admission happened before the call got here (the server's admission gate).
    start: async (tenant, request) => startValid(ctx, tenant, validateStart(request, deps.districts)),
    resend: (tenant, verificationId, channel, by) => resend(ctx, tenant, verificationId, channel, by),
    async cancel(tenant, verificationId, reason, by) {
      const state = await load(ctx, tenant, verificationId);
      const decision = decideCancellation(state, reason, by);
      if (decision.kind === "refused") throw decision.error;
      return append(ctx, state, decision.event);
    },
    get: (tenant, verificationId) => load(ctx, tenant, verificationId),
  };
}

async function publish(ctx: Context, env: EventEnvelope): Promise<void> {
  try {
    await ctx.bus.publish(ctx.topics.verifications, env);
  } catch (cause) {
    throw new OtpError("OTP_DEPENDENCY_UNAVAILABLE", "event log unavailable, retry shortly", {
      cause,
      retryAfterMs: 500,
    });
  }
}

/** Writes a published event's effect to the store, or leaves it to the projector. */
async function project(
  ctx: Context,
  env: EventEnvelope,
  write: () => Promise<VerificationState>,
  folded: () => VerificationState,
): Promise<VerificationState> {
  try {
    return await write();
  } catch (err) {
    if (!isOtpError(err) || err.code !== "OTP_STATE_UNAVAILABLE") throw err;
    ctx.logger.warn("event published, store unavailable: the projector will write it", {
      verificationId: env.verificationId,
      event: env.event?.$case,
    });
    return folded();
  }
}

async function append(ctx: Context, state: VerificationState, event: EventBody): Promise<VerificationState> {
  const env = envelope({ verificationId: state.id, tenant: state.tenant, at: new Date(ctx.now()) }, event);
  await publish(ctx, env);
  return project(
    ctx,
    env,
    () => ctx.projection.apply(state.id, state.tenant, [env]),
    () => evolve(state, env),
  );
}

async function load(ctx: Context, tenant: string, verificationId: string): Promise<VerificationState> {
  const state = await ctx.projection.read(verificationId);
  if (!state || state.tenant !== tenant) throw notFound();
  return state;
}

async function resend(
  ctx: Context,
  tenant: string,
  verificationId: string,
  channel: Channel,
  by: string,
): Promise<VerificationState> {
  const { secrets } = ctx;
  const state = await load(ctx, tenant, verificationId);
  const decision = decideResendRequest(state, channel, ctx.now(), by);
  if (decision.kind === "refused") throw decision.error;
  const claim = await ctx.store.run(setIfAbsentGet, decision.claim);
  if (!claim.created) throw resendCooldown(state);
  const policy = ctx.policies.policyFor(tenant);
  const e164 = state.phone ? secrets.sealer.open(state.phone, sealedField(state.id, "phone")) : "";
  await ctx.guards.admit({
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
  const sealNewCode = (length: number) =>
    secrets.sealer.seal(randomCode(length), sealedField(state.id, "code"));
  return append(ctx, state, resendRequested(state, channel, policy, sealNewCode));
}

/**
 * One store call checks and counts every limit and claims both keys. A key naming another
 * verification answers instead (undefined: admitted); an active one that has ended is
 * replaced by a further call.
 */
async function admitStart(
  ctx: Context,
  tenant: string,
  input: StartInput,
  request: AdmitRequest,
): Promise<StartResult | undefined> {
  for (let round = 0; ; round++) {
    const step = decideAdmission(await ctx.guards.admit(request), {
      idempotencyKey: input.idempotencyKey,
      claimsIdempotency: request.idempotency !== undefined,
    });
    if (step.kind === "admitted") return undefined;
    if (step.kind === "refused") throw step.error;
    if (step.kind === "follow-idempotent") {
      const state = await ctx.idempotency.follow(tenant, request.idempotency!.key, step.verificationId);
      return { state, reused: true };
    }
    const existing = await ctx.projection.read(step.verificationId);
    const active = decideActive(step.verificationId, existing, {
      tenant,
      now: ctx.now(),
      round,
      idempotencyKey: input.idempotencyKey,
      resendIfActive: input.resendIfActive,
      claimsActive: request.active !== undefined,
    });
    if (active.kind === "refused") throw active.error;
    if (active.kind === "reuse") {
      if (active.remember)
        await ctx.idempotency.remember(tenant, input, active.state.id, ctx.idempotencyTtlMs);
      if (!active.resend) return { state: active.state, reused: true };
      return {
        state: await resend(ctx, tenant, active.state.id, input.channelPreference, "start"),
        reused: true,
      };
    }
    request.countRequest = false;
    request.active = { ...request.active!, replacing: active.replacing };
  }
}

/** What the limits script needs of a start: its subject and the keys it claims. */
function admitRequest(
  ctx: Context,
  tenant: string,
  input: StartInput,
  policy: TenantPolicy,
  facts: StartFacts,
  plan: StartPlan,
  verificationId: string,
): AdmitRequest {
  const phoneKey = ctx.secrets.hasher.lookup("phone", input.phone.e164);
  const subject: SendSubject = {
    tenant,
    policy,
    phoneKey,
    e164: input.phone.e164,
    prefix: destinationPrefix(maskPhone(input.phone.e164)),
    country: facts.number.country,
    clientIp: input.clientIp,
    deviceId: input.deviceId,
  };
  return {
    kind: "start",
    subject,
    countRequest: true,
    idempotency: input.idempotencyKey
      ? {
          key: ctx.idempotency.keyOf(tenant, input.idempotencyKey),
          value: ctx.idempotency.valueFor(input, verificationId),
          ttlMs: ctx.idempotencyTtlMs,
        }
      : undefined,
    active: { key: activeKey(tenant, phoneKey, input.purpose), value: verificationId, ttlMs: plan.ttlMs },
  };
}

/** The facts a start is decided on: whether an incident is declared, and the number's classification. */
async function startFacts(ctx: Context, input: StartInput): Promise<StartFacts> {
  const incidentActive = ctx.incidentActive ? await ctx.incidentActive(input.district) : false;
  const number = classify(input.phone.e164, ctx.plan);
  return {
    number: { country: number.country, type: number.type, operator: number.operatorGuess ?? "" },
    incidentActive,
  };
}

async function startValid(ctx: Context, tenant: string, input: StartInput): Promise<StartResult> {
  const { secrets, idempotency } = ctx;
  const policy = ctx.policies.policyFor(tenant);
  const facts = await startFacts(ctx, input);
  const plan = decideStart(input, policy, facts);
  if (plan.kind === "refused") {
    if (plan.countsRequest) {
      ctx.onScreenRefusal?.(plan.error);
      // A refused request still counts toward the tenant's request rate, which answers first.
      await ctx.guards.admitTenant(tenant, policy);
    }
    throw plan.error;
  }

  const verificationId = newVerificationId();
  const request = admitRequest(ctx, tenant, input, policy, facts, plan, verificationId);
  const answered = await admitStart(ctx, tenant, input, request);
  if (answered) return answered;

  const at = ctx.now();
  const offer = silentOffer(policy, plan, at);
  const silent = offer ? await openSilent(ctx, verificationId, tenant, facts, input, offer) : undefined;
  const { body } = startedEvent(input, policy, facts, plan, {
    at,
    seal: (value, field) => secrets.sealer.seal(value, sealedField(verificationId, field)),
    newCode: randomCode,
    idempotencyKeyHash: input.idempotencyKey ? idempotency.keyHash(input.idempotencyKey) : "",
    idempotencyFingerprint: input.idempotencyKey ? idempotency.fingerprintOf(input) : "",
    silentGateway: silent ? offer!.gateway.name : undefined,
  });
  const env = envelope({ verificationId, tenant, at: new Date(at) }, body);
  try {
    await publish(ctx, env);
  } catch (err) {
    await Promise.all([
      ctx.store.del(ctx.store.key(request.active!.key)).catch(() => 0),
      input.idempotencyKey
        ? idempotency.remember(tenant, input, verificationId, ctx.publishDoubtMs).catch(() => 0)
        : 0,
    ]);
    throw err;
  }
  const state = await project(
    ctx,
    env,
    () => ctx.projection.applyFresh(verificationId, tenant, [env]),
    () => evolve(initialState(verificationId, tenant), env),
  );
  return { state, reused: false, ...(silent ? { silent } : {}) };
}

/** Opens the server half of the silent step and builds the URL the app opens. */
async function openSilent(
  ctx: Context,
  verificationId: string,
  tenant: string,
  facts: StartFacts,
  input: StartInput,
  offer: SilentOffer,
): Promise<{ url: string; expiresAt: number }> {
  const opened = await openSilentSession(
    ctx.store,
    ctx.secrets,
    {
      verificationId,
      tenant,
      gateway: offer.gateway.name,
      operator: facts.number.operator,
      phone: input.phone.e164,
      stepDeadline: offer.stepDeadline,
      expiresAt: offer.expiresAt,
    },
    ctx.now(),
  );
  return { url: authorizeUrl(offer.gateway.gateway, opened), expiresAt: offer.stepDeadline };
}
