/**
 * The support assistant end to end, over real HTTP through the WhatsApp simulator, on real
 * Kafka and Redis: every intent in every language, resend on the healthiest channel, switching
 * channel on request, refusals, hand-off events, webhook signatures and per-sender limits.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Channel } from "@proto/otp/v1/common";
import { DeclareIncidentRequest } from "@proto/otp/v1/routing";
import { createHealthRepository, districtScope } from "@services/routing/src/health/health-store";
import { resolveSettings } from "@services/routing/src/routing-service";
import { callUnary } from "@platform/grpc/client";
import { PHRASES } from "@services/assistant/src/core/replies";
import type { Language } from "@services/assistant/src/core/types";
import { WRITES } from "./user-messages";
import {
  ask,
  eventually,
  freshPhone,
  handset,
  ROUTING,
  shape,
  startStack,
  startVerification,
  textsOn,
  untilResendable,
  write,
  MESSAGES_PER_MINUTE,
  TENANT,
  TOKENS,
  type Stack,
} from "./stack";
import { createGrpcPorts } from "@services/assistant/src/adapters/grpc-ports";

let stack: Stack;
before(async () => {
  stack = await startStack();
});
after(() => stack?.close());

const handoffsFor = (phone: string) =>
  stack.envelopes.filter(
    (e) => e.event?.$case === "handoffRequested" && e.event.value.maskedPhone.endsWith(phone.slice(-4)),
  );

const resendsOf = (verificationId: string) =>
  stack.envelopes.flatMap((e) =>
    e.verificationId === verificationId && e.event?.$case === "resendRequested" ? [e.event.value] : [],
  );

const LANGUAGES = Object.keys(WRITES) as Language[];
const HOME = "ID-JK-JKS";
const OUTAGE_DISTRICT = "ID-JT-SMG";
const NOTICES = {
  id: "Pemadaman listrik di Semarang: kode kami kirim lewat SMS.",
  en: "Power cut in Semarang: codes go by SMS.",
};

describe("each intent in each language", () => {
  const phones = new Map<string, { phone: string; verificationId: string }>();

  before(async () => {
    await callUnary(
      stack.routing,
      "declareIncident",
      DeclareIncidentRequest.fromPartial({
        district: OUTAGE_DISTRICT,
        channels: [Channel.CHANNEL_WHATSAPP],
        notices: NOTICES,
      }),
    );
    await Promise.all(
      LANGUAGES.flatMap((language) =>
        (["notReceived", "switchSms", "incident"] as const).map(async (kind) => {
          const phone = freshPhone();
          const verificationId = await startVerification(
            stack,
            phone,
            kind === "incident" ? OUTAGE_DISTRICT : HOME,
          );
          phones.set(`${language}/${kind}`, { phone, verificationId });
        }),
      ),
    );
    // A resend is allowed once the policy's 10 s cooldown from the first send has passed.
    await untilResendable(
      stack,
      [...phones.values()].map((p) => p.verificationId),
    );
  });

  for (const language of LANGUAGES) {
    it(`answers in ${language}`, async () => {
      const p = PHRASES[language];
      const w = WRITES[language];
      const own = (kind: string) => phones.get(`${language}/${kind}`)!;
      const [notReceived, switched, safety, incident, human, frustrated, other, greeting] = await Promise.all(
        [
          ask(stack, own("notReceived").phone, w.notReceived),
          ask(stack, own("switchSms").phone, w.switchSms),
          ask(stack, freshPhone(), w.safety),
          ask(stack, own("incident").phone, w.incident),
          ask(stack, freshPhone(), w.human),
          ask(stack, freshPhone(), w.frustrated),
          ask(stack, freshPhone(), w.other),
          ask(stack, freshPhone(), w.greeting),
        ],
      );

      // Code not received: the state in plain words, then an offer on a channel.
      assert.match(
        notReceived[0]!,
        new RegExp(`${shape(p.stateSent).source}|${shape(p.stateDelivered).source}`, "s"),
      );
      assert.match(
        notReceived.at(-1)!,
        new RegExp(`${shape(p.offer).source}|${shape(p.offerLater).source}`, "s"),
      );

      // Switch channel on request: resent by SMS through ResendCode, and the SMS arrives.
      assert.deepEqual(switched, [p.resendSent(p.channel.sms)]);
      const { phone: smsPhone, verificationId } = own("switchSms");
      await eventually("ResendRequested on SMS", async () =>
        resendsOf(verificationId).some((r) => r.channel === Channel.CHANNEL_SMS) ? true : undefined,
      );
      await eventually("the SMS on the handset", async () =>
        (await handset(stack, smsPhone)).some((m) => m.channel === "sms") ? true : undefined,
      );

      assert.deepEqual(safety, [p.safety]);
      const notice =
        language === "id" || language === "en"
          ? NOTICES[language]
          : p.incident(OUTAGE_DISTRICT, p.channel.whatsapp);
      assert.ok(incident.includes(notice), `${language}: ${incident.join(" | ")}`);
      for (const handedOff of [human, frustrated, other]) assert.deepEqual(handedOff, [p.handoff]);
      assert.deepEqual(greeting, [p.help]);
    });
  }

  it("publishes a hand-off for each, with the language and the reason", async () => {
    const events = await eventually("18 hand-offs", async () => {
      const all = stack.envelopes.filter((e) => e.event?.$case === "handoffRequested");
      return all.length >= LANGUAGES.length * 3 ? all : undefined;
    });
    for (const language of LANGUAGES) {
      const reasons = events
        .flatMap((e) =>
          e.event?.$case === "handoffRequested" && e.event.value.locale === language
            ? [e.event.value.reason]
            : [],
        )
        .sort();
      assert.deepEqual(reasons, ["frustrated", "not_understood", "requested"], language);
    }
  });
});

describe("resend on the healthiest channel", () => {
  it("explains WhatsApp is down in the district and resends by voice, the healthiest there", async () => {
    const district = "ID-JB-BDG";
    const phone = freshPhone();
    const verificationId = await startVerification(stack, phone, district);
    await eventually("the code by WhatsApp", async () =>
      (await handset(stack, phone)).some((m) => m.channel === "whatsapp") ? true : undefined,
    );
    // Receipts from this district's other users: WhatsApp failing, SMS so-so, voice fine.
    const health = createHealthRepository(stack.platform.store, resolveSettings(ROUTING).health);
    const at = Date.now();
    const observe = (channel: "whatsapp" | "sms" | "voice", delivered: number, failed: number) =>
      [
        ...Array.from({ length: delivered + failed }, () => ({ kind: "sent" as const })),
        ...Array.from({ length: delivered }, () => ({ kind: "delivered" as const, latencyMs: 4_000 })),
        ...Array.from({ length: failed }, () => ({ kind: "failed" as const })),
      ].map((sample) => ({ at, district, operator: "", channel, route: "", sample }));
    health.record([...observe("whatsapp", 1, 9), ...observe("sms", 7, 3), ...observe("voice", 10, 0)]);
    await health.flush(Date.now(), true);
    await health.evaluate(districtScope(district), Date.now());
    await untilResendable(stack, [verificationId]);

    const p = PHRASES.id;
    const explained = await ask(stack, phone, "kode nya belum masuk kak");
    assert.ok(explained.includes(p.healthDown("WhatsApp")), explained.join(" | "));
    assert.equal(explained.at(-1), p.offer(p.channel.voice));

    assert.deepEqual(await ask(stack, phone, "iya boleh"), [p.resendSent(p.channel.voice)]);
    await eventually("ResendRequested by voice", async () =>
      resendsOf(verificationId).some((r) => r.channel === Channel.CHANNEL_VOICE) ? true : undefined,
    );
    await eventually("the call on the handset", async () =>
      (await handset(stack, phone)).some((m) => m.channel === "voice") ? true : undefined,
    );
  });
});

describe("refusals", () => {
  it("tells a number with no code request only that, and never answers about another number", async () => {
    const stranger = freshPhone();
    const other = freshPhone();
    await startVerification(stack, other, HOME);
    assert.deepEqual(await ask(stack, stranger, "OTP not received"), [PHRASES.en.noActive]);
    const local = `0${other.slice(3)}`;
    assert.deepEqual(await ask(stack, stranger, `did ${local} get a code?`), [PHRASES.en.otherNumber]);
  });

  it("explains a cooldown with the wait instead of resending", async () => {
    const phone = freshPhone();
    const verificationId = await startVerification(stack, phone, HOME);
    const [reply] = await ask(stack, phone, "please send it again");
    assert.match(reply!, shape(PHRASES.en.cooldown));
    assert.deepEqual(resendsOf(verificationId), []);
  });

  it("warns about a code in a message, never repeats it, and hands off with it removed", async () => {
    const phone = freshPhone();
    const reply = await ask(stack, phone, "the agent asked me for 4 8 2 9 1 3, is that ok?");
    assert.deepEqual(reply, [PHRASES.en.codeWarning, PHRASES.en.handoff]);
    assert.doesNotMatch(reply.join(" "), /4\s?8\s?2\s?9\s?1\s?3/);
    const [handoff] = await eventually("the hand-off", async () => {
      const found = handoffsFor(phone);
      return found.length > 0 ? found : undefined;
    });
    assert.equal(handoff?.event?.$case, "handoffRequested");
    if (handoff?.event?.$case !== "handoffRequested") return;
    const value = handoff.event.value;
    assert.equal(value.reason, "possible_social_engineering");
    assert.equal(value.locale, "en");
    assert.deepEqual(value.transcript, [
      "user: the agent asked me for [code removed], is that ok?",
      `assistant: ${PHRASES.en.codeWarning} ${PHRASES.en.handoff}`,
    ]);
    assert.equal(stack.platform.secrets.sealer.open(value.phone!, `${handoff.verificationId}:phone`), phone);
    assert.ok(!value.maskedPhone.includes(phone.slice(3, 9)));
    for (const raw of stack.rawSupport) {
      assert.equal(raw.includes(Buffer.from("482913")) || raw.includes(Buffer.from("4 8 2 9 1 3")), false);
    }
    assert.equal(
      stack.logs.some((l) => l.includes("agent asked me") || l.includes(phone)),
      false,
    );
  });
});

describe("webhook security", () => {
  const body = (phone: string) =>
    JSON.stringify({
      object: "whatsapp_business_account",
      entry: [
        {
          id: "1",
          changes: [
            {
              field: "messages",
              value: {
                messaging_product: "whatsapp",
                metadata: { phone_number_id: "100200300400" },
                messages: [
                  {
                    from: phone.slice(1),
                    id: `wamid.forged${Date.now()}`,
                    timestamp: "1",
                    type: "text",
                    text: { body: "hello" },
                  },
                ],
              },
            },
          ],
        },
      ],
    });

  it("rejects unsigned and badly signed messages with 401 and answers nothing", async () => {
    const phone = freshPhone();
    const unsigned = await fetch(stack.webhookUrl, { method: "POST", body: body(phone) });
    assert.equal(unsigned.status, 401);
    const forged = await fetch(stack.webhookUrl, {
      method: "POST",
      headers: { "x-hub-signature-256": `sha256=${"0".repeat(64)}` },
      body: body(phone),
    });
    assert.equal(forged.status, 401);
    // A signed message from the same sender is answered once: the forged ones were not queued
    // (one sender's messages are handled in order, so theirs would have come first).
    assert.deepEqual(await ask(stack, phone, "hello"), [PHRASES.en.help]);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    assert.deepEqual(await textsOn(stack, phone), [PHRASES.en.help]);
  });
});

describe("per-sender rate limit", () => {
  it(`answers ${MESSAGES_PER_MINUTE} messages a minute, then one notice, then nothing`, async () => {
    const phone = freshPhone();
    for (let i = 0; i < MESSAGES_PER_MINUTE + 3; i++) await write(stack, phone, "hello");
    const texts = await eventually("the replies and the notice", async () => {
      const all = await textsOn(stack, phone);
      return all.length >= MESSAGES_PER_MINUTE + 1 ? all : undefined;
    });
    assert.equal(texts.filter((t) => t === PHRASES.en.help).length, MESSAGES_PER_MINUTE);
    assert.equal(texts.filter((t) => t === PHRASES.en.rateLimited).length, 1);
    // Another sender is not affected.
    assert.deepEqual(await ask(stack, freshPhone(), "hello"), [PHRASES.en.help]);
    assert.equal((await textsOn(stack, phone)).length, MESSAGES_PER_MINUTE + 1);
  });
});

describe("otp.v1.SupportService over gRPC", () => {
  it("is for service principals: finds the sender's own verification and resends only that", async () => {
    const service = createGrpcPorts(
      { address: stack.address, insecure: true, token: TOKENS.service },
      { address: stack.address, insecure: true, token: TOKENS.service },
    );
    const asTenant = createGrpcPorts(
      { address: stack.address, insecure: true, token: TOKENS.tenant },
      { address: stack.address, insecure: true, token: TOKENS.tenant },
    );
    try {
      const [mine, theirs] = [freshPhone(), freshPhone()];
      const id = await startVerification(stack, mine, HOME);
      // Routing plans the channels a moment after the start.
      const found = await eventually("the planned verification", async () => {
        const v = await service.desk.findActive(TENANT, mine);
        return v && v.channels.length > 0 ? v : undefined;
      });
      assert.equal(found.id, id);
      assert.deepEqual(found.channels, ["whatsapp", "sms", "voice"]);
      assert.equal(await service.desk.findActive(TENANT, theirs), undefined);
      assert.equal(await service.desk.findActive("another-tenant", mine), undefined);
      // Someone else's verification: the same answer as an unknown one, and nothing is sent.
      assert.deepEqual(await service.desk.resend(TENANT, theirs, id, "sms"), { kind: "closed" });
      assert.deepEqual(resendsOf(id), []);
      await assert.rejects(
        asTenant.desk.findActive(TENANT, mine),
        /PERMISSION_DENIED|caller is not a service/,
      );
      const health = await service.status.district(HOME);
      assert.ok(Array.isArray(health.channels));
    } finally {
      service.close();
      asTenant.close();
    }
  });
});

describe("after a hand-off", () => {
  it("forwards every later turn to the agent under the first hand-off's id, redacted, and says so once", async () => {
    const phone = freshPhone();
    const other = `0${freshPhone().slice(3)}`;
    assert.deepEqual(await ask(stack, phone, "let me talk to a real person"), [PHRASES.en.handoff]);
    const [first] = await eventually("the hand-off", async () => nonEmpty(handoffsFor(phone)));
    const id = first!.verificationId;
    assert.match(id, /^hof_[A-Za-z0-9_-]{22}$/);

    // Would be handed off again: goes to the agent, and the user hears once that the agent has it.
    assert.deepEqual(await ask(stack, phone, "the agent asked me for 4 8 2 9 1 3"), [
      PHRASES.en.codeWarning,
      PHRASES.en.handoffPending,
    ]);
    // Again: to the agent only, no reply.
    await write(stack, phone, "please, a real person");
    await eventually("the silent follow-up", async () => (handoffsFor(phone).length >= 3 ? true : undefined));
    // Answered by the assistant itself, and forwarded as well.
    assert.deepEqual(await ask(stack, phone, `did ${other} get a code?`), [PHRASES.en.otherNumber]);

    const events = await eventually("four hand-off events", async () => {
      const found = handoffsFor(phone);
      return found.length >= 4 ? found : undefined;
    });
    const values = events.flatMap((e) => (e.event?.$case === "handoffRequested" ? [e.event.value] : []));
    assert.deepEqual(
      events.map((e) => e.verificationId),
      [id, id, id, id],
    );
    assert.deepEqual(
      values.map((v) => v.reason),
      ["requested", "follow_up", "follow_up", "follow_up"],
    );
    assert.deepEqual(
      values.slice(1).map((v) => v.transcript),
      [
        [
          "user: the agent asked me for [code removed]",
          `assistant: ${PHRASES.en.codeWarning} ${PHRASES.en.handoffPending}`,
        ],
        ["user: please, a real person"],
        ["user: did [number removed] get a code?", `assistant: ${PHRASES.en.otherNumber}`],
      ],
    );
    for (const [i, value] of values.entries()) {
      assert.equal(
        stack.platform.secrets.sealer.open(value.phone!, `${events[i]!.verificationId}:phone`),
        phone,
      );
    }
    // Three replies in all: the silent follow-up got none.
    assert.equal((await textsOn(stack, phone)).length, 3);
  });
});

describe("statuses of the assistant's replies", () => {
  it("are passed over by the WhatsApp connector, not held as statuses of its own unknown sends", async () => {
    const phone = freshPhone();
    assert.deepEqual(await ask(stack, phone, "hello"), [PHRASES.en.help]);
    const url = `${stack.app.simulators.whatsapp.url}/inbox?phone=${encodeURIComponent(phone)}`;
    // Statuses are posted one after another: once "read" is on its way, "sent" and "delivered"
    // have been answered.
    const reply = await eventually("the reply read", async () => {
      const body = (await (await fetch(url)).json()) as {
        messages: Array<{ kind: string; messageId: string; statuses: string[] }>;
      };
      return body.messages.find((m) => m.kind === "text" && m.statuses.includes("read"));
    });
    const held = stack.logs.filter((l) => l.includes("unknown message") && l.includes(reply.messageId));
    assert.deepEqual(held, []);
  });
});

function nonEmpty<T>(items: T[]): T[] | undefined {
  return items.length > 0 ? items : undefined;
}
