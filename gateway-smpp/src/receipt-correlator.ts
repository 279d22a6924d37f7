/**
 * Matches delivery receipts to submitted messages by normalised message id. A receipt often
 * arrives before the submit_sm_resp that tells us the id has been processed (and may arrive on
 * another bind), so unmatched receipts are held for `holdMs` and matched when the id is
 * recorded. Submitted ids are remembered for `submittedTtlMs` (the validity period plus the
 * lateness we accept from the SMSC). Time comes from `now`; `sweep()` expires entries.
 */
import type { DeliveryReceipt } from "./delivery-receipt";
import { messageIdKeys } from "./message-id";

export interface ReceiptMatch<C> {
  context: C;
  receipt: DeliveryReceipt;
}

export interface ReceiptCorrelatorOptions<C> {
  holdMs: number;
  submittedTtlMs: number;
  /** Upper bound for each of the two tables; the oldest entries go first. */
  maxEntries: number;
  now: () => number;
  onMatched: (match: ReceiptMatch<C>) => void;
  onUnmatched?: (receipt: DeliveryReceipt) => void;
}

export interface ReceiptCorrelator<C> {
  recordSubmitted(messageId: string, context: C): void;
  receiptArrived(receipt: DeliveryReceipt): void;
  sweep(): void;
  readonly counts: { submitted: number; heldReceipts: number };
}

interface Entry<T> {
  keys: string[];
  expiresAt: number;
  value: T;
}

/** Entries reachable by any of their keys, expiring in insertion order (one TTL per table). */
class KeyedTable<T> {
  private readonly byKey = new Map<string, Entry<T>>();
  private readonly entries = new Set<Entry<T>>();

  get size(): number {
    return this.entries.size;
  }

  add(keys: string[], expiresAt: number, value: T): Entry<T> {
    const entry = { keys, expiresAt, value };
    this.entries.add(entry);
    for (const key of keys) if (!this.byKey.has(key)) this.byKey.set(key, entry);
    return entry;
  }

  /** First entry found, trying keys in order. */
  find(keys: readonly string[]): Entry<T> | undefined {
    for (const key of keys) {
      const entry = this.byKey.get(key);
      if (entry !== undefined) return entry;
    }
    return undefined;
  }

  delete(entry: Entry<T>): void {
    this.entries.delete(entry);
    for (const key of entry.keys) if (this.byKey.get(key) === entry) this.byKey.delete(key);
  }

  /** Removes and returns entries expired at `now`, or beyond `maxEntries`. */
  evict(now: number, maxEntries: number): Entry<T>[] {
    const evicted: Entry<T>[] = [];
    for (const entry of this.entries) {
      if (entry.expiresAt > now && this.entries.size <= maxEntries) break;
      this.delete(entry);
      evicted.push(entry);
    }
    return evicted;
  }
}

export function createReceiptCorrelator<C>(options: ReceiptCorrelatorOptions<C>): ReceiptCorrelator<C> {
  const submitted = new KeyedTable<C>();
  const held = new KeyedTable<DeliveryReceipt[]>();

  const deliver = (entry: Entry<C>, receipt: DeliveryReceipt): void => {
    if (receipt.final) submitted.delete(entry);
    options.onMatched({ context: entry.value, receipt });
  };

  const sweep = (): void => {
    const now = options.now();
    submitted.evict(now, options.maxEntries);
    for (const entry of held.evict(now, options.maxEntries)) {
      for (const receipt of entry.value) options.onUnmatched?.(receipt);
    }
  };

  return {
    recordSubmitted(messageId, context) {
      sweep();
      const keys = messageIdKeys(messageId);
      const entry = submitted.add(keys, options.now() + options.submittedTtlMs, context);
      const waiting = held.find(keys);
      if (waiting === undefined) return;
      held.delete(waiting);
      for (const receipt of waiting.value) deliver(entry, receipt);
    },
    receiptArrived(receipt) {
      sweep();
      const keys = messageIdKeys(receipt.messageId);
      const entry = submitted.find(keys);
      if (entry !== undefined) return deliver(entry, receipt);
      const waiting = held.find(keys);
      if (waiting !== undefined) waiting.value.push(receipt);
      else held.add(keys, options.now() + options.holdMs, [receipt]);
    },
    sweep,
    get counts() {
      return { submitted: submitted.size, heldReceipts: held.size };
    },
  };
}
