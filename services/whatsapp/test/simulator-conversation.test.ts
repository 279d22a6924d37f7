/**
 * The simulator's customer service window: a user's message opens it, free-form text replies in
 * it reach the handset's inbox; outside it they fail with 131047 and nothing is shown.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startCloudApiSimulator, type CloudApiSimulator } from "../src/simulator/cloud-api-simulator";
import { parseWebhookBatch, type WebhookStatus } from "@platform/http/whatsapp-cloud/webhook-payload";
import { verifyWebhookSignature } from "@platform/http/whatsapp-cloud/webhook-signature";
import { ACCESS_TOKEN, APP_SECRET, eventually, listen, port } from "./harness";

const BUSINESS = "100000000000009";

describe("Cloud API simulator: customer service window", () => {
  let simulator: CloudApiSimulator;
  let close: () => Promise<void>;
  const statuses: WebhookStatus[] = [];
  let inboundSeen = 0;

  before(async () => {
    simulator = await startCloudApiSimulator({
      accessTokens: [ACCESS_TOKEN],
      appSecret: APP_SECRET,
      scenario: { default: { sentDelayMs: 5, deliveredDelayMs: 5, readDelayMs: 5 } },
    });
    const server = await listen((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (c: Buffer) => chunks.push(c));
      request.on("end", () => {
        const raw = Buffer.concat(chunks);
        const signature = request.headers["x-hub-signature-256"];
        assert.ok(
          verifyWebhookSignature(APP_SECRET, raw, typeof signature === "string" ? signature : undefined),
        );
        const batch = parseWebhookBatch(JSON.parse(raw.toString("utf8")));
        statuses.push(...batch.statuses);
        inboundSeen += batch.messages.length;
        response.writeHead(200).end();
      });
    });
    simulator.setWebhookUrl(`http://127.0.0.1:${port(server)}/hook`);
    close = async () => {
      await simulator.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    };
  });
  after(() => close());

  const sendText = async (to: string, body: unknown): Promise<{ status: number; id?: string }> => {
    const response = await fetch(`${simulator.url}/v21.0/${BUSINESS}/messages`, {
      method: "POST",
      headers: { authorization: `Bearer ${ACCESS_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ messaging_product: "whatsapp", to, type: "text", text: body }),
    });
    const json = (await response.json()) as { messages?: Array<{ id: string }> };
    return { status: response.status, id: json.messages?.[0]?.id };
  };

  it("delivers a text reply to a user who wrote in the last 24 hours, and shows it in the inbox", async () => {
    const user = "6281200000001";
    const inbound = await fetch(`${simulator.url}/inbound`, {
      method: "POST",
      body: JSON.stringify({ from: `+${user}`, text: "halo", phoneNumberId: BUSINESS }),
    });
    assert.equal(((await inbound.json()) as { posted: boolean }).posted, true);
    await eventually("inbound webhook", () => inboundSeen === 1);

    const sent = await sendText(user, { body: "Halo! Ada yang bisa dibantu?" });
    assert.equal(sent.status, 200);
    await eventually("in the inbox", () => simulator.inbox.messages(user).length === 1);
    const [message] = simulator.inbox.messages(user);
    assert.equal(message?.kind, "text");
    assert.equal(message?.text, "Halo! Ada yang bisa dibantu?");
    assert.equal(message?.button, undefined);
    await eventually("read", () => statuses.some((s) => s.id === sent.id && s.status === "read"));
  });

  it("fails a text to a user with no open window with 131047, and shows nothing", async () => {
    const user = "6281200000002";
    const sent = await sendText(user, { body: "Hello?" });
    assert.equal(sent.status, 200);
    await eventually("failed status", () => statuses.some((s) => s.id === sent.id && s.status === "failed"));
    const failed = statuses.find((s) => s.id === sent.id && s.status === "failed");
    assert.equal(failed?.errors[0]?.code, 131047);
    assert.equal(simulator.inbox.messages(user).length, 0);
  });

  it("a window is per business number: writing to another number opens none here", async () => {
    const user = "6281200000003";
    const inbound = await fetch(`${simulator.url}/inbound`, {
      method: "POST",
      body: JSON.stringify({ from: user, text: "hi", phoneNumberId: "100000000000777" }),
    });
    assert.equal(
      ((await inbound.json()) as { posted: boolean }).posted,
      true,
      "the user wrote to the other number",
    );
    const sent = await sendText(user, { body: "Hello?" });
    await eventually("failed status", () => statuses.some((s) => s.id === sent.id && s.status === "failed"));
    assert.equal(simulator.inbox.messages(user).length, 0);
  });

  it("answers an empty or oversized text body with Graph error 100", async () => {
    for (const body of [{ body: "" }, { body: "x".repeat(4097) }, {}]) {
      const response = await fetch(`${simulator.url}/v21.0/${BUSINESS}/messages`, {
        method: "POST",
        headers: { authorization: `Bearer ${ACCESS_TOKEN}` },
        body: JSON.stringify({
          messaging_product: "whatsapp",
          to: "6281200000001",
          type: "text",
          text: body,
        }),
      });
      assert.equal(response.status, 400);
      assert.equal(((await response.json()) as { error: { code: number } }).error.code, 100);
    }
  });
});
