/**
 * The WhatsApp message ids of the assistant's latest replies, in memory. Where one process also
 * runs the WhatsApp connector on the same business number (the all-in-one), the connector is
 * told these are not its messages, so it drops their status webhooks at once instead of
 * waiting for a send of its own to be recorded. Bounded: the oldest are forgotten first.
 */
export interface RecentReplies {
  add(messageId: string): void;
  has(messageId: string): boolean;
}

export function createRecentReplies(capacity = 10_000): RecentReplies {
  const ids = new Set<string>();
  return {
    add(messageId) {
      ids.add(messageId);
      if (ids.size > capacity) ids.delete(ids.values().next().value as string);
    },
    has: (messageId) => ids.has(messageId),
  };
}
