/**
 * Kill the gateway mid-load: a gateway process (src/main.ts) is SIGKILLed while dispatches are
 * in flight, another one starts. Every dispatch ends with a DeliveryReported and no SMS is
 * sent twice: a dispatch the dead process had claimed but not finished is reported FAILED
 * UNKNOWN "SMS_DISPATCH_INTERRUPTED" (it may or may not have reached the SMSC), never resent.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { it } from "node:test";
import { createKafkaBus } from "@platform/bus/kafka";
import { secretsFromEnv } from "@platform/crypto/keys";
import { eventOf } from "@platform/events/envelope";
import { topicNames, topicSpecs } from "@platform/bus/topics";
import { createRedisStore } from "@platform/store/redis";
import { PASSWORD, SYSTEM_ID, eventually, startSimulator } from "../harness";
import { classOf, sealedDispatch, statusName, type Report, type SealedDispatch } from "./fixtures";
import { deleteKafkaPrefix, infraFromEnv, uniquePrefix } from "./kafka-redis";
import { testEventAuth } from "@test/support/event-auth";
import { testKafkaSecurity } from "@test/support/kafka-security";

const ROOT = path.resolve(__dirname, "../../..");
const DISPATCHES = 40;

interface GatewayProcess {
  child: ChildProcess;
  logs: string[];
}

function startGatewayProcess(env: NodeJS.ProcessEnv): GatewayProcess {
  const child = spawn(process.execPath, ["--import", "tsx", "gateway-smpp/src/main.ts"], {
    cwd: ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: string[] = [];
  let pending = "";
  const collect = (chunk: Buffer) => {
    const lines = (pending + chunk.toString("utf8")).split("\n");
    pending = lines.pop() ?? "";
    logs.push(...lines);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  return { child, logs };
}

async function consuming(gateway: GatewayProcess): Promise<void> {
  await eventually(
    "the gateway process consumes",
    () => gateway.logs.some((l) => l.includes("sms gateway consuming")),
    60_000,
  );
}

it("SIGKILL mid-load, another gateway starts: every dispatch reported, none sent twice", async (t) => {
  const infra = infraFromEnv();
  const prefix = uniquePrefix("crash");
  const topics = topicNames(`${prefix}.`);
  const dir = mkdtempSync(path.join(tmpdir(), "gateway-crash-"));
  const simulator = await startSimulator({ responseDelayMs: 150, default: { receiptDelayMs: 300 } });
  const secretEnv = {
    OTP_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString("hex")}`,
    OTP_CODE_HASH_SECRET: randomBytes(32).toString("hex"),
  };
  const { sealer } = secretsFromEnv(secretEnv, { allowEphemeral: false });
  const configPath = path.join(dir, "smpp.json");
  writeFileSync(
    configPath,
    JSON.stringify({
      accounts: {
        sim: {
          host: "127.0.0.1",
          port: simulator.port,
          systemId: SYSTEM_ID,
          passwordEnv: "SIM_PASSWORD",
          window: 4,
          tps: 10,
          responseTimeoutMs: 3_000,
          reconnect: { initialMs: 50, maxMs: 500 },
        },
      },
      routes: { "sms-id": ["sim"] },
      dispatch: { consumerGroup: `${prefix}-gateway`, inFlightWaitMs: 5_000 },
    }),
  );
  const eventAuth = testEventAuth();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...secretEnv,
    ...eventAuth.env,
    KAFKA_BROKERS: infra.brokers,
    REDIS_URL: infra.redisUrl,
    OTP_TOPIC_PREFIX: `${prefix}.`,
    OTP_STORE_PREFIX: `${prefix}:`,
    SMPP_CONFIG: configPath,
    SIM_PASSWORD: PASSWORD,
    LOG_LEVEL: "debug",
  };
  const bus = createKafkaBus({
    brokers: infra.brokers,
    clientId: prefix,
    maxWaitTimeMs: 200,
    authenticator: eventAuth.authenticator,
    kafkaConfig: testKafkaSecurity(),
  });
  const gateways: GatewayProcess[] = [];
  try {
    await bus.ensureTopics(topicSpecs(topics, 3));
    const reports: Report[] = [];
    const collector = await bus.subscribe({
      groupId: `${prefix}-reports`,
      topics: [topics.verifications],
      fromBeginning: true,
      handler: async ({ envelope }) => {
        const report = eventOf(envelope, "deliveryReported");
        if (report)
          reports.push({
            verificationId: envelope.verificationId,
            causationId: envelope.causationId,
            report,
          });
      },
    });
    await collector.ready;

    const first = startGatewayProcess(env);
    gateways.push(first);
    await consuming(first);
    const dispatches: SealedDispatch[] = Array.from({ length: DISPATCHES }, () => sealedDispatch(sealer));
    await bus.publishBatch(dispatches.map((d) => ({ topic: topics.verifications, envelope: d.envelope })));
    const accepted = () => reports.filter((r) => statusName(r.report) === "ACCEPTED").length;
    await eventually("some dispatches accepted", () => accepted() >= 8, 30_000);
    first.child.kill("SIGKILL");
    const acceptedBeforeKill = accepted();

    const second = startGatewayProcess(env);
    gateways.push(second);
    await consuming(second);
    const reportsOf = (d: SealedDispatch) => reports.filter((r) => r.verificationId === d.verificationId);
    // The dead consumer keeps its partitions until its Kafka session times out (30 s).
    await eventually(
      "every dispatch reported",
      () => dispatches.every((d) => reportsOf(d).length > 0),
      120_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 2_000));

    let interrupted = 0;
    for (const d of dispatches) {
      const sent = simulator.inbox.partCount(d.phone);
      const mine = reportsOf(d);
      assert.ok(sent <= 1, `${d.verificationId} sent ${sent} times`);
      const first = mine[0]!.report;
      // The dead process may have saved its ACCEPTED without publishing it: its message's
      // receipt, read by the new process through the store, is then reported before the
      // redelivered dispatch publishes the saved ACCEPTED (consumers only move forward).
      if (["ACCEPTED", "DELIVERED"].includes(statusName(first))) {
        assert.equal(sent, 1, "accepted or delivered means sent once");
      } else {
        assert.equal(statusName(first), "FAILED");
        assert.equal(classOf(first), "UNKNOWN");
        assert.equal(first.reason, "SMS_DISPATCH_INTERRUPTED");
        interrupted++;
      }
    }
    const delivered = dispatches.filter((d) =>
      reportsOf(d).some((r) => statusName(r.report) === "DELIVERED"),
    ).length;
    t.diagnostic(
      `accepted before kill ${acceptedBeforeKill}, interrupted ${interrupted}, delivered ${delivered}/${DISPATCHES}`,
    );
    assert.ok(
      interrupted <= 8,
      "only what was in hand (the gateway's bound: twice the window of 4) is interrupted",
    );
    const logs = gateways.flatMap((g) => g.logs).join("\n");
    for (const d of dispatches) {
      assert.ok(!logs.includes(d.phone), "a full phone number in the logs");
      assert.doesNotMatch(logs, new RegExp(`(?<![0-9])${d.code}(?![0-9])`), "a code in the logs");
    }
    assert.ok(!logs.includes(PASSWORD), "the SMPP password in the logs");
    await collector.stop();
  } finally {
    const running = gateways.filter((g) => g.child.exitCode === null && g.child.signalCode === null);
    for (const g of running) g.child.kill("SIGTERM");
    await Promise.all(running.map((g) => new Promise((resolve) => g.child.once("exit", resolve))));
    await bus.close();
    await simulator.close();
    const store = createRedisStore({ url: infra.redisUrl, prefix: `${prefix}:` });
    await store.clear();
    await store.close();
    await deleteKafkaPrefix(infra.brokers, prefix);
    rmSync(dir, { recursive: true, force: true });
  }
});
