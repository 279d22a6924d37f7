/**
 * The WhatsApp channel as deployed: DispatchRequested on a real Kafka topic, claims and wamids
 * in a real Redis, the Cloud API simulator over real HTTP posting signed status webhooks to the
 * channel's own listener, DeliveryReported read back from Kafka. Then the same flow on the
 * in-process bus and store of the all-in-one mode.
 */
import assert from "node:assert/strict";
import { statusWebhook } from "../src/simulator/webhook-poster";
import { signWebhookBody } from "@platform/http/whatsapp-cloud/webhook-signature";
import { after, before, describe, it } from "node:test";
import { Channel, DeliveryStatus as S, FailureClass } from "@proto/otp/v1/common";
import type { ChannelService } from "@platform/http/channel-service";
import {
  dispatchRequested,
  eventually,
  freshVerification,
  startLifecycleFixture,
  type LifecycleFixture,
} from "@test/support/channel-fixture";
import { createLogger } from "@platform/log";
import { createPolicyBook, DEFAULT_POLICY } from "@domain/policy";
import type { WhatsAppChannelConfig } from "../src/channel-config";
import { createWhatsAppChannel } from "../src/channel";
import { startCloudApiSimulator, type CloudApiSimulator } from "../src/simulator/cloud-api-simulator";

const ACCESS_TOKEN = "channel-test-token";
const APP_SECRET = "channel-test-app-secret";
const PHONE_NUMBER_ID = "100000000000011";

interface Running {
  fixture: LifecycleFixture;
  simulator: CloudApiSimulator;
  channel: ChannelService;
  logs: string[];
  close(): Promise<void>;
}

async function startChannel(wires: "kafka+redis" | "in-process"): Promise<Running> {
  const fixture = await startLifecycleFixture("wa-channel", wires);
  const simulator = await startCloudApiSimulator({
    accessTokens: [ACCESS_TOKEN],
    appSecret: APP_SECRET,
    scenario: {
      default: { sentDelayMs: 10, deliveredDelayMs: 10, readDelayMs: 10 },
      notOnWhatsApp: ["62819"],
    },
  });
  const logs: string[] = [];
  const config: WhatsAppChannelConfig = {
    baseUrl: simulator.url,
    apiVersion: "v21.0",
    accessToken: ACCESS_TOKEN,
    ttlMode: "template",
    senders: [{ name: "meta-primary", phoneNumberId: PHONE_NUMBER_ID }],
    tenantSenders: {},
    templateName: "otp_authentication",
    appSecret: APP_SECRET,
    verifyToken: "channel-test-verify",
    webhookPath: "/whatsapp/webhook",
    webhookListen: "127.0.0.1:0",
    groupId: `${fixture.prefix}-whatsapp-connector`,
    retry: { initialDelayMs: 10, maxDelayMs: 40 },
  };
  const channel = createWhatsAppChannel({
    bus: fixture.bus,
    store: fixture.store,
    secrets: fixture.secrets,
    policies: createPolicyBook(DEFAULT_POLICY, {}),
    config,
    logger: createLogger({ level: "debug", write: (line) => logs.push(line) }),
    topics: fixture.topics,
  });
  await channel.start();
  simulator.setWebhookUrl(`${channel.listenUrl ?? ""}${config.webhookPath}`);
  return {
    fixture,
    simulator,
    channel,
    logs,
    async close() {
      await channel.stop();
      await simulator.close();
      await fixture.close();
    },
  };
}

const inFiveMinutes = () => new Date(Date.now() + 5 * 60_000);

describe("WhatsApp channel on Kafka and Redis", () => {
  let run: Running;
  const sent: Array<{ phone: string; code: string }> = [];
  before(async () => {
    run = await startChannel("kafka+redis");
  });
  after(() => run.close());

  const dispatch = async (prefix: string, attempt: number, expiresAt = inFiveMinutes()) => {
    const v = freshVerification(prefix);
    sent.push(v);
    const event = dispatchRequested(run.fixture.sealer, {
      ...v,
      attempt,
      channel: Channel.CHANNEL_WHATSAPP,
      expiresAt,
    });
    return { ...v, event };
  };

  it("sends the code and reports DELIVERED for the right attempt from the signed status webhook", async () => {
    const d = await dispatch("62812", 2);
    await run.fixture.publish(d.event);
    await eventually("the code in the handset's inbox", () =>
      run.simulator.inbox.messages(d.phone).some((m) => m.text.includes(d.code)),
    );
    await eventually("DELIVERED on Kafka", () =>
      run.fixture.receiptsOf(d.verificationId).some((r) => r.status === S.DELIVERY_STATUS_DELIVERED),
    );
    const [message] = run.simulator.inbox.messages(d.phone);
    const receipts = run.fixture.receiptsOf(d.verificationId);
    assert.equal(receipts[0]?.status, S.DELIVERY_STATUS_ACCEPTED);
    for (const r of receipts) {
      assert.equal(r.key, d.verificationId, "keyed by verification id");
      assert.equal(r.tenant, "bank-a");
      assert.equal(r.attempt, 2);
      assert.equal(r.channel, Channel.CHANNEL_WHATSAPP);
      assert.equal(r.route, "meta-primary");
      assert.equal(r.providerMessageId, message?.messageId);
      assert.equal(r.district, "ID-JK-JS");
      assert.equal(r.operator, "id-telkomsel");
    }
    assert.equal(message?.templateName, "otp_authentication");
    assert.equal(message?.language, "id");
  });

  it("rejects an unsigned status webhook", async () => {
    const response = await fetch(`${run.channel.listenUrl ?? ""}/whatsapp/webhook`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ object: "whatsapp_business_account", entry: [] }),
    });
    assert.equal(response.status, 401);
  });

  it("takes a replayed signed status once: it moves the attempt no further", async () => {
    const d = await dispatch("62812", 1);
    await run.fixture.publish(d.event);
    await eventually("READ on Kafka", () =>
      run.fixture.receiptsOf(d.verificationId).some((r) => r.status === S.DELIVERY_STATUS_READ),
    );
    const [message] = run.simulator.inbox.messages(d.phone);
    const post = (status: "delivered" | "failed") => {
      const body = JSON.stringify(
        statusWebhook("waba-test", {
          phoneNumberId: PHONE_NUMBER_ID,
          messageId: message?.messageId ?? "",
          status,
          recipientId: d.phone.slice(1),
          timestamp: new Date(),
          ...(status === "failed" ? { error: { code: 131026, title: "Message undeliverable" } } : {}),
        }),
      );
      return fetch(`${run.channel.listenUrl ?? ""}/whatsapp/webhook`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-hub-signature-256": signWebhookBody(APP_SECRET, body),
        },
        body,
      });
    };
    // The replay is signed correctly and answered 200 (the provider must not retry it)...
    assert.equal((await post("delivered")).status, 200);
    // ...and a status never seen before, after it on the same partition, marks the end.
    assert.equal((await post("failed")).status, 200);
    await eventually("the new FAILED on Kafka", () =>
      run.fixture.receiptsOf(d.verificationId).some((r) => r.status === S.DELIVERY_STATUS_FAILED),
    );
    const delivered = run.fixture
      .receiptsOf(d.verificationId)
      .filter((r) => r.status === S.DELIVERY_STATUS_DELIVERED);
    assert.equal(delivered.length, 1, "the replayed DELIVERED was not reported again");
  });

  it("reports a number that is not on WhatsApp as FAILED PERMANENT at once", async () => {
    const d = await dispatch("62819", 1);
    await run.fixture.publish(d.event);
    await eventually("FAILED on Kafka", () =>
      run.fixture.receiptsOf(d.verificationId).some((r) => r.status === S.DELIVERY_STATUS_FAILED),
    );
    const failed = run.fixture
      .receiptsOf(d.verificationId)
      .find((r) => r.status === S.DELIVERY_STATUS_FAILED);
    assert.equal(failed?.failureClass, FailureClass.FAILURE_CLASS_PERMANENT);
    assert.equal(failed?.reason, "WHATSAPP_131026");
    assert.equal(run.simulator.inbox.messages(d.phone).length, 0);
  });

  it("sends one message when the bus delivers the same dispatch twice", async () => {
    const d = await dispatch("62812", 1);
    await run.fixture.publish(d.event);
    await run.fixture.publish(d.event);
    await eventually("the duplicate seen and ignored", () =>
      run.logs.some((l) => l.includes("already handled") && l.includes(d.verificationId)),
    );
    await eventually("DELIVERED on Kafka", () =>
      run.fixture.receiptsOf(d.verificationId).some((r) => r.status === S.DELIVERY_STATUS_DELIVERED),
    );
    const to = d.phone.slice(1);
    assert.equal(
      run.simulator.received(PHONE_NUMBER_ID).filter((r) => (r.body as { to?: string }).to === to).length,
      1,
    );
    assert.equal(run.simulator.inbox.messages(d.phone).length, 1);
    const accepted = run.fixture
      .receiptsOf(d.verificationId)
      .filter((r) => r.status === S.DELIVERY_STATUS_ACCEPTED);
    assert.equal(accepted.length, 1);
  });

  it("does not send an expired dispatch", async () => {
    const d = await dispatch("62812", 3, new Date(Date.now() - 1_000));
    await run.fixture.publish(d.event);
    await eventually("EXPIRED on Kafka", () =>
      run.fixture.receiptsOf(d.verificationId).some((r) => r.status === S.DELIVERY_STATUS_EXPIRED),
    );
    assert.equal(run.fixture.receiptsOf(d.verificationId)[0]?.reason, "CODE_EXPIRED");
    const to = d.phone.slice(1);
    assert.equal(run.simulator.received().filter((r) => (r.body as { to?: string }).to === to).length, 0);
  });

  it("never logs a code or a full phone number", () => {
    assert.ok(run.logs.length > 5, "expected log lines to inspect");
    const logs = run.logs.join("\n");
    for (const { phone, code } of sent) {
      assert.ok(!logs.includes(code), "a code leaked into the logs");
      assert.ok(!logs.includes(phone.slice(1)), "a phone number leaked into the logs");
    }
  });
});

describe("WhatsApp channel on the in-process bus and store", () => {
  let run: Running;
  before(async () => {
    run = await startChannel("in-process");
  });
  after(() => run.close());

  it("sends the code and reports DELIVERED", async () => {
    const v = freshVerification("62812");
    const event = dispatchRequested(run.fixture.sealer, {
      ...v,
      attempt: 1,
      channel: Channel.CHANNEL_WHATSAPP,
      expiresAt: inFiveMinutes(),
    });
    await run.fixture.publish(event);
    await eventually("DELIVERED", () =>
      run.fixture.receiptsOf(v.verificationId).some((r) => r.status === S.DELIVERY_STATUS_DELIVERED),
    );
    assert.ok(run.simulator.inbox.messages(v.phone).some((m) => m.text.includes(v.code)));
  });

  it("ignores dispatches of other channels", async () => {
    const v = freshVerification("62812");
    await run.fixture.publish(
      dispatchRequested(run.fixture.sealer, {
        ...v,
        attempt: 1,
        channel: Channel.CHANNEL_SMS,
        expiresAt: inFiveMinutes(),
      }),
    );
    const marker = freshVerification("62812");
    await run.fixture.publish(
      dispatchRequested(run.fixture.sealer, {
        ...marker,
        attempt: 1,
        channel: Channel.CHANNEL_WHATSAPP,
        expiresAt: inFiveMinutes(),
      }),
    );
    // Same partition order is not guaranteed across keys: wait for the later one, then a moment more.
    await eventually(
      "the later dispatch handled",
      () => run.fixture.receiptsOf(marker.verificationId).length > 0,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(run.fixture.receiptsOf(v.verificationId).length, 0);
    assert.equal(run.simulator.inbox.messages(v.phone).length, 0);
  });
});
