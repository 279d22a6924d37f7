import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DeliveryStatus } from "@proto/otp/v1/common";
import { dispatchTo, eventually, receiptsOf, startStack, type Stack } from "./harness";

describe("Cloud API simulator", () => {
  let stack: Stack;
  let base: string;
  before(async () => {
    stack = await startStack({
      scenario: {
        districts: { "jakarta-utara": ["62857"] },
        default: { sentDelayMs: 5, deliveredDelayMs: 5, readDelayMs: 5 },
        outages: [{ district: "jakarta-utara", effect: "no-delivery" }],
      },
    });
    base = stack.simulator.url;
  });
  after(() => stack.close());

  it("HTTP control: inbox per phone, clear, scenario get/put with validation, stats", async () => {
    const d = dispatchTo("62812");
    await stack.connector.dispatch(d);
    await eventually("delivered", () => stack.simulator.inbox.messages(d.phone).length === 1);
    const inbox = (await (await fetch(`${base}/inbox?phone=${encodeURIComponent(d.phone)}`)).json()) as {
      messages: Array<{ text: string }>;
    };
    assert.equal(inbox.messages[0]?.text, `${d.code} is your verification code.`);
    assert.equal((await fetch(`${base}/inbox`, { method: "DELETE" })).status, 204);
    assert.deepEqual(await (await fetch(`${base}/inbox`)).json(), { messages: [] });

    const scenario = { seed: 7, rateLimitPerSecond: 50 };
    const put = await fetch(`${base}/scenario`, { method: "PUT", body: JSON.stringify(scenario) });
    assert.equal(put.status, 200);
    assert.deepEqual(await (await fetch(`${base}/scenario`)).json(), scenario);
    const bad = await fetch(`${base}/scenario`, {
      method: "PUT",
      body: JSON.stringify({ outages: [{ effect: "x" }] }),
    });
    assert.equal(bad.status, 400);
    const stats = (await (await fetch(`${base}/stats`)).json()) as { accepted: number };
    assert.ok(stats.accepted >= 1);
  });

  it("answers a missing token with 401 and Graph error 190", async () => {
    const response = await fetch(`${base}/v21.0/1/messages`, { method: "POST", body: "{}" });
    assert.equal(response.status, 401);
    const body = (await response.json()) as { error: { code: number; type: string } };
    assert.equal(body.error.code, 190);
    assert.equal(body.error.type, "OAuthException");
  });

  it("a no-delivery outage in a district: accepted and sent, never delivered", async () => {
    stack.simulator.setScenario({
      districts: { "jakarta-utara": ["62857"] },
      default: { sentDelayMs: 5, deliveredDelayMs: 5, readDelayMs: 5 },
      outages: [{ district: "jakarta-utara", effect: "no-delivery" }],
    });
    const d = dispatchTo("62857");
    await stack.connector.dispatch(d);
    await eventually("sent", () => receiptsOf(stack, d.verificationId).length === 2);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(
      receiptsOf(stack, d.verificationId).map((r) => r.status),
      [DeliveryStatus.DELIVERY_STATUS_ACCEPTED, DeliveryStatus.DELIVERY_STATUS_SENT],
    );
    assert.equal(stack.simulator.inbox.messages(d.phone).length, 0);
  });
});
