/**
 * A storm of bad input at every door while real load flows: malformed protobuf bytes and
 * oversized messages on the gRPC port, invalid E.164 numbers, unknown tokens, unsigned and
 * malformed webhooks, garbage bytes at the SMSC simulator's SMPP port. Each gets a clear refusal,
 * nothing crashes, nothing reaches the log, and the verifications started alongside all verify.
 */
import assert from "node:assert/strict";
import { createConnection } from "node:net";
import { after, before, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import * as grpc from "@grpc/grpc-js";
import fc from "fast-check";
import { IssuanceServiceClient, StartVerificationRequest } from "@proto/otp/v1/issuance";
import { callUnary, createClient } from "@platform/grpc/client";
import { FAULT_TOKEN, startFaultStack, type FaultStack } from "./fault-stack";
import { assertNothingLost } from "./invariants";
import { runLoad } from "./load";

let stack: FaultStack;
before(async () => {
  stack = await startFaultStack("bad-input");
});
after(async () => {
  await stack?.close();
});

const codeOf = (err: unknown): string => grpc.status[(err as grpc.ServiceError).code] ?? "not a gRPC error";

/** Raw bytes as the request body of StartVerification, past the generated serializer. */
function rawStart(client: grpc.Client, body: Buffer): Promise<string> {
  const metadata = new grpc.Metadata();
  metadata.set("authorization", `Bearer ${FAULT_TOKEN}`);
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      "/otp.v1.IssuanceService/StartVerification",
      (b: Buffer) => b,
      (b: Buffer) => b,
      body,
      metadata,
      { deadline: Date.now() + 5_000 },
      (err) => resolve(err ? (grpc.status[err.code] ?? String(err.code)) : "OK"),
    );
  });
}

async function start(
  client: IssuanceServiceClient,
  request: Partial<StartVerificationRequest>,
): Promise<string> {
  try {
    await callUnary(client, "startVerification", StartVerificationRequest.fromPartial(request));
    return "OK";
  } catch (err) {
    return codeOf(err);
  }
}

async function grpcStorm(): Promise<void> {
  const raw = new grpc.Client(stack.address, grpc.credentials.createInsecure(), {
    "grpc.max_send_message_length": 1024 * 1024,
  });
  const options = { address: stack.address, insecure: true as const, defaultDeadlineMs: 5_000 };
  const issuance = createClient(IssuanceServiceClient, {
    ...options,
    token: FAULT_TOKEN,
    maxSendMessageBytes: 1 << 20,
  });
  const stranger = createClient(IssuanceServiceClient, { ...options, token: "tok-nobody-0123456789abcdef" });
  try {
    // Bytes that are not a StartVerificationRequest (most do not parse; those that do are invalid).
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 512 }), async (bytes) => {
        const status = await rawStart(raw, Buffer.from(bytes));
        assert.ok(["INVALID_ARGUMENT", "INTERNAL"].includes(status), `garbage answered ${status}`);
      }),
      { numRuns: 60 },
    );
    assert.equal(
      await rawStart(raw, Buffer.alloc(200_000, 0x0a)),
      "RESOURCE_EXHAUSTED",
      "over the 64 KiB limit",
    );
    // Strings that are not E.164 numbers.
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string({ maxLength: 40 }), fc.stringMatching(/^\+?[0-9 ()-]{0,25}$/)),
        async (phone) => {
          fc.pre(!/^\+[1-9][0-9]{7,14}$/.test(phone));
          const status = await start(issuance, { phone, purpose: "login", locale: "id" });
          assert.equal(status, "INVALID_ARGUMENT", `phone ${JSON.stringify(phone)} answered ${status}`);
        },
      ),
      { numRuns: 60 },
    );
    const oversized = await start(issuance, {
      phone: "+6281234567890",
      purpose: "p".repeat(20_000),
      locale: "id",
    });
    assert.equal(oversized, "INVALID_ARGUMENT", "an oversized purpose");
    assert.equal(await start(stranger, { phone: "+6281234567890", purpose: "login" }), "UNAUTHENTICATED");
  } finally {
    raw.close();
    issuance.close();
    stranger.close();
  }
}

async function webhookStorm(): Promise<void> {
  const targets = [
    `http://127.0.0.1:${stack.webhookPorts.whatsapp}/whatsapp/webhook`,
    `http://127.0.0.1:${stack.webhookPorts.voice}/voice/status`,
  ];
  const bodies = [
    "{",
    JSON.stringify({
      object: "whatsapp_business_account",
      entry: [{ changes: [{ value: { statuses: [{ id: "x", status: "delivered" }] } }] }],
    }),
    "CallSid=CA00&CallStatus=completed",
    "\u0000\u00ff garbage",
  ];
  for (const url of targets)
    for (const body of bodies) {
      const unsigned = await fetch(url, {
        method: "POST",
        body,
        headers: { "content-type": "application/json" },
      });
      assert.ok(
        [400, 401, 403].includes(unsigned.status),
        `${url} answered ${unsigned.status} to an unsigned body`,
      );
      const forged = await fetch(url, {
        method: "POST",
        body,
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          "x-hub-signature-256": `sha256=${"0".repeat(64)}`,
          "x-twilio-signature": "AAAA",
        },
      });
      assert.ok(
        [400, 401, 403].includes(forged.status),
        `${url} answered ${forged.status} to a forged signature`,
      );
    }
}

/** Random bytes, then a PDU with an absurd length, at the simulator's SMPP port. */
async function smppStorm(): Promise<void> {
  const port = stack.app.simulators.smsc.port;
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 256 }), async (bytes) => {
      const socket = createConnection({ host: "127.0.0.1", port });
      socket.on("error", () => undefined);
      await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
      socket.write(Buffer.from(bytes));
      socket.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 1]));
      await sleep(20);
      socket.destroy();
    }),
    { numRuns: 30 },
  );
}

it("a bad input storm gets clear refusals, crashes nothing, and loses nothing", async (t) => {
  const before = stack.envelopes.length;
  const load = await runLoad(stack, {
    count: 30,
    perSecond: 10,
    during: async () => {
      await Promise.all([grpcStorm(), webhookStorm(), smppStorm()]);
    },
  });
  t.diagnostic(`accepted ${load.accepted.length}, errors ${JSON.stringify([...load.statuses])}`);
  assert.equal(load.accepted.length, 30, "good requests are accepted during the storm");
  await assertNothingLost(stack, load.accepted);
  const ours = new Set(load.accepted.map((a) => a.verificationId));
  const strangers = stack.envelopes
    .slice(before)
    .filter((e) => e.event?.$case === "verificationStarted" && !ours.has(e.verificationId));
  assert.equal(strangers.length, 0, "no bad request started a verification");
});
