/**
 * Group commit for an ordered, one-request-in-flight producer: writes that arrive while a
 * request is in flight wait and leave together in the next request. Nothing waits on a timer,
 * so a lone write goes at once; under load, one round trip carries many writes, which is how an
 * idempotent producer with acks=all gets throughput without giving up per-key order.
 */
export interface TopicBatch<M> {
  topic: string;
  messages: M[];
}

export type BatchSender<M> = (batches: TopicBatch<M>[]) => Promise<void>;

interface Pending<M> {
  batches: TopicBatch<M>[];
  count: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export function createGroupCommit<M>(send: BatchSender<M>, maxMessagesPerRequest = 1000): BatchSender<M> {
  const queue: Pending<M>[] = [];
  let flushing = false;

  const takeRequest = (): Pending<M>[] => {
    const taken: Pending<M>[] = [];
    let count = 0;
    while (queue.length > 0 && (taken.length === 0 || count + queue[0]!.count <= maxMessagesPerRequest)) {
      const next = queue.shift()!;
      count += next.count;
      taken.push(next);
    }
    return taken;
  };

  const merge = (writes: Pending<M>[]): TopicBatch<M>[] => {
    const byTopic = new Map<string, M[]>();
    for (const w of writes) {
      for (const b of w.batches) {
        const list = byTopic.get(b.topic) ?? [];
        list.push(...b.messages);
        byTopic.set(b.topic, list);
      }
    }
    return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
  };

  const flush = async (): Promise<void> => {
    flushing = true;
    try {
      while (queue.length > 0) {
        const writes = takeRequest();
        try {
          await send(merge(writes));
          for (const w of writes) w.resolve();
        } catch (err) {
          for (const w of writes) w.reject(err);
        }
      }
    } finally {
      flushing = false;
    }
  };

  return (batches) =>
    new Promise<void>((resolve, reject) => {
      const count = batches.reduce((n, b) => n + b.messages.length, 0);
      queue.push({ batches, count, resolve, reject });
      if (!flushing) void flush();
    });
}
