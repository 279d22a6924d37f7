/**
 * WhatsApp's customer service window: a business may send free-form messages to a user for 24
 * hours after the user's last message to it; outside the window only templates are delivered
 * (anything else fails with 131047, re-engagement message). Kept per business number and user.
 */
const SERVICE_WINDOW_MS = 24 * 3_600_000;

export interface ServiceWindows {
  /** The user wrote to the business at `at`. */
  open(phoneNumberId: string, user: string, at: number): void;
  isOpen(phoneNumberId: string, user: string, at: number): boolean;
}

export function createServiceWindows(maxEntries = 100_000): ServiceWindows {
  const lastInbound = new Map<string, number>();
  const id = (phoneNumberId: string, user: string): string => `${phoneNumberId}|${user.replace(/\D/g, "")}`;
  return {
    open(phoneNumberId, user, at) {
      const key = id(phoneNumberId, user);
      lastInbound.delete(key);
      lastInbound.set(key, at);
      // Maps keep insertion order: the oldest window goes first.
      if (lastInbound.size > maxEntries) lastInbound.delete(lastInbound.keys().next().value ?? "");
    },
    isOpen(phoneNumberId, user, at) {
      const since = lastInbound.get(id(phoneNumberId, user));
      return since !== undefined && at - since < SERVICE_WINDOW_MS;
    },
  };
}
