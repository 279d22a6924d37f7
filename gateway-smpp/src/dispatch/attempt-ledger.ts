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
    await store.set(keyOf(verificationId, attempt), JSON.stringify(value), {
      ttlMs: Math.max(1, Math.round(ttlMs)),
    });
  };
  const read = async (verificationId: string, attempt: number): Promise<LedgerEntry | undefined> => {
    const raw = await store.get(keyOf(verificationId, attempt));
    return raw === null ? undefined : (JSON.parse(raw) as LedgerEntry);
  };

  return {
    async claim(verificationId, attempt, ttlMs) {
      const entry: LedgerEntry = { phase: "sending", at: now(), owner };
      const claimed = await store.set(keyOf(verificationId, attempt), JSON.stringify(entry), {
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
