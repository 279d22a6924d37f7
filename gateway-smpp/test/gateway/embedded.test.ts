/**
 * The all-in-one wiring: createSmsGateway on the in-process bus and store, with the default
 * configuration pointing at the SMSC simulator (still real SMPP on loopback); and an account
 * whose SMSC (Perl's Net::SMPP) outbinds to deliver its receipt.
 */
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { it } from "node:test";
import type { DeliveryReported } from "@proto/otp/events/v1/events";
import { createMemoryBus } from "@platform/bus/memory";
import { generatedSecrets } from "@platform/crypto/keys";
import { eventOf } from "@platform/events/envelope";
import { topicNames, topicSpecs } from "@platform/bus/topics";
import { silentLogger } from "@platform/log";
import { createPolicyBook, DEFAULT_POLICY } from "@domain/policy";
import { createMemoryStore } from "@platform/store/memory";
import { simulatorGatewayConfig } from "../../src/config/default-config";
import { createSmsGateway } from "../../src/gateway";
import { PASSWORD, SYSTEM_ID, eventually, startSimulator } from "../harness";
import { requireNetSmpp, runPerl } from "../interop/perl";
import { sealedDispatch, statusName } from "./fixtures";

it("embedded bus and store, default config on the simulator: ACCEPTED then DELIVERED", async () => {
  const simulator = await startSimulator({ default: { receiptDelayMs: 20 } });
  const bus = createMemoryBus();
  const store = createMemoryStore({ prefix: "embedded:" });
  const topics = topicNames();
  const secrets = generatedSecrets();
  await bus.ensureTopics(topicSpecs(topics, 4));
  const gateway = createSmsGateway({
    bus,
    store,
    secrets,
    policies: createPolicyBook(DEFAULT_POLICY, {}),
    config: simulatorGatewayConfig({
      host: "127.0.0.1",
      port: simulator.port,
      systemId: SYSTEM_ID,
      password: PASSWORD,
    }),
    logger: silentLogger(),
    topics,
  });
  const statuses: string[] = [];
  const collector = await bus.subscribe({
    groupId: "reports",
    topics: [topics.verifications],
    handler: async ({ envelope }) => {
      const report = eventOf(envelope, "deliveryReported");
      if (report) statuses.push(statusName(report));
    },
  });
  try {
    await gateway.start();
    await collector.ready;
    const sent = sealedDispatch(secrets.sealer, { route: "", locale: "vi", country: "VN", tenant: "shop" });
    await bus.publish(topics.verifications, sent.envelope);
    await eventually("delivered", () => statuses.includes("DELIVERED"));
    assert.deepEqual(statuses, ["ACCEPTED", "DELIVERED"]);
    const [message] = simulator.inbox.messages(sent.phone);
    assert.equal(message?.from, "Verify", "the default policy's sender id");
    assert.equal(
      message?.text,
      `${sent.code} la ma OTP Verify cua ban. Hieu luc 5 phut. KHONG chia se ma nay cho bat ky ai.`,
    );
    assert.equal(gateway.snapshot().binds.length, 2);
  } finally {
    await gateway.close();
    await collector.stop();
    await bus.close();
    await store.close();
    await simulator.close();
  }
});

it("an account with an outbind listener: the SMSC's receipt over its outbind delivers the attempt, its alert is counted", async () => {
  requireNetSmpp();
  // The simulator holds its own receipt far beyond the test: only the outbind can deliver it.
  const simulator = await startSimulator({ default: { receiptDelayMs: 600_000 } });
  const bus = createMemoryBus();
  const store = createMemoryStore({ prefix: "embedded-outbind:" });
  const topics = topicNames();
  const secrets = generatedSecrets();
  await bus.ensureTopics(topicSpecs(topics, 4));
  const base = simulatorGatewayConfig({
    host: "127.0.0.1",
    port: simulator.port,
    systemId: SYSTEM_ID,
    password: PASSWORD,
  });
  const outbindPort = await freePort();
  const account = base.accounts.simulator!;
  const config = {
    ...base,
    accounts: {
      simulator: {
        ...account,
        outbind: {
          host: "127.0.0.1",
          port: outbindPort,
          smscSystemId: "PERLSMSC",
          smscPassword: "perlpw",
          bindMode: "receiver" as const,
          maxConnections: 2,
        },
      },
    },
  };
  const gateway = createSmsGateway({
    bus,
    store,
    secrets,
    policies: createPolicyBook(DEFAULT_POLICY, {}),
    config,
    logger: silentLogger(),
    topics,
  });
  const reports: DeliveryReported[] = [];
  const collector = await bus.subscribe({
    groupId: "reports",
    topics: [topics.verifications],
    handler: async ({ envelope }) => {
      const report = eventOf(envelope, "deliveryReported");
      if (report) reports.push(report);
    },
  });
  try {
    await gateway.start();
    await collector.ready;
    const sent = sealedDispatch(secrets.sealer, { route: "", tenant: "shop" });
    await bus.publish(topics.verifications, sent.envelope);
    await eventually("accepted", () => reports.length === 1);
    const messageId = reports[0]?.providerMessageId ?? "";
    assert.notEqual(messageId, "");
    const perl = runPerl("net-smpp-smsc-outbind.pl", [
      String(outbindPort),
      "PERLSMSC",
      "perlpw",
      "ok",
      messageId,
    ]);
    assert.equal(await perl.exited, 0, perl.stderr());
    await eventually("delivered", () => reports.length === 2);
    assert.deepEqual(reports.map(statusName), ["ACCEPTED", "DELIVERED"]);
    const counted = gateway.snapshot().gateway;
    assert.equal(counted.outbindBinds, 1);
    assert.equal(counted.alertNotifications, 1);
    assert.equal(counted.receiptsMatchedLocally, 1);
  } finally {
    await gateway.close();
    await collector.stop();
    await bus.close();
    await store.close();
    await simulator.close();
  }
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === "object" && address !== null ? address.port : 0;
}
