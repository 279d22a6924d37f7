/**
 * The all-in-one wiring: createSmsGateway on the in-process bus and store, with the default
 * configuration pointing at the SMSC simulator (still real SMPP on loopback).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { createMemoryBus } from "../../../services/shared/src/bus/memory";
import { generatedSecrets } from "../../../services/shared/src/crypto/keys";
import { eventOf } from "../../../services/shared/src/events/envelope";
import { topicNames, topicSpecs } from "../../../services/shared/src/events/topics";
import { silentLogger } from "../../../services/shared/src/log";
import { createPolicyBook, DEFAULT_POLICY } from "../../../services/shared/src/policy";
import { createMemoryStore } from "../../../services/shared/src/store/memory";
import { simulatorGatewayConfig } from "../../src/config/default-config";
import { createSmsGateway } from "../../src/gateway";
import { PASSWORD, SYSTEM_ID, eventually, startSimulator } from "../harness";
import { sealedDispatch, statusName } from "./fixtures";

test("embedded bus and store, default config on the simulator: ACCEPTED then DELIVERED", async () => {
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
