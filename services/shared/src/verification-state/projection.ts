/**
 * The verification projection: folds events into the state (domain/verification.ts) and keeps
 * it in the store with the guards the atomic check needs. Codes are kept only as keyed hashes,
 * computed here from the sealed codes the events carry.
 */
import type { EncryptedValue, EventEnvelope } from "@proto/otp/events/v1/events";
import { bindingDigest, type TransactionBindingInput } from "@platform/crypto/code-hash";
import type { SecretMaterial } from "@platform/crypto/keys";
import { sealedField } from "@platform/crypto/sealer";
import { evolve, initialState, type VerificationState } from "@domain/verification";
import type { StoreEpoch } from "@platform/store/loss-watch";
import type { Store } from "@platform/store/port";
import { readProjection } from "./read-script";
import {
  checkCode,
  projectVerification,
  type CheckCodeInput,
  type CheckCodeResult,
  type StoredCode,
} from "./scripts";
import { parseState, serializeState } from "./state-codec";
import { destinationPrefix } from "./view";

export interface VerificationProjection {
  read(verificationId: string): Promise<VerificationState | undefined>;
  /** Folds events (of one verification, in order) into the stored state and writes it. */
  apply(verificationId: string, tenant: string, events: EventEnvelope[]): Promise<VerificationState>;
  /**
   * Like apply (one read, one write), also giving the state after each event, for callers that
   * act on some events of a run (the projector).
   */
  applyEach(verificationId: string, tenant: string, events: EventEnvelope[]): Promise<AppliedEvents>;
  /** Like apply, for a verification this caller just created: skips reading what is not there. */
  applyFresh(verificationId: string, tenant: string, events: EventEnvelope[]): Promise<VerificationState>;
  check(input: CheckCodeInput): Promise<CheckCodeResult>;
  /**
   * Writes again a live state this process wrote and remembers, when the store no longer holds
   * it (a Redis failover lost writes the replica never had): true when written. The state is
   * what the log said up to the events this process folded; the store's merge keeps the guards
   * monotonic, and a state the store still holds is left as it is.
   */
  restore(verificationId: string, tenant: string): Promise<boolean>;
  /** The binding digest of a state's transaction ("" when there is none). */
  bindingOf(state: VerificationState): string;
  /**
   * Forgets every remembered state (ProjectionOptions.rememberStates): the store lost what they
   * say it holds, and a replay must write again what it folds.
   */
  forget(): void;
}

export interface AppliedEvents {
  /** The state as written (or as read, when the events changed nothing). */
  state: VerificationState;
  /** The folded state after each event, in order. */
  steps: VerificationState[];
  /** Whether each event changed the state (false: the stored state had it already). */
  changed: boolean[];
}

export interface ProjectionOptions {
  store: Store;
  secrets: SecretMaterial;
  /** How long a verification stays readable after it expires. */
  retentionMs: number;
  /**
   * States this process wrote, remembered with their version (at most this many; 0, the
   * default, remembers none). `applyEach` folds on a remembered state instead of reading it
   * and writes only over that version: the projector, which folds every event of a
   * verification in turn, then reads a verification once, not once per batch. Another
   * writer's write (issuance, a check's override) makes the next write a conflict, and that
   * one reads again.
   */
  rememberStates?: number;
  /** Told of each state written again because the store had lost it (see `restore`). */
  onRestored?: (verificationId: string) => void;
  /**
   * The store's epoch (the store-loss marker, ADR 0006), without which nothing is written again
   * from memory. A state is written again only where the store lost a few writes (a master that
   * failed over before its replica had them: then no check of that state was answered, since a
   * check is answered only once a replica has it), never after the store lost everything (its
   * epoch changed since the state was remembered: memory may lack a success answered a moment
   * before the loss, which writing it again would undo).
   */
  storeEpoch?: StoreEpoch;
  now?: () => number;
}

/**
 * How long after this process last wrote a state it may write it again from memory. Another
 * replica may own the verification's events since (a rebalance), and this memory then lags the
 * log: bounding its age bounds how far.
 */
const RESTORE_WINDOW_MS = 120_000;

/** A write of the document lost to another writer: the caller folds again on a fresh read. */
const WRITE_ATTEMPTS = 3;

/** Derived values remembered per projection (see `memo`): about 3 MB at most. */
const MEMO_ENTRIES = 10_000;

export function createVerificationProjection({
  store,
  secrets,
  retentionMs,
  rememberStates = 0,
  onRestored,
  storeEpoch,
  now = Date.now,
}: ProjectionOptions): VerificationProjection {
  const { bindingOf, codeHashes } = createGuardDigests(secrets);
  const remembered = createRemembered(rememberStates, () => ({ epoch: storeEpoch?.seen(), at: now() }));

  const readVersioned = async (verificationId: string): Promise<Versioned | undefined> => {
    const row = await store.run(readProjection, { verificationId });
    if (!row) return undefined;
    // The guards are ahead of the document when a check has not been projected yet.
    const state = parseState(row.doc);
    return {
      state: { ...state, status: row.status, checksUsed: Math.max(state.checksUsed, row.checksUsed) },
      version: row.version,
    };
  };
  const read = async (verificationId: string): Promise<VerificationState | undefined> =>
    (await readVersioned(verificationId))?.state;

  /** Writes the state, over `expectVersion` when given; undefined when another writer came first. */
  const writeVersioned = async (
    state: VerificationState,
    expectVersion?: number,
  ): Promise<Versioned | undefined> => {
    const binding = bindingOf(state);
    const result = await store.run(projectVerification, {
      verificationId: state.id,
      tenant: state.tenant,
      status: state.status,
      checksUsed: state.checksUsed,
      maxChecks: state.maxChecks,
      expiresAt: state.expiresAt,
      bindingDigest: binding,
      codes: codeHashes(state, binding),
      doc: serializeState(state),
      retainUntil: state.expiresAt + retentionMs,
      prefix: destinationPrefix(state.maskedPhone),
      codeLength: state.codeLength ?? 0,
      expectVersion,
    });
    if ("conflict" in result) return undefined;
    const written = { state: { ...state, status: result.status }, version: result.version };
    remembered.set(state.id, written);
    return written;
  };
  const write = async (state: VerificationState): Promise<VerificationState> =>
    (await writeVersioned(state))!.state;

  const restorable = (mine: Remembered | undefined, tenant: string): Promise<Versioned | undefined> =>
    restorableFrom(mine, tenant, { retentionMs, now: now(), storeEpoch });

  const applyEach = async (
    verificationId: string,
    tenant: string,
    events: EventEnvelope[],
  ): Promise<AppliedEvents> => {
    const mine = remembered.get(verificationId);
    for (let attempt = 1; ; attempt++) {
      // A remembered state first; after a conflict (or without one), what the store holds.
      const known = attempt === 1 ? mine : undefined;
      const stored = known ?? (await readVersioned(verificationId));
      // The store lost what this process wrote: fold on that, not on nothing (a state without
      // its start expires at once, and the user's code with it).
      const lost = stored === undefined && mine !== undefined ? await restorable(mine, tenant) : undefined;
      const base = lost !== undefined ? { state: lost.state, version: 0 } : stored;
      const current = base?.state ?? initialState(verificationId, tenant);
      const folded = foldEach(current, events);
      if (folded.next === current && lost === undefined) {
        if (base && !known) remembered.set(verificationId, base);
        return { state: current, steps: folded.steps, changed: folded.changed };
      }
      // The last attempt writes whatever came first: the merge keeps the guards monotonic.
      const expect = attempt < WRITE_ATTEMPTS ? (base?.version ?? 0) : undefined;
      const written = await writeVersioned(folded.next, expect);
      if (written) {
        if (lost !== undefined) onRestored?.(verificationId);
        return { state: written.state, steps: folded.steps, changed: folded.changed };
      }
      remembered.delete(verificationId);
    }
  };

  const restore = async (verificationId: string, tenant: string): Promise<boolean> => {
    const mine = await restorable(remembered.get(verificationId), tenant);
    // Version 0: written only where the store holds no state at all.
    if (mine === undefined || (await writeVersioned(mine.state, 0)) === undefined) return false;
    onRestored?.(verificationId);
    return true;
  };

  return {
    read,
    bindingOf,
    applyEach,
    apply: async (verificationId, tenant, events) => (await applyEach(verificationId, tenant, events)).state,
    applyFresh: (verificationId, tenant, events) =>
      write(events.reduce(evolve, initialState(verificationId, tenant))),
    check: (input) => store.run(checkCode, input),
    restore,
    forget: () => remembered.clear(),
  };
}

/**
 * A state this process wrote lately, that it may write again where the store lost it: still
 * within its retention, of the tenant asking, remembered under the epoch the store holds now.
 */
async function restorableFrom(
  mine: Remembered | undefined,
  tenant: string,
  o: { retentionMs: number; now: number; storeEpoch: StoreEpoch | undefined },
): Promise<Versioned | undefined> {
  if (mine === undefined || mine.state.tenant !== tenant || mine.epoch === undefined) return undefined;
  if (mine.state.expiresAt + o.retentionMs <= o.now || mine.at + RESTORE_WINDOW_MS <= o.now) return undefined;
  return (await o.storeEpoch?.current()) === mine.epoch ? mine : undefined;
}

/**
 * Every write of a verification (its start, then each event the projector folds in) needs the
 * binding digest and the code hashes, which cost an AES-GCM open and an HMAC each, the largest
 * CPU cost of a write. They are pure functions of the sealed values (bound to the verification
 * id), so each is computed once per process. Only digests and keyed hashes are kept, never a
 * code.
 */
function createGuardDigests(secrets: SecretMaterial) {
  const memo = createMemo(MEMO_ENTRIES);

  const bindingOf = (state: VerificationState): string => {
    const sealed = state.transaction;
    if (!sealed) return "";
    return memo(`b\u0000${state.id}\u0000${sealedKey(sealed)}`, () => {
      const json = secrets.sealer.open(sealed, sealedField(state.id, "transaction"));
      return bindingDigest(JSON.parse(json) as TransactionBindingInput);
    });
  };

  const codeHash = (state: VerificationState, sealed: EncryptedValue, binding: string): string =>
    memo(`c\u0000${state.id}\u0000${binding}\u0000${sealedKey(sealed)}`, () =>
      secrets.hasher.hash(state.id, secrets.sealer.open(sealed, sealedField(state.id, "code")), binding),
    );

  const codeHashes = (state: VerificationState, binding: string): StoredCode[] =>
    state.codes.map((c) => ({ a: c.attempt, h: codeHash(state, c.sealed, binding), e: c.expiresAt }));

  return { bindingOf, codeHashes };
}

/** Names one sealed value: its key id, IV (random per seal), auth tag and ciphertext. */
function sealedKey(v: EncryptedValue): string {
  return `${v.keyId}\u0000${Buffer.from(v.iv).toString("base64")}\u0000${Buffer.from(v.tag).toString("base64")}\u0000${Buffer.from(v.ciphertext).toString("base64")}`;
}

/** A bounded memo: the oldest entry leaves when a new one would exceed `max`. */
function createMemo(max: number): (key: string, compute: () => string) => string {
  const entries = new Map<string, string>();
  return (key, compute) => {
    const known = entries.get(key);
    if (known !== undefined) return known;
    const value = compute();
    if (entries.size >= max) entries.delete(entries.keys().next().value as string);
    entries.set(key, value);
    return value;
  };
}

interface Versioned {
  state: VerificationState;
  version: number;
}

/** A state this process wrote, with the store's epoch then and when. */
interface Remembered extends Versioned {
  epoch: string | undefined;
  at: number;
}

/** The state after each event, and whether each changed it. */
function foldEach(current: VerificationState, events: EventEnvelope[]) {
  const steps: VerificationState[] = [];
  const changed: boolean[] = [];
  for (const event of events) {
    const before = steps.at(-1) ?? current;
    const after = evolve(before, event);
    steps.push(after);
    changed.push(after !== before);
  }
  return { steps, changed, next: steps.at(-1) ?? current };
}

/** The last `max` written states by verification id (nothing when `max` is 0). */
function createRemembered(max: number, tag: () => { epoch: string | undefined; at: number }) {
  const entries = new Map<string, Remembered>();
  return {
    get: (id: string): Remembered | undefined => entries.get(id),
    set(id: string, value: Versioned): void {
      if (max <= 0) return;
      entries.delete(id);
      if (entries.size >= max) entries.delete(entries.keys().next().value as string);
      entries.set(id, { ...value, ...tag() });
    },
    delete: (id: string): void => void entries.delete(id),
    clear: (): void => entries.clear(),
  };
}
