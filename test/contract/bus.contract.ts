/**
 * The EventBus contract: one suite, run against every adapter (bus.memory.test.ts,
 * bus.kafka.test.ts), so the in-process bus and the Kafka bus cannot drift apart.
 * Every test gets its own bus, topics and consumer groups (a random prefix) and cleans up.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { before, describe, it } from "node:test";
import { context, ROOT_CONTEXT, trace } from "@opentelemetry/api";
import { OtpError } from "@domain/errors";
import { eventTypes, HEADERS, type RawPublisher, type StoredMessage } from "@platform/bus/codec";
import { DLQ_HEADERS } from "@platform/bus/delivery";
import type { BusMessage, EventBus, SubscribeOptions, Subscription } from "@platform/bus/port";
import { installTracePropagation, upstreamSpanContext } from "./trace-fixture";
import { collector, envelopeFor, eventually, sequenceOf } from "./bus-fixtures";

export interface BusFixture {
  bus: EventBus & RawPublisher;
  /** Every record of a topic as stored, once at least `count` are there. */
  readRaw(topic: string, count: number): Promise<StoredMessage[]>;
  cleanup(): Promise<void>;
}

/** Names of topics and groups a test may create start with `prefix`, so cleanup can find them. */
export type BusFixtureFactory = (scope: { prefix: string }) => Promise<BusFixture>;

export interface ContractOptions {
  /** Tests run at once (each has its own topics and groups). */
  concurrency?: number;
}

const FAST_RETRY = { attempts: 3, initialBackoffMs: 10, maxBackoffMs: 50 };

/** One case's bus, the names it may create and its subscriptions (stopped after it). */
interface BusCase {
  fx: BusFixture;
  name: (suffix: string) => string;
  subscribe: (o: SubscribeOptions) => Promise<Subscription>;
}

type WithBus = (body: (t: BusCase) => Promise<void>) => () => Promise<void>;

export function busContract(
  adapter: string,
  makeFixture: BusFixtureFactory,
  options: ContractOptions = {},
): void {
  describe(`EventBus contract: ${adapter}`, { concurrency: options.concurrency ?? 1 }, () => {
    before(() => installTracePropagation());
    const withBus = busCaseRunner(makeFixture);
    publishingCases(withBus);
    consumerGroupCases(withBus);
    retryCases(withBus);
    failureCases(withBus);
    filterCases(withBus);
    batchCases(withBus);
    batchRetryCases(withBus);
    traceAndLifecycleCases(withBus);
    transientCases(withBus);
  });
}

/** Runs a case with a fresh bus and names; stops its subscriptions and cleans up after. */
function busCaseRunner(makeFixture: BusFixtureFactory): WithBus {
  return (body) => async () => {
    const prefix = `contract-${randomUUID().slice(0, 8)}`;
    const fx = await makeFixture({ prefix });
    const subscriptions: Subscription[] = [];
    try {
      await body({
        fx,
        name: (suffix) => `${prefix}-${suffix}`,
        subscribe: async (o) => {
          const s = await fx.bus.subscribe(o);
          subscriptions.push(s);
          await s.ready;
          return s;
        },
      });
    } finally {
      await Promise.allSettled(subscriptions.map((s) => s.stop()));
      await fx.cleanup();
    }
  };
}

/** What is published arrives whole, and in order per key. */
function publishingCases(withBus: WithBus): void {
  it(
    "round-trips every envelope field, the key and the headers",
    withBus(async ({ fx, name, subscribe }) => {
      const topic = name("roundtrip");
      await fx.bus.ensureTopics([{ name: topic, partitions: 3 }]);
      const got = collector();
      await subscribe({ groupId: name("g"), topics: [topic], handler: got.handler });
      const sent = envelopeFor("ver-rt-1", 1);
      await fx.bus.publish(topic, sent, { headers: { "x-tenant-region": "id-jk" } });
      await fx.bus.publish(topic, envelopeFor("ver-rt-1", 2), { key: "explicit-key" });

      await eventually(() => got.messages.length === 2);
      const [first, second] = got.messages as [BusMessage, BusMessage];
      assert.deepEqual(first.envelope, sent);
      assert.equal(first.topic, topic);
      assert.equal(first.key, "ver-rt-1");
      assert.ok(first.partition >= 0 && first.partition < 3);
      assert.match(first.offset, /^\d+$/);
      assert.equal(first.redelivery, 0);
      assert.equal(first.headers["x-tenant-region"], "id-jk");
      assert.equal(first.headers["otp-event-type"], "dispatchRequested");
      assert.equal(first.headers["otp-schema-version"], "1");
      assert.equal(first.headers["otp-event-id"], sent.eventId);
      assert.match(first.headers["content-type"] ?? "", /protobuf/);
      assert.equal(second.key, "explicit-key");
    }),
  );

  it(
    "keeps the order of each key across many keys and partitions",
    withBus(async ({ fx, name, subscribe }) => {
      const topic = name("order");
      await fx.bus.ensureTopics([{ name: topic, partitions: 4 }]);
      const got = collector();
      await subscribe({
        groupId: name("g"),
        topics: [topic],
        handler: got.handler,
        partitionConcurrency: 4,
      });
      const keys = Array.from({ length: 25 }, (_, i) => `ver-order-${i}`);
      const perKey = 8;
      for (let seq = 0; seq < perKey; seq++) {
        await fx.bus.publishBatch(keys.map((key) => ({ topic, envelope: envelopeFor(key, seq) })));
      }
      await eventually(() => got.messages.length >= keys.length * perKey);
      for (const key of keys) {
        const mine = got.messages.filter((m) => m.key === key);
        assert.deepEqual(mine.map(sequenceOf), [...Array(perKey).keys()], `order of ${key}`);
        assert.equal(new Set(mine.map((m) => m.partition)).size, 1, `one partition for ${key}`);
      }
    }),
  );
}

/** Consumer groups: each gets everything, members share the work, a new group starts where asked. */
function consumerGroupCases(withBus: WithBus): void {
  it(
    "gives every message to each consumer group",
    withBus(async ({ fx, name, subscribe }) => {
      const topic = name("fanout");
      await fx.bus.ensureTopics([{ name: topic, partitions: 2 }]);
      const routing = collector();
      const audit = collector();
      await subscribe({ groupId: name("routing"), topics: [topic], handler: routing.handler });
      await subscribe({ groupId: name("audit"), topics: [topic], handler: audit.handler });
      const sent = Array.from({ length: 20 }, (_, i) => envelopeFor(`ver-fan-${i}`, 0));
      await fx.bus.publishBatch(sent.map((envelope) => ({ topic, envelope })));
      const ids = sent.map((e) => e.eventId).sort();
      await eventually(() => routing.messages.length >= 20 && audit.messages.length >= 20);
      assert.deepEqual(routing.eventIds().sort(), ids);
      assert.deepEqual(audit.eventIds().sort(), ids);
    }),
  );

  it(
    "splits a group's work between its consumers and hands over when one stops",
    withBus(async ({ fx, name, subscribe }) => {
      const topic = name("split");
      const groupId = name("g");
      await fx.bus.ensureTopics([{ name: topic, partitions: 4 }]);
      const one = collector();
      const two = collector();
      const first = await subscribe({ groupId, topics: [topic], handler: one.handler });
      await subscribe({ groupId, topics: [topic], handler: two.handler });

      const wave1 = Array.from({ length: 24 }, (_, i) => envelopeFor(`ver-split-a${i}`, 0));
      await fx.bus.publishBatch(wave1.map((envelope) => ({ topic, envelope })));
      await eventually(() => one.messages.length + two.messages.length >= wave1.length);
      assert.ok(one.messages.length > 0 && two.messages.length > 0, "both consumers got work");
      const handledBy = (id: string) => [one, two].filter((c) => c.eventIds().includes(id)).length;
      for (const e of wave1) assert.equal(handledBy(e.eventId), 1, `${e.eventId} handled once`);

      await first.stop();
      const wave2 = Array.from({ length: 24 }, (_, i) => envelopeFor(`ver-split-b${i}`, 0));
      await fx.bus.publishBatch(wave2.map((envelope) => ({ topic, envelope })));
      await eventually(() => wave2.every((e) => two.eventIds().includes(e.eventId)));
      for (const e of wave2) assert.equal(handledBy(e.eventId), 1, `${e.eventId} handled once`);
    }),
  );

  it(
    "starts a new group at the beginning only when asked to",
    withBus(async ({ fx, name, subscribe }) => {
      const topic = name("start");
      await fx.bus.ensureTopics([{ name: topic, partitions: 2 }]);
      const early = envelopeFor("ver-start", 0);
      await fx.bus.publish(topic, early);
      const fromStart = collector();
      const fromNow = collector();
      await subscribe({
        groupId: name("replay"),
        topics: [topic],
        handler: fromStart.handler,
        fromBeginning: true,
      });
      await subscribe({ groupId: name("live"), topics: [topic], handler: fromNow.handler });
      const late = envelopeFor("ver-start", 1);
      await fx.bus.publish(topic, late);
      await eventually(() => fromStart.messages.length >= 2 && fromNow.messages.length >= 1);
      assert.deepEqual(fromStart.eventIds(), [early.eventId, late.eventId]);
      // Same key, same partition: had the early message been delivered, it would have come first.
      assert.deepEqual(fromNow.eventIds(), [late.eventId]);
    }),
  );
}

/** A failing handler is retried, then dead-lettered with the reason. */
function retryCases(withBus: WithBus): void {
  it(
    "retries a failing handler with backoff until it succeeds",
    withBus(async ({ fx, name, subscribe }) => {
      const topic = name("retry");
      await fx.bus.ensureTopics([{ name: topic, partitions: 1 }]);
      const redeliveries: number[] = [];
      const handled = collector();
      await subscribe({
        groupId: name("g"),
        topics: [topic],
        retry: { attempts: 5, initialBackoffMs: 20, maxBackoffMs: 100 },
        handler: async (m) => {
          redeliveries.push(m.redelivery);
          if (m.redelivery < 2) throw new Error("redis briefly unavailable");
          await handled.handler(m);
        },
      });
      await fx.bus.publish(topic, envelopeFor("ver-retry", 0));
      await eventually(() => handled.messages.length === 1);
      assert.deepEqual(redeliveries, [0, 1, 2]);
      assert.equal(handled.messages[0]!.redelivery, 2);
    }),
  );

  it(
    "dead-letters a message that keeps failing, with the reason, and moves on",
    withBus(async ({ fx, name, subscribe }) => {
      const topic = name("poison");
      await fx.bus.ensureTopics([{ name: topic, partitions: 2 }]);
      const poison = envelopeFor("ver-poison", 0);
      const next = envelopeFor("ver-poison", 1);
      let poisonAttempts = 0;
      const handled = collector();
      await subscribe({
        groupId: name("g"),
        topics: [topic],
        retry: FAST_RETRY,
        handler: async (m) => {
          if (m.envelope.eventId === poison.eventId) {
            poisonAttempts++;
            throw new Error("handler bug");
          }
          await handled.handler(m);
        },
      });
      await fx.bus.publish(topic, poison, { headers: { "x-origin": "contract" } });
      await fx.bus.publish(topic, next);
      await eventually(() => handled.messages.length === 1);
      assert.equal(handled.messages[0]!.envelope.eventId, next.eventId);
      assert.equal(poisonAttempts, FAST_RETRY.attempts);

      const [dead] = await fx.readRaw(`${topic}.dlq`, 1);
      assert.ok(dead);
      assert.equal(dead.key, "ver-poison");
      assert.equal(dead.headers[DLQ_HEADERS.errorCode], "OTP_INTERNAL");
      assert.match(dead.headers[DLQ_HEADERS.errorMessage] ?? "", /handler bug/);
      assert.equal(dead.headers[DLQ_HEADERS.originalTopic], topic);
      assert.equal(dead.headers[DLQ_HEADERS.originalPartition], String(handled.messages[0]!.partition));
      assert.equal(dead.headers[DLQ_HEADERS.originalOffset], String(Number(handled.messages[0]!.offset) - 1));
      assert.equal(dead.headers[DLQ_HEADERS.attempts], String(FAST_RETRY.attempts));
      assert.equal(dead.headers["x-origin"], "contract");
      assert.equal(dead.headers["otp-event-id"], poison.eventId);
    }),
  );
}

/** Outages wait, refusals and unreadable messages dead-letter at once. */
function failureCases(withBus: WithBus): void {
  it(
    "waits out a dependency outage without using up the message's attempts or dead-lettering it",
    withBus(async ({ fx, name, subscribe }) => {
      const topic = name("outage");
      await fx.bus.ensureTopics([{ name: topic, partitions: 1 }]);
      const outageFailures = FAST_RETRY.attempts * 3;
      let calls = 0;
      const handled = collector();
      await subscribe({
        groupId: name("g"),
        topics: [topic],
        retry: FAST_RETRY,
        handler: async (m) => {
          calls++;
          // Redis away, then the producer: far more failures than the policy's attempts.
          if (calls <= outageFailures) {
            const code = calls % 2 === 0 ? "OTP_STATE_UNAVAILABLE" : "OTP_DEPENDENCY_UNAVAILABLE";
            throw new OtpError(code, "dependency away");
          }
          await handled.handler(m);
        },
      });
      await fx.bus.publish(topic, envelopeFor("ver-outage", 0));
      await fx.bus.publish(topic, envelopeFor("ver-outage", 1));
      await eventually(() => handled.messages.length === 2, 20_000);
      assert.deepEqual(
        handled.messages.map((m) => m.envelope.verificationId),
        ["ver-outage", "ver-outage"],
      );
      // Dead-lettered after FAST_RETRY.attempts, it would never have reached the handler.
      assert.equal(handled.messages[0]!.redelivery, outageFailures, "the first waited, in order");
    }),
  );

  it(
    "dead-letters at once on a non-retryable OtpError",
    withBus(async ({ fx, name, subscribe }) => {
      const topic = name("fatal");
      await fx.bus.ensureTopics([{ name: topic, partitions: 1 }]);
      let attempts = 0;
      await subscribe({
        groupId: name("g"),
        topics: [topic],
        retry: FAST_RETRY,
        handler: async () => {
          attempts++;
          throw new OtpError("OTP_INVALID_ARGUMENT", "district: unknown");
        },
      });
      await fx.bus.publish(topic, envelopeFor("ver-fatal", 0));
      const [dead] = await fx.readRaw(`${topic}.dlq`, 1);
      assert.equal(dead!.headers[DLQ_HEADERS.errorCode], "OTP_INVALID_ARGUMENT");
      assert.equal(dead!.headers[DLQ_HEADERS.attempts], "1");
      assert.equal(attempts, 1);
    }),
  );

  it(
    "dead-letters undecodable bytes and envelopes of an unknown schema without calling the handler",
    withBus(async ({ fx, name, subscribe }) => {
      const topic = name("garbage");
      await fx.bus.ensureTopics([{ name: topic, partitions: 1 }]);
      const handled = collector();
      await subscribe({ groupId: name("g"), topics: [topic], handler: handled.handler, retry: FAST_RETRY });
      const garbage = Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
      await fx.bus.publishRaw(topic, {
        key: "ver-garbage",
        value: garbage,
        headers: { "x-source": "fuzz" },
      });
      await fx.bus.publish(topic, { ...envelopeFor("ver-garbage", 1), schemaVersion: 99 });
      const good = envelopeFor("ver-garbage", 2);
      await fx.bus.publish(topic, good);

      await eventually(() => handled.messages.length === 1);
      assert.equal(handled.messages[0]!.envelope.eventId, good.eventId);
      const dead = await fx.readRaw(`${topic}.dlq`, 2);
      assert.equal(dead.length, 2);
      assert.deepEqual(Uint8Array.from(dead[0]!.value ?? []), garbage);
      assert.equal(dead[0]!.headers[DLQ_HEADERS.errorCode], "EVENT_DECODE_FAILED");
      assert.equal(dead[0]!.headers[DLQ_HEADERS.attempts], "0");
      assert.equal(dead[0]!.headers["x-source"], "fuzz");
      assert.equal(dead[1]!.headers[DLQ_HEADERS.errorCode], "EVENT_SCHEMA_UNSUPPORTED");
    }),
  );
}

/** What a subscriber does not accept is skipped before decoding. */
function filterCases(withBus: WithBus): void {
  it(
    "skips what a subscriber does not accept before decoding, and moves past it",
    withBus(async ({ fx, name, subscribe }) => {
      const topic = name("accepts");
      await fx.bus.ensureTopics([{ name: topic, partitions: 1 }]);
      const handled = collector();
      const seen: string[] = [];
      await subscribe({
        groupId: name("g"),
        topics: [topic],
        handler: handled.handler,
        retry: FAST_RETRY,
        accepts: (m) => {
          seen.push(m.key);
          return eventTypes("dispatchRequested")(m);
        },
      });
      // Bytes that are dead-lettered when decoded: under a type the subscriber refuses, then
      // under one it accepts. The dead letters, in order, show which were decoded.
      const garbage = Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
      await fx.bus.publishRaw(topic, {
        key: "ver-skipped",
        value: garbage,
        headers: { [HEADERS.eventType]: "codeChecked" },
      });
      await fx.bus.publishRaw(topic, {
        key: "ver-decoded",
        value: garbage,
        headers: { [HEADERS.eventType]: "dispatchRequested" },
      });
      const wanted = envelopeFor("ver-wanted", 1);
      await fx.bus.publish(topic, wanted);
      await eventually(() => handled.messages.length === 1);
      assert.deepEqual(handled.eventIds(), [wanted.eventId]);
      assert.deepEqual(seen, ["ver-skipped", "ver-decoded", "ver-wanted"]);
      const dead = await fx.readRaw(`${topic}.dlq`, 1);
      assert.deepEqual(
        dead.map((d) => d.key),
        ["ver-decoded"],
      );
    }),
  );
}

/** Batch handlers take runs of one partition in order. */
function batchCases(withBus: WithBus): void {
  it(
    "hands a batch handler runs of one partition in offset order, and commits them",
    withBus(async ({ fx, name, subscribe }) => {
      const topic = name("batch");
      const groupId = name("g");
      await fx.bus.ensureTopics([{ name: topic, partitions: 2 }]);
      const keys = Array.from({ length: 5 }, (_, i) => `ver-batch-${i}`);
      const sent = Array.from({ length: 6 }, (_, seq) => keys.map((key) => envelopeFor(key, seq))).flat();
      // Published before the group joins, so its first fetches find many messages waiting.
      await fx.bus.publishBatch(sent.map((envelope) => ({ topic, envelope })));
      const batches: BusMessage[][] = [];
      const oneByOne = collector();
      const first = await subscribe({
        groupId,
        topics: [topic],
        fromBeginning: true,
        handler: oneByOne.handler,
        batchHandler: async (messages) => void batches.push(messages),
      });
      await eventually(() => batches.flat().length >= sent.length);
      assert.equal(oneByOne.messages.length, 0, "nothing went through the one-message handler");
      const got = batches.flat();
      assert.deepEqual(got.map((m) => m.envelope.eventId).sort(), sent.map((e) => e.eventId).sort());
      assert.ok(
        batches.some((b) => b.length > 1),
        "messages arrive in runs",
      );
      for (const batch of batches) {
        assert.ok(batch.length >= 1 && batch.length <= 100);
        assert.equal(new Set(batch.map((m) => m.partition)).size, 1, "one partition per run");
        const offsets = batch.map((m) => Number(m.offset));
        assert.deepEqual(
          offsets,
          [...offsets].sort((a, b) => a - b),
          "offset order",
        );
        assert.ok(batch.every((m) => m.redelivery === 0 && m.topic === topic));
      }
      for (const key of keys) {
        const mine = got.filter((m) => m.key === key).map(sequenceOf);
        assert.deepEqual(mine, [...Array(6).keys()], `order of ${key}`);
      }

      await first.stop();
      const late = envelopeFor("ver-batch-late", 0);
      await fx.bus.publish(topic, late);
      const resumed: BusMessage[] = [];
      await subscribe({
        groupId,
        topics: [topic],
        fromBeginning: true,
        handler: async () => assert.fail("the one-message handler is not used"),
        batchHandler: async (messages) => void resumed.push(...messages),
      });
      await eventually(() => resumed.length >= 1);
      assert.deepEqual(
        resumed.map((m) => m.envelope.eventId),
        [late.eventId],
        "the handled runs were committed",
      );
    }),
  );
}

/** A failed run is retried one message at a time. */
function batchRetryCases(withBus: WithBus): void {
  it(
    "retries a failed run one message at a time: a bad message is dead-lettered alone",
    withBus(async ({ fx, name, subscribe }) => {
      const topic = name("batch-poison");
      await fx.bus.ensureTopics([{ name: topic, partitions: 1 }]);
      const good = [envelopeFor("ver-batch-poison", 0), envelopeFor("ver-batch-poison", 2)];
      const poison = envelopeFor("ver-batch-poison", 1);
      const garbage = Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
      await fx.bus.publish(topic, good[0]!);
      await fx.bus.publishRaw(topic, { key: "ver-batch-poison", value: garbage, headers: {} });
      await fx.bus.publish(topic, poison);
      await fx.bus.publish(topic, good[1]!);
      const batches: BusMessage[][] = [];
      const inBatch: BusMessage[] = [];
      const alone: BusMessage[] = [];
      await subscribe({
        groupId: name("g"),
        topics: [topic],
        fromBeginning: true,
        retry: FAST_RETRY,
        handler: async (m) => {
          if (m.envelope.eventId === poison.eventId) throw new Error("handler bug");
          alone.push(m);
        },
        batchHandler: async (messages) => {
          batches.push(messages);
          if (messages.some((m) => m.envelope.eventId === poison.eventId)) throw new Error("write failed");
          inBatch.push(...messages);
        },
      });
      const handledIds = () => [...inBatch, ...alone].map((m) => m.envelope.eventId);
      await eventually(() => handledIds().length >= good.length);
      const dead = await fx.readRaw(`${topic}.dlq`, 2);

      assert.deepEqual(handledIds().sort(), good.map((e) => e.eventId).sort(), "each good message once");
      const failedRun = batches.find((b) => b.some((m) => m.envelope.eventId === poison.eventId));
      assert.ok(failedRun, "the poison reached the batch handler");
      for (const m of alone) {
        assert.equal(m.redelivery, 1, "the failed run counts as the first attempt");
        assert.ok(failedRun.some((f) => f.envelope.eventId === m.envelope.eventId));
      }
      const decodable = new Set([...good, poison].map((e) => e.eventId));
      assert.ok(
        batches.flat().every((m) => decodable.has(m.envelope.eventId)),
        "only decoded messages",
      );
      assert.deepEqual(
        dead.map((d) => d.headers[DLQ_HEADERS.errorCode]),
        ["EVENT_DECODE_FAILED", "OTP_INTERNAL"],
      );
      assert.equal(dead[1]!.headers[DLQ_HEADERS.attempts], String(FAST_RETRY.attempts));
      assert.match(dead[1]!.headers[DLQ_HEADERS.errorMessage] ?? "", /handler bug/);
      assert.equal(dead[1]!.headers["otp-event-id"], poison.eventId);
    }),
  );
}

/** Trace context across the bus; stopping, unknown topics, creating topics. */
function traceAndLifecycleCases(withBus: WithBus): void {
  it(
    "carries the W3C trace context from publisher to handler",
    withBus(async ({ fx, name, subscribe }) => {
      const topic = name("trace");
      await fx.bus.ensureTopics([{ name: topic, partitions: 1 }]);
      const seen: Array<{ traceId: string | undefined; traceparent: string | undefined }> = [];
      await subscribe({
        groupId: name("g"),
        topics: [topic],
        handler: async (m) => {
          seen.push({
            traceId: trace.getSpanContext(context.active())?.traceId,
            traceparent: m.headers.traceparent,
          });
        },
      });
      const upstream = upstreamSpanContext();
      await context.with(trace.setSpanContext(ROOT_CONTEXT, upstream), () =>
        fx.bus.publish(topic, envelopeFor("ver-trace", 0)),
      );
      await eventually(() => seen.length === 1);
      assert.equal(seen[0]!.traceId, upstream.traceId);
      assert.match(seen[0]!.traceparent ?? "", new RegExp(`^00-${upstream.traceId}-[0-9a-f]{16}-01$`));
    }),
  );

  it(
    "stop() finishes the message in hand and commits, so a restarted consumer resumes after it",
    withBus(async ({ fx, name, subscribe }) => {
      const topic = name("resume");
      const groupId = name("g");
      await fx.bus.ensureTopics([{ name: topic, partitions: 1 }]);
      const firstRun = collector();
      let signalInHand: () => void = () => undefined;
      const inHand = new Promise<void>((resolve) => (signalInHand = resolve));
      let releaseGate: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => (releaseGate = resolve));
      const consumer = await subscribe({
        groupId,
        topics: [topic],
        handler: async (m) => {
          if (sequenceOf(m) === 4) {
            signalInHand();
            await gate;
          }
          await firstRun.handler(m);
        },
      });
      const sent = Array.from({ length: 10 }, (_, seq) => envelopeFor("ver-resume", seq));
      await fx.bus.publishBatch(sent.map((envelope) => ({ topic, envelope })));
      await inHand;
      const stopped = consumer.stop();
      // Let the stop begin while message 4 is still in the handler.
      setTimeout(releaseGate, 200);
      await stopped;
      const handledFirst = firstRun.messages.map(sequenceOf);
      assert.deepEqual(handledFirst, [0, 1, 2, 3, 4], "finished the message in hand, took no more");

      const secondRun = collector();
      await subscribe({ groupId, topics: [topic], handler: secondRun.handler, fromBeginning: true });
      await eventually(() => handledFirst.length + secondRun.messages.length >= sent.length);
      const handledSecond = secondRun.messages.map(sequenceOf);
      assert.deepEqual(
        [...handledFirst, ...handledSecond],
        [...Array(sent.length).keys()],
        "nothing redelivered",
      );
    }),
  );

  it(
    "refuses to subscribe to a topic nobody created",
    withBus(async ({ fx, name }) => {
      await assert.rejects(
        fx.bus.subscribe({ groupId: name("g"), topics: [name("missing")], handler: async () => undefined }),
        { code: "OTP_FAILED_PRECONDITION" },
      );
    }),
  );

  it(
    "ensureTopics is idempotent, also when called concurrently",
    withBus(async ({ fx, name, subscribe }) => {
      const topic = name("ensure");
      const specs = [{ name: topic, partitions: 2 }];
      await Promise.all([fx.bus.ensureTopics(specs), fx.bus.ensureTopics(specs)]);
      await fx.bus.ensureTopics(specs);
      const got = collector();
      await subscribe({ groupId: name("g"), topics: [topic], handler: got.handler });
      await fx.bus.publish(topic, envelopeFor("ver-ensure", 0));
      await eventually(() => got.messages.length === 1);
    }),
  );
}

/** Groups that never resume: readers of new messages only. */
function transientCases(withBus: WithBus): void {
  it(
    "a transient group leaves nothing to resume from: subscribed again, it starts at the end",
    withBus(async ({ fx, name, subscribe }) => {
      const topic = name("transient");
      const groupId = name("g");
      await fx.bus.ensureTopics([{ name: topic, partitions: 1 }]);
      const first = collector();
      const reader = await subscribe({ groupId, topics: [topic], handler: first.handler, transient: true });
      await fx.bus.publish(topic, envelopeFor("ver-transient", 0));
      await eventually(() => first.messages.length === 1);
      await reader.stop();
      // A group that kept its position would hand this one to its next member.
      await fx.bus.publish(topic, envelopeFor("ver-transient", 1));
      const second = collector();
      await subscribe({ groupId, topics: [topic], handler: second.handler, transient: true });
      await fx.bus.publish(topic, envelopeFor("ver-transient", 2));
      await eventually(() => second.messages.length >= 1);
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.deepEqual(second.messages.map(sequenceOf), [2], "only what came after it joined");
    }),
  );
}
