/**
 * What the simulated phones heard: one entry per answered call, with the spoken text as the
 * listener heard it ("Your verification code is 4, 8, 2, 9, 1, 3. …"). Holds codes on purpose
 * (it plays the handsets): bind the simulator to loopback.
 */
import type { Utterance } from "./twiml-listener";

export interface HeardCall {
  /** Digits, no "+". */
  phone: string;
  from: string;
  callSid: string;
  answeredBy: "human" | "voicemail";
  /** Everything said, in order, joined with spaces. */
  heard: string;
  utterances: Utterance[];
  pauses: number;
  pressed: string | undefined;
  /** The call's latest status (completed, or canceled when hung up early). */
  status: string;
  answeredAt: string;
}

export interface CallInbox {
  add(call: HeardCall): void;
  calls(phone?: string): HeardCall[];
  clear(): void;
}

export function createCallInbox(maxCalls = 50_000): CallInbox {
  let all: HeardCall[] = [];
  return {
    add(call) {
      all.push(call);
      if (all.length > maxCalls) all.splice(0, all.length - maxCalls);
    },
    calls(phone) {
      if (phone === undefined) return [...all];
      const wanted = phone.replace(/[^0-9]/g, "");
      return all.filter((c) => c.phone === wanted);
    },
    clear() {
      all = [];
    },
  };
}
