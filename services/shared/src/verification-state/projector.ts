/**
 * Keeps the hot projection in step with the log: every lifecycle event is folded into the
 * stored state (idempotently: evolve skips events it has applied). The events of one
 * verification in a fetched batch are folded together: one read and one write per verification
 * per batch, not per event. Also restores the lookup
 * keys a start writes (active verification per phone + purpose, idempotency key), so a store
 * rebuilt from the log answers as before. `rebuild` replays the whole topic in a fresh group,
 * e.g. after the store lost its data.
 */
import { randomUUID } from "node:crypto";
import type { EventEnvelope } from "@proto/otp/events/v1/events";
import type { BusMessage, EventBus, Subscription } from "@platform/bus/port";
import type { SecretMaterial } from "@platform/crypto/keys";
import { sealedField } from "@platform/crypto/sealer";
import { isFinal, type VerificationState } from "@domain/verification";
import type { TopicNames } from "@platform/bus/topics";
import type { Logger } from "@platform/log";
import type { Store } from "@platform/store/port";
import { taggedKey } from "@platform/store/port";
import type { VerificationProjection } from "./projection";

export interface ProjectorDeps {
  bus: EventBus;
  store: Store;
  projection: VerificationProjection;
  secrets: SecretMaterial;
  topics: TopicNames;
  logger: Logger;
  now: () => number;
}

const ROUTING_ONLY = new Set([
  "incidentDeclared",
  "incidentResolved",
  "channelHealthChanged",
  "handoffRequested",
  "supportMessageReceived",
]);

/** How long an idempotency key answers with its verification (issuance's default). */
export const IDEMPOTENCY_TTL_MS = 86_400_000;

/**
 * The start's lookup keys: the active verification per phone + purpose, and the idempotency
 * key. Issuance claims them in its limits script, so the tenant is their hash tag (one cluster
 * slot with the tenant's limits).
 */
export const activeKey = (tenant: string, phoneKey: string, purpose: string): string =>
  taggedKey("vact", tenant, `${phoneKey}|${purpose}`);
export const idempotencyKey = (tenant: string, keyHash: string): string =>
  taggedKey("videm", tenant, keyHash);
/**
 * An idempotency key's value: the verification it names and the keyed fingerprint of the
 * parameters it was first used with ("" when unknown: a value written before fingerprints,
 * which then matches any parameters).
 */
export const idempotencyValue = (verificationId: string, fingerprint: string): string =>
  fingerprint === "" ? verificationId : `${verificationId}|${fingerprint}`;
export function idempotencyTarget(value: string): { verificationId: string; fingerprint: string } {
  const bar = value.indexOf("|");
  if (bar < 0) return { verificationId: value, fingerprint: "" };
  return { verificationId: value.slice(0, bar), fingerprint: value.slice(bar + 1) };
}

export function createProjector(deps: ProjectorDeps) {
  const { store, projection, secrets } = deps;

  const projected = (env: EventEnvelope): boolean =>
    env.verificationId !== "" && env.event !== undefined && !ROUTING_ONLY.has(env.event.$case);

  /** A start's lookup keys, while the verification is live after it (`state`). */
  const restoreLookupKeys = async (env: EventEnvelope, state: VerificationState): Promise<void> => {
    if (env.event?.$case !== "verificationStarted" || isFinal(state)) return;
    const ttlMs = state.expiresAt - deps.now();
    if (ttlMs <= 0) return;
    const started = env.event.value;
    const writes: Promise<unknown>[] = [];
    if (started.phone) {
      const phone = secrets.sealer.open(started.phone, sealedField(env.verificationId, "phone"));
      const key = activeKey(env.tenant, secrets.hasher.lookup("phone", phone), started.purpose);
      writes.push(store.set(store.key(key), env.verificationId, { ttlMs, onlyIfAbsent: true }));
    }
    if (started.idempotencyKeyHash) {
      // Written over, not only if absent: after a publish that failed in doubt, issuance keeps
      // the key briefly; the start landing after all makes it answer for a day.
      const key = idempotencyKey(env.tenant, started.idempotencyKeyHash);
      const startedAt = env.occurredAt?.getTime() ?? deps.now();
      const keepMs = IDEMPOTENCY_TTL_MS - (deps.now() - startedAt);
      const value = idempotencyValue(env.verificationId, started.idempotencyFingerprint);
      if (keepMs > 0) writes.push(store.set(store.key(key), value, { ttlMs: keepMs }));
    }
    await Promise.all(writes);
  };

  /**
   * Events of one verification, in log order: one read, one write. A start's lookup keys are
   * written only where the projector folded the start in itself: where the stored state had it
   * already, issuance wrote it, after claiming those keys in its limits script (ADR 0008), so
   * they are there; where it did not (a store rebuilt from the log), they are restored.
   */
  const applyRun = async (run: EventEnvelope[]): Promise<void> => {
    const [first] = run;
    if (!first) return;
    const { steps, changed } = await projection.applyEach(first.verificationId, first.tenant, run);
    await Promise.all(run.flatMap((env, i) => (changed[i] ? [restoreLookupKeys(env, steps[i]!)] : [])));
  };

  const handle = async (message: BusMessage): Promise<void> => {
    if (projected(message.envelope)) await applyRun([message.envelope]);
  };

  /** A fetched batch: its events grouped by verification, each group folded into one write. */
  const handleBatch = async (messages: BusMessage[]): Promise<void> => {
    const runs = new Map<string, EventEnvelope[]>();
    for (const { envelope: env } of messages) {
      if (!projected(env)) continue;
      // The tenant is part of the group: a stray event of another tenant fails on its own.
      const id = `${env.tenant}\u0000${env.verificationId}`;
      const run = runs.get(id);
      if (run) run.push(env);
      else runs.set(id, [env]);
    }
    await Promise.all([...runs.values()].map(applyRun));
  };

  const subscribe = (
    groupId: string,
    fromBeginning: boolean,
    observe?: (message: BusMessage) => void,
  ): Promise<Subscription> =>
    deps.bus.subscribe({
      groupId,
      topics: [deps.topics.verifications],
      fromBeginning,
      handler: async (message) => {
        await handle(message);
        observe?.(message);
      },
      batchHandler: async (messages) => {
        await handleBatch(messages);
        if (observe) messages.forEach(observe);
      },
      partitionConcurrency: 4,
    });

  return {
    /** The steady projector: one group shared by every replica. */
    start: (groupId = "otp-projector") => subscribe(groupId, true),
    /**
     * Replays the whole log into the store in a fresh group; stop it once caught up. `observe`
     * sees each message once it is applied (see store/loss-watch.ts).
     */
    rebuild: (observe?: (message: BusMessage) => void) => {
      // What the projection remembers writing is gone with the store: the replay writes it again.
      projection.forget();
      return subscribe(`otp-projector-rebuild-${randomUUID()}`, true, observe);
    },
    handle,
    handleBatch,
  };
}

export type Projector = ReturnType<typeof createProjector>;
