/**
 * Intake is durable and handling ordered across replicas, on real Kafka and Redis: the webhook
 * answers 200 only once the message is on the inbound topic (sealed), answers 500 when it cannot
 * write it (and nothing is handled), a message WhatsApp delivers again is answered once, and two
 * replicas in one consumer group answer each sender's burst in order, once per message, also
 * when one of them leaves halfway.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { EventEnvelope } from "@proto/otp/events/v1/events";
import type { BusMessage, Subscription } from "@platform/bus/port";
import { inboundWebhook } from "@services/whatsapp/src/simulator/webhook-poster";
import { signWebhookBody } from "@platform/http/whatsapp-cloud/webhook-signature";
import { INBOUND_PARTITIONS, openInbound } from "@services/assistant/src/adapters/inbound-event";
import { PHRASES } from "@services/assistant/src/core/replies";
import { eventually, freshPhone } from "./stack";
import { BUSINESS_NUMBER, startIntakeRig, startReplica, type IntakeRig, type Replica } from "./intake-rig";

let rig: IntakeRig;
let a: Replica;
const inbound: BusMessage[] = [];
let capture: Subscription;

before(async () => {
  rig = await startIntakeRig();
  a = await startReplica(rig, "a");
  rig.simulator.setWebhookUrl(a.webhookUrl);
  capture = await rig.platform.bus.subscribe({
    groupId: `${rig.run}-capture`,
    topics: [rig.inboundTopic],
    fromBeginning: true,
    handler: async (m) => void inbound.push(m),
  });
  await capture.ready;
});
after(async () => {
  await capture?.stop();
  await a?.close();
  await rig?.close();
});

/** The signed webhook WhatsApp would post for one message, and where it would post it. */
function signedInbound(phone: string, text: string, messageId: string) {
  const body = JSON.stringify(
    inboundWebhook("100000000000001", {
      phoneNumberId: BUSINESS_NUMBER,
      from: phone.slice(1),
      messageId,
      text,
      timestamp: new Date(),
    }),
  );
  return { body, signature: signWebhookBody(rig.appSecret, body) };
}

const post = (replica: Replica, inboundBody: ReturnType<typeof signedInbound>) =>
  fetch(replica.webhookUrl, {
    method: "POST",
    headers: { "content-type": "application/json", "x-hub-signature-256": inboundBody.signature },
    body: inboundBody.body,
  });

describe("intake", () => {
  it("answers the webhook only once the message is on the inbound topic, sealed", async () => {
    const phone = freshPhone();
    const text = "someone asked me for 482913 on the phone";
    const held = a.bus.hold();
    let answered = false;
    const writing = rig.write(phone, text).then((answer) => {
      answered = true;
      return answer;
    });
    await eventually("the write to the topic", async () => (a.bus.held() > 0 ? true : undefined));
    // The write is held: the webhook has not answered, so the simulator's post is still open.
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(answered, false);
    held.release();
    const { posted, messageId } = await writing;
    assert.equal(posted, true);

    const message = await eventually("the message on the topic", async () =>
      inbound.find(
        (m) =>
          m.envelope.event?.$case === "supportMessageReceived" &&
          openInbound(m.envelope, rig.sealer)?.id === messageId,
      ),
    );
    const raw = Buffer.from(EventEnvelope.encode(message.envelope).finish());
    assert.equal(raw.includes(Buffer.from("482913")), false);
    assert.equal(raw.includes(Buffer.from(phone.slice(1))), false);
    assert.equal(message.key, rig.senderKey(phone));
    assert.equal(message.envelope.tenant, rig.tenant);
    assert.deepEqual(openInbound(message.envelope, rig.sealer), {
      id: messageId,
      from: phone.slice(1),
      phoneNumberId: BUSINESS_NUMBER,
      text,
    });
    // And it is handled from there: warned, with the code never repeated.
    const replies = await eventually("the reply", async () => nonEmpty(await rig.repliesTo(phone)));
    assert.deepEqual(replies, [[PHRASES.en.codeWarning, PHRASES.en.handoff].join("\n\n")]);
  });

  it("answers 500 when it cannot write to the topic, handles nothing, and a redelivery once", async () => {
    const phone = freshPhone();
    const safety = signedInbound(
      phone,
      "is it safe to share my code with the agent?",
      `wamid.t${Date.now()}`,
    );
    a.bus.failWrites(true);
    const refused = await post(a, safety);
    a.bus.failWrites(false);
    assert.equal(refused.status, 500);
    // One sender's messages are handled in order: had the refused one been taken in, its reply
    // would come before this one's.
    await rig.write(phone, "hello");
    await eventually("the greeting's reply", async () => nonEmpty(await rig.repliesTo(phone)));
    assert.deepEqual(await rig.repliesTo(phone), [PHRASES.en.help]);

    // WhatsApp delivers the refused batch again, and once more: handled once.
    assert.equal((await post(a, safety)).status, 200);
    assert.equal((await post(a, safety)).status, 200);
    await rig.write(phone, "hello");
    const replies = await eventually("three replies", async () => {
      const all = await rig.repliesTo(phone);
      return all.length >= 3 ? all : undefined;
    });
    assert.deepEqual(replies, [PHRASES.en.help, PHRASES.en.safety, PHRASES.en.help]);
  });
});

describe("two replicas in one consumer group", () => {
  let b: Replica | undefined;
  after(() => b?.close());

  it("answer each sender's burst in order, once per message, also when one leaves halfway", async () => {
    b = await startReplica(rig, "b");
    const other = `0${freshPhone().slice(3)}`;
    // One sender on every partition: each replica holds some of them, whichever it was given.
    const byPartition = new Map<number, string>();
    while (byPartition.size < INBOUND_PARTITIONS) {
      const phone = freshPhone();
      if (!byPartition.has(rig.partitionOf(phone))) byPartition.set(rig.partitionOf(phone), phone);
    }
    const senders = [...byPartition.values()];
    const before = { a: a.handledCount(), b: b.handledCount() };
    const cycle = [
      { text: "hello", reply: PHRASES.en.help },
      { text: "is it safe to share my OTP?", reply: PHRASES.en.safety },
      { text: "OTP not received", reply: PHRASES.en.noActive },
      { text: `did ${other} get a code?`, reply: PHRASES.en.otherNumber },
    ];
    const burst = Array.from({ length: 8 }, (_, i) => cycle[i % cycle.length]!);
    const replicas = [a, b];
    let posted = 0;
    for (const [i, step] of burst.entries()) {
      if (i === burst.length / 2) {
        // Replica a leaves: it finishes the message in hand, b takes its partitions over.
        await a.stop();
        replicas.splice(0, 1);
      }
      for (const phone of senders) {
        rig.simulator.setWebhookUrl(replicas[posted++ % replicas.length]!.webhookUrl);
        const answer = await rig.write(phone, step.text);
        assert.equal(answer.posted, true);
      }
    }
    for (const phone of senders) {
      // A last message: once its reply is there, every earlier one has been handled.
      await rig.write(phone, "thanks, hello");
      const replies = await eventually(
        "the whole burst answered",
        async () => {
          const all = await rig.repliesTo(phone);
          return all.length >= burst.length + 1 ? all : undefined;
        },
        90_000,
      );
      assert.deepEqual(replies, [...burst.map((s) => s.reply), PHRASES.en.help], phone);
    }
    assert.ok(a.handledCount() > before.a, "replica a handled part of the burst");
    assert.ok(b.handledCount() > before.b, "replica b handled part of the burst");
  });
});

function nonEmpty<T>(items: T[]): T[] | undefined {
  return items.length > 0 ? items : undefined;
}
