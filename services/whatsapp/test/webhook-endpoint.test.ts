import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { signWebhookBody } from "@platform/http/whatsapp-cloud/webhook-signature";
import { APP_SECRET, startStack, VERIFY_TOKEN, type Stack } from "./harness";

const statusBody = JSON.stringify({
  object: "whatsapp_business_account",
  entry: [
    {
      id: "1",
      changes: [
        {
          field: "messages",
          value: {
            statuses: [
              {
                id: "wamid.unknown",
                status: "deleted",
                timestamp: "1700000000",
                recipient_id: "6281234567890",
              },
            ],
          },
        },
      ],
    },
  ],
});

describe("webhook endpoint", () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(() => stack.close());

  const post = (body: string | Buffer, signature?: string) =>
    fetch(stack.webhookUrl, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(signature === undefined ? {} : { "x-hub-signature-256": signature }),
      },
      body,
    });

  describe("GET verification handshake", () => {
    const handshake = (query: Record<string, string>) =>
      fetch(`${stack.webhookUrl}?${new URLSearchParams(query).toString()}`);

    it("echoes hub.challenge when the verify token matches", async () => {
      const response = await handshake({
        "hub.mode": "subscribe",
        "hub.verify_token": VERIFY_TOKEN,
        "hub.challenge": "1158201444",
      });
      assert.equal(response.status, 200);
      assert.equal(await response.text(), "1158201444");
    });

    it("refuses a wrong token or mode with 403", async () => {
      const wrongToken = await handshake({
        "hub.mode": "subscribe",
        "hub.verify_token": "nope",
        "hub.challenge": "1",
      });
      assert.equal(wrongToken.status, 403);
      const wrongMode = await handshake({
        "hub.mode": "unsubscribe",
        "hub.verify_token": VERIFY_TOKEN,
        "hub.challenge": "1",
      });
      assert.equal(wrongMode.status, 403);
      assert.equal((await handshake({})).status, 403);
    });
  });

  describe("POST signature", () => {
    it("accepts a body signed with the app secret", async () => {
      const response = await post(statusBody, signWebhookBody(APP_SECRET, statusBody));
      assert.equal(response.status, 200);
    });

    it("rejects a missing signature with 401", async () => {
      assert.equal((await post(statusBody)).status, 401);
    });

    it("rejects a signature made with another secret with 401", async () => {
      assert.equal((await post(statusBody, signWebhookBody("another-secret", statusBody))).status, 401);
    });

    it("rejects a tampered body with 401", async () => {
      const signature = signWebhookBody(APP_SECRET, statusBody);
      const tampered = statusBody.replace("deleted", "read");
      assert.equal((await post(tampered, signature)).status, 401);
    });

    it("rejects a malformed signature header with 401", async () => {
      assert.equal((await post(statusBody, "sha1=abc")).status, 401);
    });
  });

  describe("bad bodies", () => {
    it("answers 413 to an oversized body and keeps serving", async () => {
      const big = Buffer.alloc(300 * 1024, "a");
      const response = await post(big, signWebhookBody(APP_SECRET, big));
      assert.equal(response.status, 413);
      const next = await post(statusBody, signWebhookBody(APP_SECRET, statusBody));
      assert.equal(next.status, 200);
    });

    it("answers 400 with a clear JSON error to malformed JSON and keeps serving", async () => {
      const broken = '{"object": "whatsapp_business_account", "entry": [';
      const response = await post(broken, signWebhookBody(APP_SECRET, broken));
      assert.equal(response.status, 400);
      const body = (await response.json()) as { error: { message: string } };
      assert.match(body.error.message, /malformed webhook body/);
      const notWebhook = '{"hello": 1}';
      const shape = await post(notWebhook, signWebhookBody(APP_SECRET, notWebhook));
      assert.equal(shape.status, 400);
      const next = await post(statusBody, signWebhookBody(APP_SECRET, statusBody));
      assert.equal(next.status, 200);
    });

    it("answers 405 to other methods", async () => {
      assert.equal((await fetch(stack.webhookUrl, { method: "PUT", body: "x" })).status, 405);
    });
  });

  describe("user messages", () => {
    it("passes inbound messages to the optional callback", async () => {
      const response = await fetch(`${stack.simulator.url}/inbound`, {
        method: "POST",
        body: JSON.stringify({ from: "6281234567890", text: "I did not get my code" }),
      });
      assert.equal(((await response.json()) as { posted: boolean }).posted, true);
      assert.equal(stack.inbound.at(-1)?.from, "6281234567890");
      assert.equal(stack.inbound.at(-1)?.type, "text");
    });
  });
});
