/**
 * What the simulated handsets show: each delivered authentication message as the user sees it
 * (the preset text and the copy-code button), and the business's free-form replies. Holds codes
 * on purpose: it plays the phones.
 */
export interface InboxMessage {
  /** Digits, no "+". */
  phone: string;
  phoneNumberId: string;
  messageId: string;
  /** An authentication template, or a free-form text reply (in a customer service window). */
  kind: "authentication" | "text";
  /** "" for text replies. */
  templateName: string;
  /** "" for text replies. */
  language: string;
  /** e.g. "482913 is your verification code.", or the reply's text. */
  text: string;
  /** Authentication messages only. */
  button?: { type: "copy_code"; label: string; copies: string };
  ttlSeconds: number | undefined;
  deliveredAt: string;
  /** Statuses posted so far for this message. */
  statuses: string[];
}

export interface Inbox {
  add(message: InboxMessage): void;
  messages(phone?: string): InboxMessage[];
  clear(): void;
}

export const authenticationText = (code: string): string => `${code} is your verification code.`;

export function createInbox(maxMessages = 50_000): Inbox {
  let all: InboxMessage[] = [];
  return {
    add(message) {
      all.push(message);
      if (all.length > maxMessages) all.splice(0, all.length - maxMessages);
    },
    messages(phone) {
      if (phone === undefined) return [...all];
      const wanted = phone.replace(/[^0-9]/g, "");
      return all.filter((m) => m.phone === wanted);
    },
    clear() {
      all = [];
    },
  };
}
