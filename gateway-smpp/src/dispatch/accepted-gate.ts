/**
 * Keeps an attempt's receipts behind its ACCEPTED report within this process: a receipt can
 * arrive before submit_sm_resp (the correlator then matches it as soon as the id is known),
 * and routing should see ACCEPTED first. The dispatcher opens a gate before submitting and
 * releases it once ACCEPTED (or the failure) is published.
 */
export interface AcceptedGate {
  /** Opens the gate of an attempt; call the returned function to release it. */
  open(key: string): () => void;
  /** Resolves when the attempt's gate is released (at once if none is open). */
  wait(key: string): Promise<void>;
  /** True while this process is dispatching the attempt. */
  isOpen(key: string): boolean;
}

export function createAcceptedGate(): AcceptedGate {
  const gates = new Map<string, { released: Promise<void>; release: () => void }>();
  return {
    open(key) {
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      const gate = { released, release };
      gates.set(key, gate);
      return () => {
        if (gates.get(key) === gate) gates.delete(key);
        release();
      };
    },
    wait: (key) => gates.get(key)?.released ?? Promise.resolve(),
    isOpen: (key) => gates.has(key),
  };
}
