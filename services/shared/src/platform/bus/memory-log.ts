/**
 * Topics of the in-process bus: partitions as append-only arrays of encoded records, with
 * offsets that keep counting when old records are dropped by the retention bound.
 */
import type { RawMessage } from "./codec";

export interface LogRecord extends RawMessage {
  offset: number;
}

export interface PartitionLog {
  /** Offset of the oldest retained record. */
  startOffset(): number;
  /** Offset the next record will get. */
  endOffset(): number;
  append(message: RawMessage): number;
  read(offset: number): LogRecord | undefined;
  /** Resolves once a record at `offset` exists, or when `signal` aborts. */
  waitFor(offset: number, signal: AbortSignal): Promise<void>;
}

export interface MemoryTopic {
  name: string;
  partitions: PartitionLog[];
}

export function createTopic(name: string, partitions: number, maxRecordsPerPartition?: number): MemoryTopic {
  return {
    name,
    partitions: Array.from({ length: partitions }, () => createPartitionLog(maxRecordsPerPartition)),
  };
}

/** Same key, same partition (FNV-1a of the UTF-8 key). */
export function partitionFor(key: string, partitionCount: number): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(key, "utf8")) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % partitionCount;
}

function createPartitionLog(maxRecords = Number.POSITIVE_INFINITY): PartitionLog {
  const records: LogRecord[] = [];
  let start = 0;
  let waiters: Array<() => void> = [];

  const wakeWaiters = (): void => {
    const woken = waiters;
    waiters = [];
    // Never run consumers inside publish: they continue on a later turn of the event loop.
    if (woken.length > 0) setImmediate(() => woken.forEach((wake) => wake()));
  };

  return {
    startOffset: () => start,
    endOffset: () => start + records.length,
    append(message) {
      const offset = start + records.length;
      records.push({ ...message, headers: { ...message.headers }, offset });
      while (records.length > maxRecords) {
        records.shift();
        start++;
      }
      wakeWaiters();
      return offset;
    },
    read: (offset) => (offset >= start ? records[offset - start] : undefined),
    waitFor(offset, signal) {
      if (offset < start + records.length || signal.aborted) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const done = (): void => {
          signal.removeEventListener("abort", done);
          resolve();
        };
        waiters.push(done);
        signal.addEventListener("abort", done, { once: true });
      });
    },
  };
}
