/** What the reports of one attempt carry, from its dispatch to the receipts of its messages. */
export interface AttemptRef {
  verificationId: string;
  attempt: number;
  tenant: string;
  district: string;
  operator: string;
  /** The route as the dispatch named it (routing keys its health on it). */
  route: string;
  /** Event id of the DispatchRequested: the reports' causation. */
  causationId: string;
  /** The code's expiry (ms since the epoch): bounds every TTL of this attempt. */
  expiresAtMs: number;
}

/** One submitted part of an attempt's message: what a receipt is matched to. */
export interface SentPart extends AttemptRef {
  /** SMSC account (message ids are unique per account). */
  account: string;
  /** Bind that submitted it. */
  bind: string;
  messageId: string;
  partIndex: number;
  partCount: number;
  submittedAtMs: number;
}

export const attemptKey = (ref: Pick<AttemptRef, "verificationId" | "attempt">): string =>
  `${ref.verificationId}#${ref.attempt}`;

/** How long state about an attempt is kept: the code's remaining life plus a grace period. */
export function attemptTtlMs(ref: Pick<AttemptRef, "expiresAtMs">, now: number, graceMs: number): number {
  return Math.max(0, ref.expiresAtMs - now) + graceMs;
}
