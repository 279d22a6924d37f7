/**
 * kafkajs 2.2.4's filter of aborted transactional records, replaced (see patches/README.md).
 *
 * The broker lists a fetch's aborted transactions in the order they ended, not the order they
 * began, and the fetch may start after several of them began. kafkajs compared each record with
 * the first entry of that list only and took at most one entry per record, so a record of an
 * aborted transaction that began before an entry listed ahead of it reached read_committed
 * consumers (two producers' aborted transactions overlapping on a partition are enough).
 *
 * As the Java consumer does: the list in order of first offset; before each record, every
 * aborted transaction that began at or before it marks its producer; the producer's abort
 * marker (a control record) clears it; transactional records of a marked producer are dropped.
 */
const ABORT_MARKER_KEY = Buffer.from([0, 0, 0, 0]);

const isAbortMarker = ({ key, isControlRecord }) =>
  Boolean(isControlRecord) && key != null && Buffer.from(key).equals(ABORT_MARKER_KEY);

const filterAbortedMessages = ({ messages, abortedTransactions }) => {
  if (!abortedTransactions || !abortedTransactions.length) {
    return messages;
  }
  const pending = abortedTransactions
    .map(({ firstOffset, producerId }) => ({
      firstOffset: BigInt(firstOffset),
      producerId: String(producerId),
    }))
    .sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
  const aborting = new Set();
  let next = 0;

  return messages.filter((message) => {
    const offset = BigInt(message.offset);
    while (next < pending.length && offset >= pending[next].firstOffset) {
      aborting.add(pending[next].producerId);
      next++;
    }
    const { producerId, inTransaction } = message.batchContext;
    if (isAbortMarker(message)) {
      aborting.delete(String(producerId));
      return true;
    }
    return !(inTransaction && aborting.has(String(producerId)));
  });
};

/** Read by the bus at start-up: it refuses to run on the unpatched filter. */
filterAbortedMessages.ordersAbortedTransactions = true;

module.exports = filterAbortedMessages;
