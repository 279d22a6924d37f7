/**
 * A short pause after a fetch that brought little, before the consumer fetches again.
 *
 * kafkajs fetches again as soon as the batches of the last fetch are handled, and the broker
 * answers a fetch as soon as it holds one record (fetch.min.bytes = 1). Under a steady load
 * that makes a fetch per handful of records: every consumer group of the pipeline pays a fetch
 * request, its decoding and a batch's fixed work for each, and the broker answers each (about
 * five fetches per verification on the deployed bench). Pausing once per fetch round when the
 * round brought little lets records gather, so the next fetch carries more: the cost per record
 * falls as the load rises, at the price of at most the pause in latency for a record that
 * arrives during it. An idle consumer is not affected: its fetch long-polls as before. A round
 * that brought a full batch does not pause: the consumer is behind and fetches at once.
 *
 * The broker-side alternative (a fetch.min.bytes above one record, with a short fetch.max.wait)
 * makes idle consumers fetch on every short wait; this costs nothing while idle.
 */
import type { Consumer } from "kafkajs";
import { setTimeout as sleep } from "node:timers/promises";

/** The pause, and the batch size from which a round is "full" and does not pause. */
export interface FetchLingerSettings {
  lingerMs: number;
  fullBatch: number;
}

export const DEFAULT_FETCH_LINGER: FetchLingerSettings = { lingerMs: 5, fullBatch: 100 };

export interface FetchLinger {
  /** A fetch round begins (kafkajs's FETCH_START). */
  newRound(): void;
  /** After a batch of the round is handled: waits for the round's pause if the batch was small. */
  afterBatch(size: number): Promise<void>;
}

export function createFetchLinger(
  settings: FetchLingerSettings = DEFAULT_FETCH_LINGER,
  wait: (ms: number) => Promise<unknown> = sleep,
): FetchLinger {
  // One pause per round: a round's batches are handled one after another (or a few at once),
  // and each waits for the same pause rather than one of its own.
  let pause: Promise<void> | undefined;
  return {
    newRound() {
      pause = undefined;
    },
    async afterBatch(size) {
      if (settings.lingerMs <= 0 || size >= settings.fullBatch) return;
      pause ??= wait(settings.lingerMs).then(() => undefined);
      await pause;
    },
  };
}

/** A linger whose rounds are a kafkajs consumer's fetches (FETCH_START begins one). */
export function lingerOnFetches(consumer: Consumer, settings?: FetchLingerSettings): FetchLinger {
  const linger = createFetchLinger(settings);
  consumer.on(consumer.events.FETCH_START, () => linger.newRound());
  return linger;
}
