/**
 * What a partition's task decided and nobody has committed yet.
 *
 * Events are urgent: someone waits for them (a dispatch for the gateway), so they commit at
 * once. A change of state alone is not: nobody reads it but a future owner, and until it
 * commits, the inputs that caused it stay uncommitted too, so a new owner handles them again
 * from the log and arrives at the same state. It therefore waits — for the next transaction
 * that carries events, or a short interval — and several changes of one key in that time
 * become one changelog record (Kafka Streams commits its changelogs the same way, every
 * commit.interval.ms).
 */
import type { OutgoingMessage } from "./port";
import type { ChangelogRecord, TaskOutput } from "./processor-port";

export interface PendingOutput {
  /** Adds a drained output; a key's later state replaces its earlier one. */
  add(output: TaskOutput): void;
  /** Whether something waits that must not wait: events. */
  urgent(): boolean;
  /** Whether nothing at all waits. */
  empty(): boolean;
  /** Everything that waits, as one output, and forgets it. */
  take(): TaskOutput;
  /** Forgets everything (the task is being restored from the log). */
  clear(): void;
}

export function createPendingOutput(): PendingOutput {
  let messages: OutgoingMessage[] = [];
  let changelog = new Map<string, ChangelogRecord>();
  let after: (() => void)[] = [];
  const clear = () => {
    messages = [];
    changelog = new Map();
    after = [];
  };
  return {
    add(output) {
      for (const m of output.messages) messages.push(m);
      for (const change of output.changelog) {
        // Re-inserted so the map keeps the order of the latest changes.
        changelog.delete(change.key);
        changelog.set(change.key, change);
      }
      if (output.afterCommit) after.push(output.afterCommit);
    },
    urgent: () => messages.length > 0,
    empty: () => messages.length === 0 && changelog.size === 0 && after.length === 0,
    take() {
      const callbacks = after;
      const output: TaskOutput = {
        messages,
        changelog: [...changelog.values()],
        ...(callbacks.length === 0 ? {} : { afterCommit: () => callbacks.forEach((run) => run()) }),
      };
      clear();
      return output;
    },
    clear,
  };
}
