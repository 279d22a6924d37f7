/**
 * An EventBus that counts what passes through it: publish calls (each waits for one acks=all
 * write; group commit may carry several in one Kafka request), messages by event type, and
 * messages handed to consumers. The bench divides them by lifecycles.
 */
import type { EventBus, OutgoingMessage } from "@platform/bus/port";

export interface BusCounts {
  publishCalls: number;
  messages: number;
  byEvent: Record<string, number>;
  consumed: number;
}

export function countingBus(inner: EventBus): { bus: EventBus; counts: () => BusCounts } {
  const c: BusCounts = { publishCalls: 0, messages: 0, byEvent: {}, consumed: 0 };
  const count = (messages: readonly OutgoingMessage[]): void => {
    c.publishCalls++;
    c.messages += messages.length;
    for (const m of messages) {
      const name = m.envelope.event?.$case ?? "none";
      c.byEvent[name] = (c.byEvent[name] ?? 0) + 1;
    }
  };
  const bus: EventBus = {
    publish(topic, envelope, options) {
      count([{ topic, envelope }]);
      return inner.publish(topic, envelope, options);
    },
    publishBatch(messages) {
      if (messages.length > 0) count(messages);
      return inner.publishBatch(messages);
    },
    subscribe(options) {
      const { batchHandler } = options;
      return inner.subscribe({
        ...options,
        handler: (message) => {
          c.consumed++;
          return options.handler(message);
        },
        batchHandler: batchHandler
          ? (messages) => {
              c.consumed += messages.length;
              return batchHandler(messages);
            }
          : undefined,
      });
    },
    process: (options) => inner.process(options),
    ensureTopics: (topics) => inner.ensureTopics(topics),
    close: () => inner.close(),
  };
  return { bus, counts: () => ({ ...c, byEvent: { ...c.byEvent } }) };
}
