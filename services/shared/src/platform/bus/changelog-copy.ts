/**
 * The standby's copy of a compacted changelog (kafka-changelog.ts): per partition, the latest
 * value of each key and the offset the copy has read up to.
 *
 * kafkajs may hand over records of a partition again: after a broker is killed it restarts the
 * consumer, which starts again from where its group has no committed offset to tell (the
 * standby commits none); the fault suite's broker kill sees a few records per partition read
 * again every time. Applied again, they would set keys back to older values while the copy
 * still says it has read further, and a restore taken meanwhile would decide from an old state
 * (the same attempt sent twice). So a record below the copy's position is not applied again:
 * the copy has it.
 */
export interface ChangelogRecord {
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
}

export interface ChangelogCopy {
  /**
   * Applies a fetched batch's records in order, skipping those the copy already holds; answers
   * how many it skipped.
   */
  apply(
    partition: number,
    records: readonly ChangelogRecord[],
    lastOffset: string | null | undefined,
  ): number;
  /** Moves past a batch that reached no records (transaction markers, aborted records). */
  advance(partition: number, lastOffset: string | null | undefined): void;
  /** The next offset the copy will read in the partition. */
  position(partition: number): bigint;
  /** The partition's latest values (live: copy before handing out). */
  valuesOf(partition: number): Map<string, Uint8Array>;
  /** The latest value of a key in any partition. */
  latest(key: string): Uint8Array | undefined;
}

export function createChangelogCopy(): ChangelogCopy {
  const values = new Map<number, Map<string, Uint8Array>>();
  const positions = new Map<number, bigint>();
  const valuesOf = (partition: number): Map<string, Uint8Array> => {
    let view = values.get(partition);
    if (!view) values.set(partition, (view = new Map<string, Uint8Array>()));
    return view;
  };
  const position = (partition: number): bigint => positions.get(partition) ?? 0n;
  const advance = (partition: number, lastOffset: string | null | undefined): void => {
    if (lastOffset === null || lastOffset === undefined) return;
    const next = BigInt(lastOffset) + 1n;
    if (next > position(partition)) positions.set(partition, next);
  };
  return {
    apply(partition, records, lastOffset) {
      const from = position(partition);
      const view = valuesOf(partition);
      let skipped = 0;
      for (const record of records) {
        if (BigInt(record.offset) < from) {
          skipped++;
          continue;
        }
        const key = record.key?.toString() ?? "";
        // Copied: the fetched buffer behind a value is far larger than the value.
        if (record.value === null || record.value.length === 0) view.delete(key);
        else view.set(key, Uint8Array.from(record.value));
      }
      advance(partition, lastOffset);
      return skipped;
    },
    advance,
    position,
    valuesOf,
    latest(key) {
      for (const view of values.values()) {
        const value = view.get(key);
        if (value) return value;
      }
      return undefined;
    },
  };
}
