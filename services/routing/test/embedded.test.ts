/**
 * The routing service on the in-process bus and store (the all-in-one mode): the same factory,
 * the same fallback, with nothing but this process.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { VerificationStarted } from "@proto/otp/events/v1/events";
import { Channel, DeliveryStatus, RiskTier } from "@proto/otp/v1/common";
import { createMemoryBus, type MemoryBus } from "@platform/bus/memory";
import type { Subscription } from "@platform/bus/port";
import { createSealer, sealedField } from "@platform/crypto/sealer";
import { envelope, newVerificationId } from "@platform/events/envelope";
import { topicNames } from "@platform/bus/topics";
import { silentLogger } from "@platform/log";
import { createMemoryStore } from "@platform/store/memory";
import type { Store } from "@platform/store/port";
import { createRoutingService, type RoutingService } from "../src/routing-service";
import { eventually, FAST_SETTINGS, TENANT, testPolicies } from "./harness";

describe("routing on the in-process bus and store", () => {
  const topics = topicNames("embedded.");
  let bus: MemoryBus;
  let store: Store;
  let routing: RoutingService;
  let observer: Subscription;
  const dispatches: { verificationId: string; attempt: number; channel: Channel }[] = [];

  before(async () => {
    bus = createMemoryBus();
    store = createMemoryStore({ prefix: "embedded:" });
    routing = createRoutingService({
      bus,
      store,
      policies: testPolicies(),
      logger: silentLogger(),
      topics,
      settings: FAST_SETTINGS,
    });
    await routing.start();
    observer = await bus.subscribe({
      groupId: "observer",
      topics: [topics.verifications],
      handler: async ({ envelope: env }) => {
        if (env.event?.$case !== "dispatchRequested") return;
        const d = env.event.value;
        dispatches.push({ verificationId: env.verificationId, attempt: d.attempt, channel: d.channel });
        if (d.channel === Channel.CHANNEL_SMS) {
          await bus.publish(
            topics.verifications,
            envelope(
              { verificationId: env.verificationId, tenant: TENANT, at: new Date() },
              {
                $case: "deliveryReported",
                value: {
                  attempt: d.attempt,
                  channel: d.channel,
                  route: d.route,
                  status: DeliveryStatus.DELIVERY_STATUS_DELIVERED,
                  failureClass: 0,
                  reason: "",
                  providerMessageId: "m",
                  district: d.district,
                  operator: d.operator,
                  providerTime: new Date(),
                  providerSubmitDate: "",
                  providerDoneDate: "",
                },
              },
            ),
          );
        }
      },
    });
    await observer.ready;
  });
  after(async () => {
    await observer.stop();
    await routing.stop();
    await bus.close();
    await store.close();
  });

  it("WhatsApp without a receipt falls back to SMS; the delivery shows in channel health", async () => {
    const sealer = createSealer({ activeKeyId: "k", keys: new Map([["k", randomBytes(32)]]) });
    const id = newVerificationId();
    await bus.publish(
      topics.verifications,
      envelope(
        { verificationId: id, tenant: TENANT, at: new Date() },
        {
          $case: "verificationStarted",
          value: VerificationStarted.fromPartial({
            phone: sealer.seal("+6281234567890", sealedField(id, "phone")),
            code: sealer.seal("123456", sealedField(id, "code")),
            district: "ID-JK-JS",
            operator: "id-telkomsel",
            purpose: "login",
            riskTier: RiskTier.RISK_TIER_MEDIUM,
            expiresAt: new Date(Date.now() + 60_000),
            maxSends: 5,
            numberType: "mobile",
          }),
        },
      ),
    );
    await eventually(
      () => dispatches.some((d) => d.verificationId === id && d.attempt === 2),
      "SMS attempt",
      15_000,
    );
    assert.deepEqual(
      dispatches.filter((d) => d.verificationId === id).map((d) => d.channel),
      [Channel.CHANNEL_WHATSAPP, Channel.CHANNEL_SMS],
    );
    const figures = await eventually(async () => {
      const all = await routing.health.districtFigures("ID-JK-JS", Date.now(), true);
      const sms = all.find((f) => f.channel === "sms" && f.route === "");
      return sms && sms.sampleSize === 1 ? all : undefined;
    }, "SMS delivery recorded");
    assert.equal(
      figures.find((f) => f.channel === "whatsapp" && f.route === "")?.deliveryRate,
      0,
      "the timeout counted",
    );
    const explained = await routing.states.load(id);
    assert.deepEqual(
      explained?.attempts.map((a) => a.outcome),
      ["timed_out", "delivered"],
    );
  });
});
