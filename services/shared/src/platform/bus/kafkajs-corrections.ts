/**
 * The bus relies on corrections to kafkajs 2.2.4 that `npm install` applies to the installed
 * package (patches/README.md): without them a read_committed consumer can hand a handler records
 * of an aborted transaction, so a dispatch a fenced owner never committed would be sent. A bus
 * refuses to start on an uncorrected kafkajs (installed with --ignore-scripts, say) rather than
 * lose exactly-once silently.
 */
import { createRequire } from "node:module";

const FILTER = "kafkajs/src/consumer/filterAbortedMessages";

export function requireKafkajsCorrections(): void {
  const filter = createRequire(__filename)(FILTER) as { ordersAbortedTransactions?: boolean };
  if (filter.ordersAbortedTransactions !== true)
    throw new Error(
      `the installed kafkajs lacks the correction in patches/${FILTER}.js ` +
        "(run `npm install` without --ignore-scripts, or `node patches/apply.js`)",
    );
}
