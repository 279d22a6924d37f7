/** Counters of one bind, read by metrics and tests. */
export interface SessionCounters {
  submitsSent: number;
  accepted: number;
  throttled: number;
  queueFull: number;
  /** Cuts of the learned rate (throttling answers, at most one per round trip). */
  rateCuts: number;
  refused: number;
  responseTimeouts: number;
  lateResponses: number;
  receipts: number;
  unparsedReceipts: number;
  mobileOriginated: number;
  /** alert_notification PDUs (a handset the SMSC could not reach is reachable again). */
  alertNotifications: number;
  binds: number;
  reconnectAttempts: number;
}

export function createSessionCounters(): SessionCounters {
  return {
    submitsSent: 0,
    accepted: 0,
    throttled: 0,
    queueFull: 0,
    rateCuts: 0,
    refused: 0,
    responseTimeouts: 0,
    lateResponses: 0,
    receipts: 0,
    unparsedReceipts: 0,
    mobileOriginated: 0,
    alertNotifications: 0,
    binds: 0,
    reconnectAttempts: 0,
  };
}
