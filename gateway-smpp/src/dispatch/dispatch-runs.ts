/**
 * Dispatches taken a run at a time: the bus hands over up to 100 consecutive messages of one
 * partition, they are sent side by side, and the run is committed once every one of them is
 * reported. One dispatch at a time per partition kept a gateway at partitions ÷ round trip
 * (≈ 150/s on a loaded 2-core machine) and paid a Kafka fetch, a produce and a Redis round trip
 * of its own per message; a run shares them. Dispatches are independent (the ledger is keyed
 * by verification and attempt), so their order inside a run does not matter.
 *
 * `maxInFlight` bounds the dispatches being handled at once across every partition of the
 * process, so that runs cannot queue more submits than the binds' windows drain in time.
 */
import type { BusMessage } from "@platform/bus/port";

export interface DispatchRuns {
  /** Handles a run; rejects (after every dispatch of the run is settled) if one failed. */
  handleRun(messages: BusMessage[]): Promise<void>;
  readonly inFlight: number;
}

export function createDispatchRuns(
  handle: (message: BusMessage) => Promise<void>,
  maxInFlight: number,
): DispatchRuns {
  let inFlight = 0;
  const waiting: Array<() => void> = [];

  const acquire = (): Promise<void> => {
    if (inFlight < maxInFlight) {
      inFlight++;
      return Promise.resolve();
    }
    // The slot passes straight from the releasing dispatch to the next one in line.
    return new Promise((resolve) => waiting.push(resolve));
  };
  const release = (): void => {
    const next = waiting.shift();
    if (next) next();
    else inFlight--;
  };
  const handleOne = async (message: BusMessage): Promise<void> => {
    await acquire();
    try {
      await handle(message);
    } finally {
      release();
    }
  };

  return {
    async handleRun(messages) {
      // All settle before the run fails: the bus then retries its messages one at a time, and
      // none of them may still be in hand here (the ledger makes the retry harmless).
      const results = await Promise.allSettled(messages.map(handleOne));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
      if (failed) throw failed.reason;
    },
    get inFlight() {
      return inFlight;
    },
  };
}
