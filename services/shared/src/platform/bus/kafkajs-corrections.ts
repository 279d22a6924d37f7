/**
 * The bus relies on corrections to kafkajs 2.2.4 that `npm install` applies to the installed
 * package (patches/README.md): without them a read_committed consumer can hand a handler records
 * of an aborted transaction, so a dispatch a fenced owner never committed would be sent; and
 * every broker connection checks its request queue once a millisecond for as long as it is
 * open, which costs each process a few percent of a core. A bus refuses to start on an
 * uncorrected kafkajs (installed with --ignore-scripts, say) rather than lose exactly-once
 * silently.
 */
import { createRequire } from "node:module";

/** Each corrected module, and the mark the correction exports. */
const CORRECTIONS = [
  { module: "kafkajs/src/consumer/filterAbortedMessages", mark: "ordersAbortedTransactions" },
  { module: "kafkajs/src/network/requestQueue/index", mark: "checksOnlyWhilePending" },
] as const;

export function requireKafkajsCorrections(): void {
  const load = createRequire(__filename);
  for (const { module, mark } of CORRECTIONS) {
    const loaded = load(module) as Record<string, unknown>;
    if (loaded[mark] !== true)
      throw new Error(
        `the installed kafkajs lacks the correction in patches/${module}.js ` +
          "(run `npm install` without --ignore-scripts, or `node patches/apply.js`)",
      );
  }
}
