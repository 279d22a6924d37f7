/**
 * The load generator's handsets in the deployed bench: they read each SMS the way a user would,
 * from the SMSC simulator's inbox, as the simulator's control API streams it
 * (GET /inbox/stream, one JSON message a line). The feed also counts messages per phone: every
 * verification has its own phone, so a phone with two messages is an SMS sent twice.
 */

export interface StreamedSms {
  phone: string;
  text: string;
  /** ISO time the submit_sm reached the simulator (its clock is this machine's). */
  receivedAt: string;
}

export interface HandsetFeed {
  /** Calls `listener` for every SMS, with its arrival at the SMSC on the performance.now() clock. */
  onHandset(listener: (sms: StreamedSms, at: number) => void): () => void;
  /** Forgets the counts per phone. */
  resetCounts(): void;
  /** Phones that received more than one SMS since the last reset. */
  sentTwice(): number;
  received(): number;
  close(): void;
}

export async function connectHandsetFeed(controlUrl: string): Promise<HandsetFeed> {
  const aborter = new AbortController();
  const response = await fetch(`${controlUrl}/inbox/stream`, { signal: aborter.signal });
  if (!response.ok || response.body === null) {
    throw new Error(`${controlUrl}/inbox/stream answered ${response.status}`);
  }
  const listeners = new Set<(sms: StreamedSms, at: number) => void>();
  let perPhone = new Map<string, number>();
  let received = 0;
  const deliver = (line: string): void => {
    const sms = JSON.parse(line) as StreamedSms;
    received++;
    perPhone.set(sms.phone, (perPhone.get(sms.phone) ?? 0) + 1);
    const at = Date.parse(sms.receivedAt) - performance.timeOrigin;
    for (const listener of listeners) listener(sms, at);
  };
  const read = async (body: ReadableStream<Uint8Array>): Promise<void> => {
    const decoder = new TextDecoder();
    let partial = "";
    for await (const chunk of body) {
      const lines = (partial + decoder.decode(chunk, { stream: true })).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) if (line !== "") deliver(line);
    }
  };
  read(response.body).catch(() => undefined); // ends with close()
  return {
    onHandset(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    resetCounts: () => void (perPhone = new Map()),
    sentTwice: () => [...perPhone.values()].filter((n) => n > 1).length,
    received: () => received,
    close: () => aborter.abort(),
  };
}
