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
import { createInboundHandlers, type InboundHandlers, type SmppLogger } from "./smsc-inbound";
import { buildSubmitSms, type SubmitRequest } from "./submit-sm";
import { createSessionCounters, type SessionCounters } from "./session-counters";
import { submitPart, type RetryPolicy, type SubmitObserver } from "./submit-part";
import { createSubmitWindow, type SubmitWindow } from "./submit-window";

export type SessionState = "connecting" | "bound" | "reconnecting" | "closing" | "closed";

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

/** One bind's session: its connection, its state and what waits for it. */
interface Session {
  options: SmscSessionOptions;
  settings: typeof DEFAULTS & SmscSessionOptions;
  log: SmppLogger;
  random: () => number;
  counters: SessionCounters;
  window: SubmitWindow;
  limiter: RateLimiter;
  limiters: RateLimiter[];
  inbound: InboundHandlers;
  boundWaiters: Set<{ resolve: (c: SmscConnection) => void; reject: (e: Error) => void }>;
  state: SessionState;
  connection?: SmscConnection;
  attempt: number;
  reconnectTimer?: NodeJS.Timeout;
  lastError?: string;
  /** The concatenation reference of the last message split into parts. */
  reference: number;
}

export function createSmscSession(options: SmscSessionOptions): SmscSession {
  const settings = { ...DEFAULTS, ...options };
  const log = options.logger ?? silentLogger;
  const random = options.random ?? Math.random;
  const counters = createSessionCounters();
  const limiter = createRateLimiter({ messagesPerSecond: settings.messagesPerSecond });
  const session: Session = {
    options,
    settings,
    log,
    random,
    counters,
    window: createSubmitWindow(settings.window, settings.maxQueued),
    limiter,
    limiters: options.accountLimiter === undefined ? [limiter] : [limiter, options.accountLimiter],
    inbound: createInboundHandlers({
      name: options.name,
      counters,
      log,
      onReceipt: options.onReceipt,
      onAlertNotification: options.onAlertNotification,
    }),
    boundWaiters: new Set(),
    state: "connecting",
    attempt: 0,
    reference: Math.floor(random() * 256),
  };
  connect(session);

  return {
    name: options.name,
    get state() {
      return session.state;
    },
    canSubmit: options.bind.mode !== "receiver",
    submit: (request) => submit(session, request),
    stats: () => ({
      name: options.name,
      state: session.state,
      windowInUse: session.window.inUse,
      queued: session.window.queued,
      currentRate: limiter.currentRate(Date.now()),
      counters: { ...counters },
      lastError: session.lastError,
    }),
    waitUntilBound: async (timeoutMs) => void (await boundConnection(session, timeoutMs)),
    close: () => close(session),
  };
}

function setState(session: Session, next: SessionState): void {
  if (session.state === next) return;
  session.state = next;
  session.log.info("smpp session state", { session: session.options.name, state: next });
  session.options.onStateChange?.(next, session.options.name);
}

function notBound(session: Session): OtpError {
  return new OtpError("SMPP_NOT_BOUND", `SMPP bind ${session.options.name} is not bound`);
}

function stopping(session: Session): boolean {
  return session.state === "closing" || session.state === "closed";
}

function connect(session: Session): void {
  const { options, settings, inbound, counters, log } = session;
  setState(session, session.attempt === 0 ? "connecting" : "reconnecting");
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
      session.connection = undefined;
      session.lastError = reason;
      log.warn("smpp connection closed", { session: options.name, reason });
      scheduleReconnect(session);
    },
  }).then(
    (opened) => {
      if (stopping(session)) return void opened.unbind();
      established = true;
      session.connection = opened;
      session.attempt = 0;
      counters.binds++;
      setState(session, "bound");
      for (const waiter of session.boundWaiters) waiter.resolve(opened);
      session.boundWaiters.clear();
    },
    (err: unknown) => {
      session.lastError = err instanceof Error ? err.message : String(err);
      log.warn("smpp bind failed", { session: options.name, reason: session.lastError });
      scheduleReconnect(session);
    },
  );
}

function scheduleReconnect(session: Session): void {
  if (stopping(session)) return;
  session.attempt++;
  session.counters.reconnectAttempts++;
  setState(session, "reconnecting");
  session.reconnectTimer = setTimeout(
    () => connect(session),
    backoffDelay(session.attempt, session.settings.reconnect, session.random),
  );
}

function boundConnection(session: Session, timeoutMs: number): Promise<SmscConnection> {
  if (stopping(session)) return Promise.reject(notBound(session));
  if (session.state === "bound" && session.connection !== undefined)
    return Promise.resolve(session.connection);
  return new Promise((resolve, reject) => {
    const waiter = {
      resolve: (c: SmscConnection) => (clearTimeout(timer), resolve(c)),
      reject: (e: Error) => (clearTimeout(timer), reject(e)),
    };
    const timer = setTimeout(() => {
      session.boundWaiters.delete(waiter);
      reject(notBound(session));
    }, timeoutMs);
    session.boundWaiters.add(waiter);
  });
}

async function submit(session: Session, request: SubmitRequest): Promise<SubmitResult> {
  const { options } = session;
  if (options.bind.mode === "receiver") {
    throw new OtpError("OTP_FAILED_PRECONDITION", "a receiver bind cannot submit");
  }
  if (stopping(session)) throw notBound(session);
  session.reference = (session.reference + 1) & 0xff;
  const parts = buildSubmitSms(request, {
    reference: session.reference,
    maxParts: options.maxPartsPerMessage,
  });
  const messageIds: string[] = [];
  // Parts go one after another so that SMSCs that need them in order get them in order.
  for (const fields of parts) {
    messageIds.push(
      await submitPart(fields, {
        connection: () => boundConnection(session, session.settings.notBoundWaitMs),
        window: session.window,
        limiters: session.limiters,
        counters: session.counters,
        policy: options.retry,
        random: session.random,
        observe: options.onSubmitResponse,
      }),
    );
  }
  return { messageIds };
}

async function close(session: Session): Promise<void> {
  if (stopping(session)) return;
  setState(session, "closing");
  clearTimeout(session.reconnectTimer);
  session.window.rejectQueued(notBound(session));
  for (const waiter of session.boundWaiters) waiter.reject(notBound(session));
  session.boundWaiters.clear();
  const deadline = Date.now() + session.settings.drainTimeoutMs;
  while (session.window.inUse > 0 && Date.now() < deadline) await sleep(20);
  await session.connection?.unbind();
  session.connection = undefined;
  setState(session, "closed");
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
