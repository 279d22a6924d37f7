/**
 * The SMS gateway: SMPP pools per SMSC account, the dispatcher consuming DispatchRequested
 * (channel SMS), receipts turned into DeliveryReported, metrics. Built from its dependencies
 * so that the standalone process (main.ts) and the all-in-one process (embedded bus and
 * store) wire it the same way.
 *
 *   const gateway = createSmsGateway({ bus, store, secrets, policies, config, logger, topics });
 *   await gateway.start();      // binds, joins the consumer group
 *   ...
 *   await gateway.close();      // drain: stop consuming, finish in-flight submits, unbind
 */
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import { Channel, DeliveryStatus } from "@proto/otp/v1/common";
import type { EventBus, Subscription } from "@platform/bus/port";
import type { Sealer } from "@platform/crypto/sealer";
import type { TopicNames } from "@platform/bus/topics";
import type { Logger } from "@platform/log";
import type { PolicyBook } from "@domain/policy/policy-book";
import type { Store } from "@platform/store/port";
import { meterDeliveries } from "@platform/telemetry/delivery-metrics";
import { createDispatchTraces, type DispatchTraces } from "@platform/telemetry/dispatch-traces";
import { deliveryStatusLabel } from "@platform/telemetry/labels";
import type { OtpMetrics } from "@platform/telemetry/metrics";
import { exportSmppRecorder, smppMetrics } from "./metrics/smpp-metrics";
import { smsAttemptAttributes, traceReceipt, traceSubmits } from "./smpp-tracing";
import { markFailed } from "@platform/telemetry/spans";
import { describeConfig, type AccountConfig, type GatewayConfig } from "./config/gateway-config";
import { createAcceptedGate } from "./dispatch/accepted-gate";
import { createAttemptLedger } from "./dispatch/attempt-ledger";
import { createDispatcher } from "./dispatch/dispatcher";
import { createDispatchRuns } from "./dispatch/dispatch-runs";
import { createMessageMap } from "./dispatch/message-map";
import { createReceiptReporter, type ReceiptReporter } from "./dispatch/receipt-reporter";
import { createReportPublisher, type ReportPublisher } from "./dispatch/report-publisher";
import { createRouteTable } from "./dispatch/route-table";
import type { SubmitContext } from "./dispatch/sms-submitter";
import {
  createGatewayMetrics,
  type BindState,
  type GatewayMetrics,
  type MetricsSnapshot,
} from "./metrics/gateway-metrics";
import { STAT_BY_STATUS } from "./delivery-receipt";
import { createSmscPool, type SmscPool, type SmscPoolOptions } from "./smsc-pool";
import { startOutbindListener, type OutbindListener } from "./outbind-listener";
import { eventTypes } from "@platform/bus/codec";

export interface SmsGatewayDeps {
  bus: EventBus;
  store: Store;
  /** Opens the sealed phone number and code of a dispatch. */
  secrets: { sealer: Sealer };
  policies: PolicyBook;
  config: GatewayConfig;
  logger: Logger;
  topics: TopicNames;
  /** Milliseconds since the epoch. */
  clock?: () => number;
  /** Names this instance in the attempt ledger; defaults to host, pid and a random suffix. */
  instanceId?: string;
  /** Prometheus metrics of the process: sends, deliveries, binds (none: not exported). */
  metrics?: OtpMetrics;
}

export interface SmsGateway {
  readonly instanceId: string;
  readonly metrics: GatewayMetrics;
  /** Binds to the SMSCs and subscribes; resolves once the consumer has joined its group. */
  start(): Promise<void>;
  /** Resolves once every bind is bound (or rejects after timeoutMs). */
  waitUntilBound(timeoutMs: number): Promise<void>;
  snapshot(): MetricsSnapshot;
  /** Graceful drain: stop consuming, finish in-flight submits and reports, unbind. */
  close(): Promise<void>;
}

export function createSmsGateway(deps: SmsGatewayDeps): SmsGateway {
  const { config, logger } = deps;
  const now = deps.clock ?? Date.now;
  const instanceId = deps.instanceId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`;
  const log = logger.child({ component: "gateway-smpp", instance: instanceId });
  const pools = new Map<string, SmscPool<SubmitContext>>();
  const binds = () => bindStates(config, pools);
  const accountOfBind = new Map<string, string>();
  const smpp = deps.metrics?.declare(smppMetrics);
  const metrics = exportSmppRecorder(
    createGatewayMetrics({ now, binds }),
    smpp,
    (bind) => accountOfBind.get(bind) ?? "unknown",
  );
  smpp?.readBindsFrom(binds);
  const bus = meterDeliveries(deps.bus, deps.metrics, Channel.CHANNEL_SMS);
  const traces = createDispatchTraces({ store: deps.store, now });
  const ledger = createAttemptLedger(deps.store, instanceId, now);
  const messageMap = createMessageMap(deps.store);
  const gate = createAcceptedGate();
  const publish = tracedReports(createReportPublisher(bus, deps.topics.verifications, now), traces);
  const settings = config.dispatch;
  const reporter = createReceiptReporter({
    store: deps.store,
    ledger,
    messageMap,
    gate,
    publish,
    metrics,
    logger: log,
    now,
    receiptLookupMs: settings.receiptLookupMs,
    stateGraceMs: settings.stateGraceMs,
  });
  let subscription: Subscription | undefined;
  let closing: Promise<void> | undefined;
  const outbindListeners: OutbindListener[] = [];
  const wiring: PoolWiring = { config, pools, accountOfBind, reporter, metrics, log, traces };

  const dispatcher = createDispatcher({
    routes: createRouteTable(config.routes, config.defaultRoute, pools),
    messageMap,
    policies: deps.policies,
    messages: config.messages,
    sealer: deps.secrets.sealer,
    metrics,
    now,
    minRemainingMs: settings.minRemainingSeconds * 1000,
    stateGraceMs: settings.stateGraceMs,
    ledger,
    gate,
    publish,
    logger: log,
    instanceId,
    inFlightWaitMs: settings.inFlightWaitMs,
  });

  const runs = createDispatchRuns(
    (message) => dispatcher.handle(message),
    settings.maxInFlight ?? defaultMaxInFlight(config),
  );

  return {
    instanceId,
    metrics,
    async start() {
      if (subscription !== undefined || closing !== undefined) throw new Error("gateway already started");
      log.info("sms gateway starting", describeConfig(config));
      openPools(wiring);
      await openOutbindListeners(wiring, outbindListeners);
      subscription = await bus.subscribe({
        groupId: settings.consumerGroup,
        topics: [deps.topics.verifications],
        handler: (message) => dispatcher.handle(message),
        batchHandler: (messages) => runs.handleRun(messages),
        accepts: eventTypes("dispatchRequested"),
        partitionConcurrency: settings.partitionConcurrency,
      });
      await subscription.ready;
      log.info("sms gateway consuming", { group: settings.consumerGroup, topic: deps.topics.verifications });
    },
    async waitUntilBound(timeoutMs) {
      await Promise.all([...pools.values()].map((pool) => pool.waitUntilBound(timeoutMs)));
    },
    snapshot: () => metrics.snapshot(),
    close() {
      closing ??= (async () => {
        log.info("sms gateway draining");
        // The subscription finishes the dispatches in hand (their submits and reports) first.
        await subscription?.stop();
        await Promise.all(outbindListeners.map((listener) => listener.close()));
        await Promise.all([...pools.values()].map((pool) => pool.close()));
        await reporter.drain();
        log.info("sms gateway stopped");
      })();
      return closing;
    },
  };
}

/** What the gateway's pools of binds are made from, and where they are kept. */
interface PoolWiring {
  config: GatewayConfig;
  pools: Map<string, SmscPool<SubmitContext>>;
  /** Which account each bind (and outbind listener) belongs to, for the metrics' labels. */
  accountOfBind: Map<string, string>;
  reporter: ReceiptReporter;
  metrics: GatewayMetrics;
  log: Logger;
  traces: DispatchTraces;
}

function openPools(w: PoolWiring): void {
  for (const account of Object.values(w.config.accounts)) {
    const options = poolOptions(
      account,
      w.config.dispatch.localReceiptHoldMs,
      w.reporter,
      w.metrics,
      w.log,
      w.traces,
    );
    for (const bind of options.binds) w.accountOfBind.set(bind.name, account.name);
    w.pools.set(account.name, traceSubmits(createSmscPool(options), account.name, w.traces));
  }
}

/**
 * Listeners for the accounts whose SMSC may outbind; a port in use fails the start. Each joins
 * `listeners` as it opens, so a close closes those opened before a failure.
 */
async function openOutbindListeners(w: PoolWiring, listeners: OutbindListener[]): Promise<void> {
  const { metrics } = w;
  for (const account of Object.values(w.config.accounts)) {
    const pool = w.pools.get(account.name);
    if (account.outbind === undefined || pool === undefined) continue;
    const name = `${account.name}-outbind`;
    w.accountOfBind.set(name, account.name);
    listeners.push(
      await startOutbindListener({
        name,
        host: account.outbind.host,
        port: account.outbind.port,
        smsc: { systemId: account.outbind.smscSystemId, password: account.outbind.smscPassword },
        bind: {
          mode: account.outbind.bindMode,
          systemId: account.systemId,
          password: account.password,
          systemType: account.systemType,
        },
        maxConnections: account.outbind.maxConnections,
        responseTimeoutMs: account.responseTimeoutMs,
        enquireLinkIntervalMs: account.enquireLinkIntervalMs,
        // Receipts join the account's correlator, whichever bind submitted the message.
        onReceipt: (receipt) => pool.receiptArrived(receipt),
        onAlertNotification: () => metrics.count("alertNotifications"),
        onOutbind: (accepted) => metrics.count(accepted ? "outbindBinds" : "outbindsRefused"),
        logger: w.log,
      }),
    );
  }
}

function poolOptions(
  account: AccountConfig,
  holdReceiptMs: number,
  reporter: ReceiptReporter,
  metrics: GatewayMetrics,
  logger: Logger,
  traces: DispatchTraces,
): SmscPoolOptions<SubmitContext> {
  const modes =
    account.bindMode === "transceiver"
      ? Array.from({ length: account.binds }, (_, i) => ({
          mode: "transceiver" as const,
          name: `${account.name}-${i + 1}`,
        }))
      : Array.from({ length: account.binds }, (_, i) => [
          { mode: "transmitter" as const, name: `${account.name}-tx${i + 1}` },
          { mode: "receiver" as const, name: `${account.name}-rx${i + 1}` },
        ]).flat();
  return {
    binds: modes.map(({ mode, name }) => ({
      name,
      host: account.host,
      port: account.port,
      tls: account.tls,
      bind: { mode, systemId: account.systemId, password: account.password, systemType: account.systemType },
      messagesPerSecond: account.tps,
      window: account.window,
      responseTimeoutMs: account.responseTimeoutMs,
      enquireLinkIntervalMs: account.enquireLinkIntervalMs,
      notBoundWaitMs: account.notBoundWaitMs,
      reconnect: account.reconnect,
      logger,
      onSubmitResponse: (status, latencyMs) => metrics.submitResponse(name, status, latencyMs),
      onAlertNotification: () => metrics.count("alertNotifications"),
    })),
    onReceipt: (part, receipt) =>
      traceReceipt(
        traces,
        part.context.ref,
        {
          stat: STAT_BY_STATUS[receipt.status],
          messageId: part.messageId,
          bind: part.bind,
          part: part.partIndex + 1,
          parts: part.partCount,
        },
        () => reporter.matched(part, receipt),
      ),
    onUnmatchedReceipt: (receipt) => reporter.unmatched(account.name, receipt),
    holdReceiptMs,
  };
}

/**
 * Twice what the transmitting binds' windows hold: enough to keep them full while other
 * dispatches are between their store and Kafka writes, and a claim is taken only this far ahead,
 * so a crash leaves about this many attempts UNKNOWN.
 */
function defaultMaxInFlight(config: GatewayConfig): number {
  const windows = Object.values(config.accounts).reduce((sum, a) => sum + a.window * a.binds, 0);
  return Math.max(1, 2 * windows);
}

function bindStates(config: GatewayConfig, pools: ReadonlyMap<string, SmscPool<SubmitContext>>): BindState[] {
  return [...pools].flatMap(([name, pool]) => {
    const account = config.accounts[name];
    const stats = pool.stats();
    return stats.sessions.map((session) => ({
      name: session.name,
      account: name,
      state: session.state,
      window: account?.window ?? 0,
      windowInUse: session.windowInUse,
      queued: session.queued,
      tps: account?.tps ?? 0,
      currentTps: session.currentRate,
      accountTps: stats.accountRate,
    }));
  });
}

/** Each DeliveryReported in a span of its attempt's trace (receipts matched via the store too). */
function tracedReports(publish: ReportPublisher, traces: DispatchTraces): ReportPublisher {
  return (ref, outcome) =>
    traces.continueAttempt(
      ref,
      "sms report",
      { ...smsAttemptAttributes(ref), "otp.delivery.status": deliveryStatusLabel(outcome.status) },
      (span) => {
        const failed =
          outcome.status === DeliveryStatus.DELIVERY_STATUS_FAILED ||
          outcome.status === DeliveryStatus.DELIVERY_STATUS_EXPIRED;
        if (failed) markFailed(span, outcome.reason, `sms ${deliveryStatusLabel(outcome.status)}`);
        return publish(ref, outcome);
      },
    );
}
