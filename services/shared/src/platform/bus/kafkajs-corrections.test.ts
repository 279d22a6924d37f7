/**
 * The corrected kafkajs filter of aborted transactional records (patches/README.md), on
 * hand-made fetch results: what a read_committed consumer is handed.
 */
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { describe, it } from "node:test";
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
