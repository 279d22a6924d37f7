import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type ChangelogRecord, createChangelogCopy } from "./changelog-copy";

const record = (offset: number, key: string, value: string | null): ChangelogRecord => ({
  offset: String(offset),
  key: Buffer.from(key),
  value: value === null ? null : Buffer.from(value),
});
const text = (bytes: Uint8Array | undefined) => (bytes ? Buffer.from(bytes).toString() : undefined);

describe("changelog copy", () => {
  it("keeps each key's latest value and the offset read up to", () => {
    const copy = createChangelogCopy();
    copy.apply(0, [record(0, "a", "a0"), record(1, "b", "b1"), record(2, "a", "a2")], "2");
    assert.equal(text(copy.valuesOf(0).get("a")), "a2");
    assert.equal(text(copy.latest("b")), "b1");
    assert.equal(copy.position(0), 3n);
    copy.apply(0, [record(3, "b", null)], "3");
    assert.equal(copy.valuesOf(0).has("b"), false, "a tombstone deletes the key");
  });

  it("does not set keys back when kafkajs reads the partition again from the beginning", () => {
    const copy = createChangelogCopy();
    copy.apply(0, [record(0, "a", "a0"), record(1, "a", "a1"), record(2, "c", null)], "2");
    copy.apply(0, [record(3, "a", "a3")], "3");
    // The consumer was restarted: the same records again, from offset 0.
    assert.equal(copy.apply(0, [record(0, "a", "a0"), record(1, "a", "a1")], "1"), 2, "both skipped");
    assert.equal(text(copy.valuesOf(0).get("a")), "a3");
    assert.equal(copy.position(0), 4n);
    copy.apply(0, [record(2, "c", null), record(3, "a", "a3"), record(4, "a", "a4")], "4");
    assert.equal(text(copy.valuesOf(0).get("a")), "a4", "what is new in a replayed batch is applied");
    assert.equal(copy.position(0), 5n);
  });

  it("moves past a batch of transaction markers without values, and never backwards", () => {
    const copy = createChangelogCopy();
    copy.apply(1, [record(0, "a", "a0")], "0");
    copy.advance(1, "1");
    assert.equal(copy.position(1), 2n);
    copy.advance(1, "0");
    assert.equal(copy.position(1), 2n);
    assert.equal(copy.position(0), 0n, "partitions are apart");
  });
});
