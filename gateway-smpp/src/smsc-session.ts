/**
 * One bind to one SMSC, kept alive: connects, binds, reconnects and rebinds with backoff,
 * and submits through a window, a rate limit and the retry rules of submit-part.ts.
 * Receipts (deliver_sm with esm_class 0x04) go to `onReceipt`; matching them to messages is
 * the receipt correlator's job (see smsc-pool.ts), since they may come on another bind.
 */
import type { ConnectionOptions as TlsConnectOptions } from "node:tls";
import { OtpError } from "@domain/errors";
import { backoffDelay, type BackoffOptions } from "./backoff";
import type { DeliveryReceipt } from "./delivery-receipt";
import { createRateLimiter, type RateLimiter } from "./rate-limiter";
import { openSmscConnection, type BindCredentials, type SmscConnection } from "./smsc-connection";
import { createInboundHandlers, type SmppLogger } from "./smsc-inbound";
import { buildSubmitSms, type SubmitRequest } from "./submit-sm";
import { createSessionCounters, type SessionCounters } from "./session-counters";
import { submitPart, type RetryPolicy, type SubmitObserver } from "./submit-part";
import { createSubmitWindow } from "./submit-window";

export type SessionState = "connecting" | "bound" | "reconnecting" | "closing" | "closed";

export type { SmppLogger } from "./smsc-inbound";

export interface SmscSessionOptions {
  /** Names this bind in logs and metrics, e.g. "operator-a-1". */
  name: string;
  host: string;
  port: number;
  tls?: TlsConnectOptions;
  bind: BindCredentials;
  messagesPerSecond: number;
  /** The account's learned rate, shared by its binds (smsc-pool.ts); each bind learns its own too. */
  accountLimiter?: RateLimiter;
  /** Max unanswered submit_sm (keep ≤ 2–3 × messagesPerSecond). */
  window: number;
  /** Callers that may wait for a window slot before new ones are refused. */
  maxQueued?: number;
  responseTimeoutMs?: number;
  bindTimeoutMs?: number;
  enquireLinkIntervalMs?: number;
  /** How long a submit waits for the bind to come (back) before failing SMPP_NOT_BOUND. */
  notBoundWaitMs?: number;
  reconnect?: BackoffOptions;
  retry?: Partial<RetryPolicy>;
  /** How long graceful close waits for unanswered submits. */
  drainTimeoutMs?: number;
  maxPartsPerMessage?: number;
  onReceipt?: (receipt: DeliveryReceipt, sessionName: string) => void;
  /** An alert_notification arrived on this bind (metrics). */
  onAlertNotification?: (sessionName: string) => void;
  onStateChange?: (state: SessionState, sessionName: string) => void;
  /** Every submit_sm answered or timed out on this bind (metrics). */
  onSubmitResponse?: SubmitObserver;
  logger?: SmppLogger;
  random?: () => number;
}

export interface SubmitResult {
  /** One per part, in order, as the SMSC gave them in submit_sm_resp. */
  messageIds: string[];
}

export interface SessionStats {
  name: string;
  state: SessionState;
  windowInUse: number;
  queued: number;
  /** The bind's learned rate (messages per second). */
  currentRate: number;
  counters: Readonly<SessionCounters>;
  lastError: string | undefined;
}

export interface SmscSession {
  readonly name: string;
  readonly state: SessionState;
  /** False for receiver binds. */
  readonly canSubmit: boolean;
  submit(request: SubmitRequest): Promise<SubmitResult>;
  stats(): SessionStats;
  /** Resolves once bound (now or later); rejects after timeoutMs or on close. */
  waitUntilBound(timeoutMs: number): Promise<void>;
  /** Stops submitting, drains unanswered submits, unbinds and closes. */
  close(): Promise<void>;
}

const DEFAULTS = {
  responseTimeoutMs: 10_000,
  bindTimeoutMs: 10_000,
  enquireLinkIntervalMs: 30_000,
  notBoundWaitMs: 15_000,
  drainTimeoutMs: 10_000,
  maxQueued: 1_000,
  reconnect: { initialMs: 500, maxMs: 30_000 },
};

const silentLogger: SmppLogger = { info: () => undefined, warn: () => undefined };

export function createSmscSession(options: SmscSessionOptions): SmscSession {
  const settings = { ...DEFAULTS, ...options };
  const log = options.logger ?? silentLogger;
  const random = options.random ?? Math.random;
  const counters = createSessionCounters();
  const window = createSubmitWindow(settings.window, settings.maxQueued);
  const limiter = createRateLimiter({ messagesPerSecond: settings.messagesPerSecond });
  const limiters = options.accountLimiter === undefined ? [limiter] : [limiter, options.accountLimiter];
  const boundWaiters = new Set<{ resolve: (c: SmscConnection) => void; reject: (e: Error) => void }>();
  let state: SessionState = "connecting";
  let connection: SmscConnection | undefined;
  let attempt = 0;
  let reconnectTimer: NodeJS.Timeout | undefined;
  let lastError: string | undefined;
  let reference = Math.floor(random() * 256);

  const setState = (next: SessionState): void => {
    if (state === next) return;
    state = next;
    log.info("smpp session state", { session: options.name, state: next });
    options.onStateChange?.(next, options.name);
  };

  const notBound = (): OtpError => new OtpError("SMPP_NOT_BOUND", `SMPP bind ${options.name} is not bound`);
  const stopping = (): boolean => state === "closing" || state === "closed";

  const inbound = createInboundHandlers({
    name: options.name,
    counters,
    log,
    onReceipt: options.onReceipt,
    onAlertNotification: options.onAlertNotification,
  });

  const connect = (): void => {
    setState(attempt === 0 ? "connecting" : "reconnecting");
    let established = false;
    openSmscConnection({
      host: options.host,
      port: options.port,
      tls: options.tls,
      bind: options.bind,
      bindTimeoutMs: settings.bindTimeoutMs,
      responseTimeoutMs: settings.responseTimeoutMs,
      enquireLinkIntervalMs: settings.enquireLinkIntervalMs,
      onInbound: inbound.onInbound,
      onAlertNotification: inbound.onAlertNotification,
      onLateResponse: () => counters.lateResponses++,
      onClosed: (reason) => {
        if (!established) return;
        connection = undefined;
        lastError = reason;
        log.warn("smpp connection closed", { session: options.name, reason });
        scheduleReconnect();
      },
    }).then(
      (opened) => {
        if (stopping()) return void opened.unbind();
        established = true;
        connection = opened;
        attempt = 0;
        counters.binds++;
        setState("bound");
        for (const waiter of boundWaiters) waiter.resolve(opened);
        boundWaiters.clear();
      },
      (err: unknown) => {
        lastError = err instanceof Error ? err.message : String(err);
        log.warn("smpp bind failed", { session: options.name, reason: lastError });
        scheduleReconnect();
      },
    );
  };

  const scheduleReconnect = (): void => {
    if (stopping()) return;
    attempt++;
    counters.reconnectAttempts++;
    setState("reconnecting");
    reconnectTimer = setTimeout(connect, backoffDelay(attempt, settings.reconnect, random));
  };

  const boundConnection = (timeoutMs: number): Promise<SmscConnection> => {
    if (stopping()) return Promise.reject(notBound());
    if (state === "bound" && connection !== undefined) return Promise.resolve(connection);
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve: (c: SmscConnection) => (clearTimeout(timer), resolve(c)),
        reject: (e: Error) => (clearTimeout(timer), reject(e)),
      };
      const timer = setTimeout(() => {
        boundWaiters.delete(waiter);
        reject(notBound());
      }, timeoutMs);
      boundWaiters.add(waiter);
    });
  };

  const submit = async (request: SubmitRequest): Promise<SubmitResult> => {
    if (options.bind.mode === "receiver") {
      throw new OtpError("OTP_FAILED_PRECONDITION", "a receiver bind cannot submit");
    }
    if (stopping()) throw notBound();
    reference = (reference + 1) & 0xff;
    const parts = buildSubmitSms(request, { reference, maxParts: options.maxPartsPerMessage });
    const messageIds: string[] = [];
    // Parts go one after another so that SMSCs that need them in order get them in order.
    for (const fields of parts) {
      messageIds.push(
        await submitPart(fields, {
          connection: () => boundConnection(settings.notBoundWaitMs),
          window,
          limiters,
          counters,
          policy: options.retry,
          random,
          observe: options.onSubmitResponse,
        }),
      );
    }
    return { messageIds };
  };

  const close = async (): Promise<void> => {
    if (stopping()) return;
    setState("closing");
    clearTimeout(reconnectTimer);
    window.rejectQueued(notBound());
    for (const waiter of boundWaiters) waiter.reject(notBound());
    boundWaiters.clear();
    const deadline = Date.now() + settings.drainTimeoutMs;
    while (window.inUse > 0 && Date.now() < deadline) await sleep(20);
    await connection?.unbind();
    connection = undefined;
    setState("closed");
  };

  connect();

  return {
    name: options.name,
    get state() {
      return state;
    },
    canSubmit: options.bind.mode !== "receiver",
    submit,
    stats: () => ({
      name: options.name,
      state,
      windowInUse: window.inUse,
      queued: window.queued,
      currentRate: limiter.currentRate(Date.now()),
      counters: { ...counters },
      lastError,
    }),
    waitUntilBound: async (timeoutMs) => void (await boundConnection(timeoutMs)),
    close,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
