/**
 * A gateway test stack on real wires: the SMSC simulator (SMPP on loopback), real Kafka
 * (topics under a random prefix) and real Redis (a random key prefix), one or more gateway
 * instances sharing them, a consumer collecting DeliveryReported, and every log line.
 */
import { appendFileSync } from "node:fs";
import { eventOf } from "@platform/events/envelope";
import { createKafkaBus, type KafkaBus } from "@platform/bus/kafka";
import type { Subscription } from "@platform/bus/port";
import { generatedSecrets } from "@platform/crypto/keys";
import type { Sealer } from "@platform/crypto/sealer";
import { topicNames, topicSpecs, type TopicNames } from "@platform/bus/topics";
import { createLogger } from "@platform/log";
import { validatePolicyFile } from "@domain/policy/policy-book";
import type { PolicyBook } from "@domain/policy/policy-book";
import type { Store } from "@platform/store/port";
import { createRedisStore } from "@platform/store/redis";
import { gatewayConfigOrThrow } from "../../src/config/parse-config";
import type { GatewayConfig } from "../../src/config/gateway-config";
import { createSmsGateway, type SmsGateway } from "../../src/gateway";
import type { Scenario } from "../../src/simulator/scenario";
import type { SmscSimulator } from "../../src/simulator/smsc-simulator";
import { PASSWORD, SYSTEM_ID, eventually, startSimulator } from "../harness";
import { sealedDispatch, type DispatchInput, type Report, type SealedDispatch } from "./fixtures";
import { deleteKafkaPrefix, infraFromEnv, uniquePrefix } from "./kafka-redis";
import { testKafkaSecurity } from "@test/support/kafka-security";

export const NUMERIC_SENDER = "6281100001111";
export const APP_HASH = "FA+9qCX9VSu";

/** Tenants: bank-a (alphanumeric "BankA", numeric fallback, app hash), plain (defaults). */
const POLICY_FILE = {
  tenants: {
    "bank-a": { senders: { sms: { senderId: "BankA", numericFallback: NUMERIC_SENDER } } },
    "long-text": { senders: { sms: { senderId: "LongCo" } } },
  },
};

const LONG_TEMPLATE =
  "{code} is your {brand} verification code. It is valid for {minutes} minutes. Never share it with anyone, " +
  "including our staff: we will never call or message you to ask for it. If you did not ask for this code, " +
  "ignore this message and check your account.";

export interface StackOptions {
  label: string;
  scenario?: Scenario;
  instances?: number;
  /** Per account (e.g. window, responseTimeoutMs). */
  account?: Record<string, unknown>;
  dispatch?: Record<string, unknown>;
}

export interface Stack {
  simulator: SmscSimulator;
  gateways: SmsGateway[];
  sealer: Sealer;
  store: Store;
  topics: TopicNames;
  logs: string[];
  reports: Report[];
  dispatch(input?: DispatchInput): Promise<SealedDispatch>;
  publish(dispatch: SealedDispatch): Promise<void>;
  reportsOf(verificationId: string): Report[];
  /** Waits until the verification's reports satisfy `check`. */
  waitForReports(
    verificationId: string,
    what: string,
    check: (reports: Report[]) => boolean,
    timeoutMs?: number,
  ): Promise<Report[]>;
  close(): Promise<void>;
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const infra = infraFromEnv();
  const prefix = uniquePrefix(options.label);
  const topics = topicNames(`${prefix}.`);
  const logs: string[] = [];
  const logger = createLogger({ level: "debug", write: (line) => logs.push(line) });
  const simulator = await startSimulator(options.scenario ?? {});
  const bus: KafkaBus = createKafkaBus({
    brokers: infra.brokers,
    clientId: prefix,
    maxWaitTimeMs: 200,
    kafkaConfig: testKafkaSecurity(),
  });
  const stores: Store[] = [];
  const openStore = () => {
    const store = createRedisStore({ url: infra.redisUrl, prefix: `${prefix}:` });
    stores.push(store);
    return store;
  };
  const store = openStore();
  const { sealer } = generatedSecrets();
  const policies = policyBook();
  const config = stackConfig(options, simulator.port, prefix);
  await bus.ensureTopics(topicSpecs(topics, 3));

  const reports: Report[] = [];
  const collector = await collectReports(bus, `${prefix}-reports`, topics, reports);
  const gateways: SmsGateway[] = [];
  const gatewayBuses: KafkaBus[] = [];
  for (let i = 0; i < (options.instances ?? 1); i++) {
    // Each instance has its own bus and store clients, as separate replicas would.
    const gatewayBus = createKafkaBus({
      brokers: infra.brokers,
      clientId: `${prefix}-gw${i}`,
      maxWaitTimeMs: 200,
      kafkaConfig: testKafkaSecurity(),
    });
    gatewayBuses.push(gatewayBus);
    const gateway = createSmsGateway({
      bus: gatewayBus,
      store: openStore(),
      secrets: { sealer },
      policies,
      config,
      logger: logger.child({ instance: `gw${i}` }),
      topics,
      instanceId: `gw${i}`,
    });
    await gateway.start();
    await gateway.waitUntilBound(10_000);
    gateways.push(gateway);
  }
  await collector.ready;

  const reportsOf = (verificationId: string) => reports.filter((r) => r.verificationId === verificationId);
  const publish = (dispatch: SealedDispatch) => bus.publish(topics.verifications, dispatch.envelope);

  return {
    simulator,
    gateways,
    sealer,
    store,
    topics,
    logs,
    reports,
    reportsOf,
    publish,
    async dispatch(input) {
      const dispatch = sealedDispatch(sealer, input);
      await publish(dispatch);
      return dispatch;
    },
    async waitForReports(verificationId, what, check, timeoutMs = 20_000) {
      await eventually(what, () => check(reportsOf(verificationId)), timeoutMs);
      return reportsOf(verificationId);
    },
    async close() {
      // GATEWAY_TEST_LOGS=<file> keeps the captured log lines for a look after the run.
      if (process.env.GATEWAY_TEST_LOGS)
        appendFileSync(process.env.GATEWAY_TEST_LOGS, logs.join("\n") + "\n");
      for (const gateway of gateways) await gateway.close();
      await Promise.allSettled(gatewayBuses.map((b) => b.close()));
      await collector.stop();
      await bus.close();
      await simulator.close();
      await store.clear();
      await Promise.allSettled(stores.map((s) => s.close()));
      await deleteKafkaPrefix(infra.brokers, prefix);
    },
  };
}

/** One account on the simulator, with the test's overrides. */
function stackConfig(options: StackOptions, port: number, prefix: string): GatewayConfig {
  return gatewayConfigOrThrow(
    {
      accounts: {
        sim: {
          host: "127.0.0.1",
          port,
          systemId: SYSTEM_ID,
          password: PASSWORD,
          binds: 1,
          window: 10,
          tps: 200,
          responseTimeoutMs: 2_000,
          enquireLinkIntervalMs: 5_000,
          reconnect: { initialMs: 50, maxMs: 500 },
          ...options.account,
        },
      },
      routes: { "sms-id": ["sim"] },
      defaultRoute: "sms-id",
      messages: {
        tenants: {
          "bank-a": { appHash: APP_HASH },
          "long-text": { templates: { en: LONG_TEMPLATE } },
        },
      },
      dispatch: { consumerGroup: `${prefix}-gateway`, ...options.dispatch },
    },
    { env: {}, readFile: () => "" },
    "test",
  );
}

/** Collects every delivery report on the verifications topic. */
function collectReports(
  bus: KafkaBus,
  groupId: string,
  topics: TopicNames,
  reports: Report[],
): Promise<Subscription> {
  return bus.subscribe({
    groupId,
    topics: [topics.verifications],
    fromBeginning: true,
    handler: async ({ envelope }) => {
      const report = eventOf(envelope, "deliveryReported");
      if (report !== undefined) {
        reports.push({ verificationId: envelope.verificationId, causationId: envelope.causationId, report });
      }
    },
  });
}

function policyBook(): PolicyBook {
  const result = validatePolicyFile(POLICY_FILE);
  if (!result.ok) throw new Error(result.problems.join("; "));
  return result.book;
}
