/**
 * The store record that makes dispatch idempotent on (verification id, attempt) across
 * redeliveries, replicas and crashes. One key per attempt, written twice:
 *
 *   sending  — claimed with SET NX (TTL: the code's remaining life + grace) before anything
 *              is sent; a second delivery of the dispatch finds it and never sends;
 *   outcome  — the report to publish, saved before publishing it (in the same socket write
 *              as the message ids, message-map.ts).
 *
 * A redelivery that finds `outcome` publishes the saved report again (the first publish may
 * not have happened; a report published twice is harmless, since consumers only move an
 * attempt forward); `sending` means another consumer is sending or died while sending: see
 * dispatcher.ts. `reported` is no longer written (it cost a round trip per dispatch); records
 * written by earlier versions may still carry it, and it means nothing is left to do.
 */
import { taggedKey, type Store } from "@platform/store/port";
import { positionalFields } from "@platform/store/positional-record";
import type { ReportOutcome } from "./outcomes";

export type LedgerPhase = "sending" | "outcome" | "reported";

export interface LedgerEntry {
  phase: LedgerPhase;
  /** When the phase was written (ms). */
  at: number;
  /** Which gateway instance wrote it. */
  owner: string;
  outcome?: ReportOutcome;
}

export type ClaimResult = { claimed: true } | { claimed: false; entry: LedgerEntry | undefined };

export interface AttemptLedger {
  claim(verificationId: string, attempt: number, ttlMs: number): Promise<ClaimResult>;
  read(verificationId: string, attempt: number): Promise<LedgerEntry | undefined>;
  saveOutcome(verificationId: string, attempt: number, outcome: ReportOutcome, ttlMs: number): Promise<void>;
}

export function createAttemptLedger(store: Store, owner: string, now: () => number): AttemptLedger {
  const keyOf = (verificationId: string, attempt: number) =>
    store.key(taggedKey("sms-attempt", verificationId, String(attempt)));
  const write = async (
    verificationId: string,
    attempt: number,
    entry: Omit<LedgerEntry, "at" | "owner">,
    ttlMs: number,
  ) => {
    const value: LedgerEntry = { ...entry, at: now(), owner };
    await store.set(keyOf(verificationId, attempt), encodeLedgerEntry(value), {
      ttlMs: Math.max(1, Math.round(ttlMs)),
    });
  };
  const read = async (verificationId: string, attempt: number): Promise<LedgerEntry | undefined> => {
    const raw = await store.get(keyOf(verificationId, attempt));
    return raw === null ? undefined : decodeLedgerEntry(raw);
  };

  return {
    async claim(verificationId, attempt, ttlMs) {
      const entry: LedgerEntry = { phase: "sending", at: now(), owner };
      const claimed = await store.set(keyOf(verificationId, attempt), encodeLedgerEntry(entry), {
        onlyIfAbsent: true,
        ttlMs: Math.max(1, Math.round(ttlMs)),
      });
      return claimed ? { claimed: true } : { claimed: false, entry: await read(verificationId, attempt) };
    },
    read,
    saveOutcome: (verificationId, attempt, outcome, ttlMs) =>
      write(verificationId, attempt, { phase: "outcome", outcome }, ttlMs),
  };
}

/**
 * An entry as stored: a positional record (`[1, phase, at, owner, outcome]`,
 * platform/store/positional-record.ts); the JSON object form written before is still read.
 */
const ENTRY_FORMAT = 1;

type StoredOutcome = [
  status: number,
  failureClass: number,
  reason: string,
  providerMessageId: string,
  providerTimeMs: number,
  providerSubmitDate: string | null,
  providerDoneDate: string | null,
];

type StoredEntry = [
  format: number,
  phase: LedgerPhase,
  at: number,
  owner: string,
  outcome: StoredOutcome | null,
];

function encodeLedgerEntry(e: LedgerEntry): string {
  const o = e.outcome;
  const outcome: StoredOutcome | null = o
    ? [
        o.status,
        o.failureClass,
        o.reason,
        o.providerMessageId,
        o.providerTimeMs,
        o.providerSubmitDate ?? null,
        o.providerDoneDate ?? null,
      ]
    : null;
  const stored: StoredEntry = [ENTRY_FORMAT, e.phase, e.at, e.owner, outcome];
  return JSON.stringify(stored);
}

function decodeLedgerEntry(raw: string): LedgerEntry {
  const fields = positionalFields(raw, ENTRY_FORMAT, "ledger entry");
  if (!fields) return JSON.parse(raw) as LedgerEntry;
  const f = fields as StoredEntry;
  const entry: LedgerEntry = { phase: f[1], at: f[2], owner: f[3] };
  if (f[4]) entry.outcome = outcomeOf(f[4]);
  return entry;
}

function outcomeOf(o: StoredOutcome): ReportOutcome {
  const outcome: ReportOutcome = {
    status: o[0],
    failureClass: o[1],
    reason: o[2],
    providerMessageId: o[3],
    providerTimeMs: o[4],
  };
  if (o[5] !== null) outcome.providerSubmitDate = o[5];
  if (o[6] !== null) outcome.providerDoneDate = o[6];
  return outcome;
}
