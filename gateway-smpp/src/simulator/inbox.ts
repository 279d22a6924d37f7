/**
 * What the simulated handsets received: every message per destination number, concatenated
 * parts reassembled, text decoded, so that a test or a demo can "read the code as a handset
 * would". Incomplete concatenations are dropped after `partTimeoutMs`.
 */
import type { ConcatInfo } from "../sms-encoding";

export interface InboxMessage {
  /** Destination number, digits without "+". */
  phone: string;
  /** Sender as shown on the handset (alphanumeric or number). */
  from: string;
  text: string;
  parts: number;
  messageIds: string[];
  systemId: string;
  receivedAt: string;
}

export interface ReceivedPart {
  phone: string;
  from: string;
  systemId: string;
  messageId: string;
  text: string;
  concat: ConcatInfo | undefined;
  at: Date;
}

export interface Inbox {
  addPart(part: ReceivedPart): InboxMessage | undefined;
  messages(phone?: string): InboxMessage[];
  /** Parts received (counted per part, duplicates included): detects double sends. */
  partCount(phone?: string): number;
  /** Calls `listener` with every message completed from now on; returns the unsubscribe. */
  onMessage(listener: (message: InboxMessage) => void): () => void;
  clear(): void;
}

interface Assembly {
  parts: Map<number, ReceivedPart>;
  total: number;
  startedAt: number;
}

export function normalisePhone(phone: string): string {
  return phone.trim().replace(/^\+/, "");
}

/** Keeps the newest `maxMessages` messages (a long load test must not grow memory forever). */
export function createInbox(partTimeoutMs = 10 * 60_000, maxMessages = 50_000): Inbox {
  let complete: InboxMessage[] = [];
  let received: string[] = [];
  const assemblies = new Map<string, Assembly>();
  const listeners = new Set<(message: InboxMessage) => void>();

  const finish = (parts: ReceivedPart[]): InboxMessage => {
    const first = parts[0];
    if (first === undefined) throw new Error("no parts");
    const message: InboxMessage = {
      phone: first.phone,
      from: first.from,
      text: parts.map((part) => part.text).join(""),
      parts: parts.length,
      messageIds: parts.map((part) => part.messageId),
      systemId: first.systemId,
      receivedAt: first.at.toISOString(),
    };
    complete.push(message);
    if (complete.length > maxMessages) complete.splice(0, complete.length - maxMessages);
    for (const listener of listeners) listener(message);
    return message;
  };

  const dropStale = (now: number): void => {
    for (const [key, assembly] of assemblies) {
      if (now - assembly.startedAt > partTimeoutMs) assemblies.delete(key);
    }
  };

  return {
    addPart(part) {
      received.push(part.phone);
      if (received.length > maxMessages * 4) received.splice(0, received.length - maxMessages * 4);
      if (part.concat === undefined || part.concat.total <= 1) return finish([part]);
      dropStale(part.at.getTime());
      const key = [part.systemId, part.from, part.phone, part.concat.reference, part.concat.total].join("|");
      const assembly: Assembly = assemblies.get(key) ?? {
        parts: new Map<number, ReceivedPart>(),
        total: part.concat.total,
        startedAt: part.at.getTime(),
      };
      assemblies.set(key, assembly);
      assembly.parts.set(part.concat.sequence, part);
      if (assembly.parts.size < assembly.total) return undefined;
      assemblies.delete(key);
      const ordered = [...assembly.parts.entries()].sort(([a], [b]) => a - b).map(([, p]) => p);
      return finish(ordered);
    },
    messages(phone) {
      if (phone === undefined) return [...complete];
      const wanted = normalisePhone(phone);
      return complete.filter((message) => message.phone === wanted);
    },
    partCount(phone) {
      if (phone === undefined) return received.length;
      const wanted = normalisePhone(phone);
      return received.filter((p) => p === wanted).length;
    },
    onMessage(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    clear() {
      complete = [];
      received = [];
      assemblies.clear();
    },
  };
}
