/**
 * The producer the bus writes through, replaced after every failed write.
 *
 * Why: an idempotent producer numbers its batches per partition, and kafkajs 2.2.4 takes the
 * numbers of a failed produce request back (sendMessages.js: updateSequence(-n)) even when the
 * request failed on a lost connection after the broker had appended it (a broker killed or
 * restarted mid-request, more likely the busier the machine). Once kafkajs's retries give up, the
 * next batch reuses those numbers and the broker refuses it with OUT_OF_ORDER_SEQUENCE_NUMBER,
 * and so every later batch to that partition, for ever: the service publishes nothing there until
 * it restarts. A new producer gets a new producer id from the broker and numbers from zero, so a
 * write whose fate is unknown can no longer poison the next ones. The caller of the failed write
 * got an error and writes again (at least once; consumers deduplicate on the event id).
 */
export interface ProducerLike {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
}

export interface ProducerSlot<P extends ProducerLike> {
  /** Runs one write on the current producer (connected on first use). */
  write<T>(send: (producer: P) => Promise<T>): Promise<T>;
  /** How many producers were replaced after failed writes. */
  readonly replaced: number;
  close(): Promise<void>;
}

export function createProducerSlot<P extends ProducerLike>(
  make: () => P,
  onReplaced: (error: unknown) => void = () => undefined,
): ProducerSlot<P> {
  let producer = make();
  let connecting: Promise<P> | undefined;
  let replaced = 0;
  let closed = false;

  const connected = (): Promise<P> => {
    const current = producer;
    connecting ??= current.connect().then(
      () => current,
      (err: unknown) => {
        // A failed connect is forgotten: the next write tries again.
        if (producer === current) connecting = undefined;
        throw err;
      },
    );
    return connecting;
  };

  const retire = (failed: P, error: unknown): void => {
    // Writes that failed together on one producer replace it once.
    if (failed !== producer || closed) return;
    producer = make();
    connecting = undefined;
    replaced++;
    void failed.disconnect().catch(() => undefined);
    onReplaced(error);
  };

  return {
    async write(send) {
      const current = await connected();
      try {
        return await send(current);
      } catch (err) {
        retire(current, err);
        throw err;
      }
    },
    get replaced() {
      return replaced;
    },
    async close() {
      closed = true;
      await producer.disconnect();
    },
  };
}
