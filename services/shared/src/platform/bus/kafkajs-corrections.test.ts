/**
 * The corrections to kafkajs (patches/README.md), on plain data: the filter of aborted
 * transactional records (what a read_committed consumer is handed, from hand-made fetch
 * results), and the request queue's checks (which timers a connection keeps).
 */
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { requireKafkajsCorrections } from "./kafkajs-corrections";

interface FetchedRecord {
  offset: string;
  key: Buffer | null;
  isControlRecord: boolean;
  batchContext: { producerId: string; inTransaction: boolean };
}
type Filter = (fetch: {
  messages: FetchedRecord[];
  abortedTransactions: Array<{ producerId: string; firstOffset: string }>;
}) => FetchedRecord[];

const filter = createRequire(__filename)("kafkajs/src/consumer/filterAbortedMessages") as Filter;

const ABORT = Buffer.from([0, 0, 0, 0]);
const COMMIT = Buffer.from([0, 0, 0, 1]);
const record = (offset: number, producerId: string, inTransaction = true): FetchedRecord => ({
  offset: String(offset),
  key: Buffer.from(`k${offset}`),
  isControlRecord: false,
  batchContext: { producerId, inTransaction },
});
const marker = (offset: number, producerId: string, key: Buffer): FetchedRecord => ({
  offset: String(offset),
  key,
  isControlRecord: true,
  batchContext: { producerId, inTransaction: true },
});
const dataOffsets = (kept: FetchedRecord[]) =>
  kept.filter((r) => !r.isControlRecord).map((r) => Number(r.offset));

describe("kafkajs aborted-record filter (corrected)", () => {
  it("is the corrected one in this install", () => {
    assert.doesNotThrow(() => requireKafkajsCorrections());
  });

  it("drops an aborted transaction that began before one the broker lists ahead of it", () => {
    // Producer 1 begins (0), producer 2 begins (1) and aborts first (2); producer 1 writes again
    // (3) and aborts (4); a committed transaction of producer 3 follows. The broker lists the
    // aborted transactions in the order they ended: 2's first.
    const messages = [
      record(0, "1"),
      record(1, "2"),
      marker(2, "2", ABORT),
      record(3, "1"),
      marker(4, "1", ABORT),
      record(5, "3"),
      marker(6, "3", COMMIT),
    ];
    const kept = filter({
      messages,
      abortedTransactions: [
        { producerId: "2", firstOffset: "1" },
        { producerId: "1", firstOffset: "0" },
      ],
    });
    assert.deepEqual(dataOffsets(kept), [5]);
  });

  it("drops every aborted transaction that began before the fetch's first record", () => {
    // The fetch starts at 10, inside two aborted transactions that began at 3 and 4; its first
    // record is the second producer's.
    const messages = [
      record(10, "2"),
      record(11, "1"),
      marker(12, "1", ABORT),
      marker(13, "2", ABORT),
      record(14, "1"),
    ];
    const kept = filter({
      messages,
      abortedTransactions: [
        { producerId: "1", firstOffset: "3" },
        { producerId: "2", firstOffset: "4" },
      ],
    });
    assert.deepEqual(dataOffsets(kept), [14]);
  });

  it("keeps a producer's committed transactions around its aborted one, and records outside transactions", () => {
    const messages = [
      record(0, "1"),
      marker(1, "1", COMMIT),
      record(2, "1"),
      record(3, "9", false),
      marker(4, "1", ABORT),
      record(5, "1"),
      marker(6, "1", COMMIT),
    ];
    const kept = filter({ messages, abortedTransactions: [{ producerId: "1", firstOffset: "2" }] });
    assert.deepEqual(dataOffsets(kept), [0, 3, 5]);
  });

  it("takes only a control record as an abort marker, not a record whose key reads like one", () => {
    const lookalike = { ...record(1, "1"), key: ABORT };
    const messages = [record(0, "1"), lookalike, record(2, "1"), marker(3, "1", ABORT)];
    const kept = filter({ messages, abortedTransactions: [{ producerId: "1", firstOffset: "0" }] });
    assert.deepEqual(dataOffsets(kept), []);
  });
});

interface QueueEntry {
  correlationId: number;
  apiKey: number;
  apiName: string;
  apiVersion: number;
  resolve: (response: unknown) => void;
  reject: (err: unknown) => void;
}
interface RequestQueue {
  pending: unknown[];
  inflight: Map<number, unknown>;
  throttleCheckTimeoutId: unknown;
  push(request: { entry: QueueEntry; expectResponse: boolean; sendRequest: () => void }): void;
  fulfillRequest(response: { correlationId: number; payload: Buffer; size: number }): void;
  maybeThrottle(ms: number): void;
  destroy(): void;
}
type RequestQueueClass = new (options: Record<string, unknown>) => RequestQueue;

const RequestQueueClass = createRequire(__filename)("kafkajs/src/network/requestQueue") as RequestQueueClass;
const quietLogger = { debug() {}, info() {}, warn() {}, error() {} };

describe("kafkajs request queue (corrected)", { timeout: 5_000 }, () => {
  const queue = (): {
    queue: RequestQueue;
    sent: number[];
    push: (id: number) => void;
    answer: (id: number) => void;
  } => {
    const q = new RequestQueueClass({
      maxInFlightRequests: 1,
      requestTimeout: 30_000,
      enforceRequestTimeout: false,
      clientId: "test",
      broker: "localhost:9092",
      logger: quietLogger,
    });
    const sent: number[] = [];
    return {
      queue: q,
      sent,
      push: (id) =>
        q.push({
          entry: {
            correlationId: id,
            apiKey: 0,
            apiName: "Produce",
            apiVersion: 3,
            resolve() {},
            reject() {},
          },
          expectResponse: true,
          sendRequest: () => sent.push(id),
        }),
      answer: (id) => q.fulfillRequest({ correlationId: id, payload: Buffer.alloc(0), size: 0 }),
    };
  };

  it("keeps no timer once nothing is pending (the release checked again every millisecond)", () => {
    const { queue: q, sent, push, answer } = queue();
    push(1);
    answer(1);
    assert.deepEqual(sent, [1]);
    assert.equal(q.throttleCheckTimeoutId, null);
    q.destroy();
  });

  it("sends a request held by the in-flight limit as soon as the one before it is answered", async () => {
    const { queue: q, sent, push, answer } = queue();
    push(1);
    push(2);
    assert.deepEqual(sent, [1]);
    assert.equal(q.pending.length, 1);
    answer(1);
    assert.deepEqual(sent, [1, 2]);
    answer(2);
    await sleep(30); // the check scheduled while 2 was pending finds nothing, and stops
    assert.equal(q.throttleCheckTimeoutId, null);
    q.destroy();
  });

  it("sends a request held by a broker's throttle once the throttle ends, then keeps no timer", async () => {
    const { queue: q, sent, push } = queue();
    q.maybeThrottle(50);
    push(1);
    assert.deepEqual(sent, []);
    for (let waited = 0; sent.length === 0 && waited < 2_000; waited += 10) await sleep(10);
    assert.deepEqual(sent, [1]);
    await sleep(30);
    assert.equal(q.throttleCheckTimeoutId, null);
    q.destroy();
  });
});
