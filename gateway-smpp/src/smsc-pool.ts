/**
 * The binds of one SMSC account (transceivers, or transmitters + receivers) behind one
 * submit(): picks the bound transmitting bind with the most free window, records the message
 * ids in a shared receipt correlator, and reports each receipt with the caller's context,
 * whichever bind it arrived on and whether it came before or after the submit response.
 */
import { OtpError } from "@domain/errors";
import type { DeliveryReceipt } from "./delivery-receipt";
import { createRateLimiter } from "./rate-limiter";
import { createReceiptCorrelator, type ReceiptCorrelator } from "./receipt-correlator";
import {
  createSmscSession,
  type SessionStats,
  type SmscSession,
  type SmscSessionOptions,
  type SubmitResult,
} from "./smsc-session";
import type { SubmitRequest } from "./submit-sm";

export interface PartContext<C> {
  context: C;
  /** 0-based part of a concatenated message; each part gets its own receipt. */
  partIndex: number;
  partCount: number;
  messageId: string;
  /** The bind that submitted it (receipts may come on another). */
  bind: string;
}

export interface SmscPoolOptions<C> {
  binds: Array<Omit<SmscSessionOptions, "onReceipt" | "accountLimiter">>;
  /** The account's ceiling (default: the sum of its transmitting binds' rates). */
  accountMessagesPerSecond?: number;
  onReceipt: (part: PartContext<C>, receipt: DeliveryReceipt) => void;
  /** A receipt whose message id never showed up within `holdReceiptMs`. */
  onUnmatchedReceipt?: (receipt: DeliveryReceipt) => void;
  holdReceiptMs?: number;
  /** How long submitted ids wait for their final receipt. */
  receiptTtlMs?: number;
  maxTrackedMessages?: number;
  now?: () => number;
}

export interface PoolSubmitResult extends SubmitResult {
  /** Name of the bind that submitted the message. */
  bind: string;
}

export interface SmscPool<C> {
  submit(request: SubmitRequest, context: C): Promise<PoolSubmitResult>;
  /** A receipt that came on a bind outside the pool (one the SMSC asked for with outbind). */
  receiptArrived(receipt: DeliveryReceipt): void;
  /** True when at least one transmitting bind is bound now. */
  readonly bound: boolean;
  stats(): {
    sessions: SessionStats[];
    /** The account's learned rate (messages per second), shared by its binds. */
    accountRate: number;
    tracked: { submitted: number; heldReceipts: number };
  };
  waitUntilBound(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

export function createSmscPool<C>(options: SmscPoolOptions<C>): SmscPool<C> {
  const now = options.now ?? Date.now;
  const correlator: ReceiptCorrelator<PartContext<C>> = createReceiptCorrelator({
    holdMs: options.holdReceiptMs ?? 60_000,
    submittedTtlMs: options.receiptTtlMs ?? 2 * 3600_000,
    maxEntries: options.maxTrackedMessages ?? 200_000,
    now,
    onMatched: ({ context, receipt }) => options.onReceipt(context, receipt),
    onUnmatched: options.onUnmatchedReceipt,
  });
  const accountLimiter = createRateLimiter({
    messagesPerSecond:
      options.accountMessagesPerSecond ??
      options.binds
        .filter((bind) => bind.bind.mode !== "receiver")
        .reduce((sum, bind) => sum + bind.messagesPerSecond, 0),
  });
  const sessions: SmscSession[] = options.binds.map((bind) =>
    createSmscSession({
      ...bind,
      accountLimiter,
      onReceipt: (receipt) => correlator.receiptArrived(receipt),
    }),
  );
  const sweeper = setInterval(() => correlator.sweep(), 1_000);
  sweeper.unref();

  const pick = (): SmscSession => {
    const candidates = sessions.filter((s) => s.canSubmit && s.state === "bound");
    const ranked = (candidates.length > 0 ? candidates : sessions.filter((s) => s.canSubmit)).sort(
      (a, b) => load(a.stats()) - load(b.stats()),
    );
    const chosen = ranked[0];
    if (chosen === undefined) throw new OtpError("SMPP_NOT_BOUND", "no bind can submit");
    return chosen;
  };

  return {
    async submit(request, context) {
      const session = pick();
      const result = await session.submit(request);
      result.messageIds.forEach((messageId, partIndex) =>
        correlator.recordSubmitted(messageId, {
          context,
          partIndex,
          partCount: result.messageIds.length,
          messageId,
          bind: session.name,
        }),
      );
      return { ...result, bind: session.name };
    },
    receiptArrived: (receipt) => correlator.receiptArrived(receipt),
    get bound() {
      return sessions.some((s) => s.canSubmit && s.state === "bound");
    },
    stats: () => ({
      sessions: sessions.map((s) => s.stats()),
      accountRate: accountLimiter.currentRate(now()),
      tracked: correlator.counts,
    }),
    async waitUntilBound(timeoutMs) {
      await Promise.all(sessions.map((s) => s.waitUntilBound(timeoutMs)));
    },
    async close() {
      clearInterval(sweeper);
      await Promise.all(sessions.map((s) => s.close()));
    },
  };
}

function load(stats: SessionStats): number {
  return stats.windowInUse + stats.queued;
}
