/**
 * The assistant in the all-in-one on embedded defaults (in-process bus and store, as
 * `npm start` runs it): messages go through the inbound topic of the in-process bus, one sender's
 * in order.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DEV_TOKENS } from "@platform/development/tokens";
import { createAllInOne, type AllInOne } from "@services/all-in-one/src/all-in-one";
import { createGrpcServer, type GrpcServer } from "@platform/grpc/server";
import { platformFromEnv, type Platform } from "@platform/runtime/platform";
import { testPorts } from "../../support/all-in-one-ports";
import { PHRASES } from "@services/assistant/src/core/replies";
import { eventually, freshPhone } from "./stack";
import { EVENT_ROLES } from "@domain/events/ownership";

let platform: Platform;
let server: GrpcServer;
let app: AllInOne;

before(async () => {
  platform = await platformFromEnv({
    events: EVENT_ROLES["all-in-one"],
    service: "assistant-embedded",
    env: {},
    logWrite: () => undefined,
  });
  server = createGrpcServer({
    address: "127.0.0.1:0",
    insecure: true,
    tokens: DEV_TOKENS,
    logger: platform.logger,
  });
  app = await createAllInOne(platform, server, {
    host: "127.0.0.1",
    ports: await testPorts(),
    retentionMs: 3_600_000,
  });
  await app.start();
});
after(async () => {
  await app?.stop();
  await platform?.close();
});

describe("assistant on the in-process bus", () => {
  it("answers a sender's messages in order, once each", async () => {
    assert.equal(platform.embedded, true);
    const phone = freshPhone();
    const business = app.simulators.credentials.whatsapp.phoneNumberId;
    const texts = ["hello", "is it safe to share my OTP?", "OTP not received", "hello"];
    for (const text of texts) {
      const response = await fetch(`${app.simulators.whatsapp.url}/inbound`, {
        method: "POST",
        body: JSON.stringify({ from: phone, text, phoneNumberId: business }),
      });
      assert.equal(((await response.json()) as { posted: boolean }).posted, true);
    }
    const replies = await eventually("four replies", async () => {
      const sent = app.simulators.whatsapp.received(business).flatMap((r) => {
        const body = r.body as { to?: string; type?: string; text?: { body?: string } };
        return body.to === phone.slice(1) && body.type === "text" ? [body.text?.body ?? ""] : [];
      });
      return sent.length >= texts.length ? sent : undefined;
    });
    assert.deepEqual(replies, [PHRASES.en.help, PHRASES.en.safety, PHRASES.en.noActive, PHRASES.en.help]);
  });
});
