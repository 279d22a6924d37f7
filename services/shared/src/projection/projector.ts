/**
 * Keeps the hot projection in step with the log: every lifecycle event is folded into the
 * stored state (idempotently: evolve skips events it has applied). Also restores the lookup
 * keys a start writes (active verification per phone + purpose, idempotency key), so a store
 * rebuilt from the log answers as before. `rebuild` replays the whole topic in a fresh group,
 * e.g. after the store lost its data.
 */
import { randomUUID } from "node:crypto";
import type { BusMessage, EventBus, Subscription } from "../bus/port";
import type { SecretMaterial } from "../crypto/keys";
import { sealedField } from "../crypto/sealer";
import { isFinal } from "../domain/verification";
import type { TopicNames } from "../events/topics";
import type { Logger } from "../log";
import type { Store } from "../store/port";
import { taggedKey } from "../store/port";
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
/** The key setIfAbsentGet uses for a name. */
export const onceKey = (name: string): string => taggedKey("once", name);

export function createProjector(deps: ProjectorDeps) {
  const { store, projection, secrets } = deps;

  const handle = async (message: BusMessage): Promise<void> => {
    const env = message.envelope;
    if (!env.verificationId || !env.event || ROUTING_ONLY.has(env.event.$case)) return;
    const state = await projection.apply(env.verificationId, env.tenant, [env]);
    if (env.event.$case !== "verificationStarted" || isFinal(state)) return;
    const ttlMs = state.expiresAt - deps.now();
    if (ttlMs <= 0) return;
    const started = env.event.value;
    if (started.phone) {
      const phone = secrets.sealer.open(started.phone, sealedField(env.verificationId, "phone"));
      const key = activeKey(env.tenant, secrets.hasher.lookup("phone", phone), started.purpose);
      await store.set(store.key(key), env.verificationId, { ttlMs, onlyIfAbsent: true });
    }
    if (started.idempotencyKeyHash) {
      // Written over, not only if absent: after a publish that failed in doubt, issuance keeps
      // the key briefly; the start landing after all makes it answer for a day.
      const key = idempotencyKey(env.tenant, started.idempotencyKeyHash);
      const startedAt = env.occurredAt?.getTime() ?? deps.now();
      const keepMs = IDEMPOTENCY_TTL_MS - (deps.now() - startedAt);
      if (keepMs > 0) await store.set(store.key(key), env.verificationId, { ttlMs: keepMs });
    }
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
      partitionConcurrency: 4,
    });

  return {
    /** The steady projector: one group shared by every replica. */
    start: (groupId = "otp-projector") => subscribe(groupId, true),
    /**
     * Replays the whole log into the store in a fresh group; stop it once caught up. `observe`
     * sees each message once it is applied (see store/loss-watch.ts).
     */
    rebuild: (observe?: (message: BusMessage) => void) =>
      subscribe(`otp-projector-rebuild-${randomUUID()}`, true, observe),
    handle,
  };
}

export type Projector = ReturnType<typeof createProjector>;
