/**
 * What the assistant remembers of a conversation with one sender, for a while: the language
 * so far, the turns (codes and numbers already removed) for a hand-off, a resend it offered and
 * is waiting for a "yes" to, and the hand-off an agent has, if any.
 */
import type { ChannelName, Language } from "./types";

export interface Turn {
  role: "user" | "assistant";
  text: string;
  at: number;
}

export interface PendingOffer {
  verificationId: string;
  channel: ChannelName;
  /** A "yes" after this is not taken as an answer to the offer. */
  until: number;
}

/** The conversation an agent was given: later turns follow it under the same id. */
export interface OpenHandoff {
  /** `hof_…`, the hand-off's id on the support topic. */
  id: string;
  at: number;
  /** The user has been told, once, that the agent has the conversation. */
  told: boolean;
}

export interface Conversation {
  language?: Language;
  turns: Turn[];
  offer?: PendingOffer;
  handoff?: OpenHandoff;
}

const MAX_TURNS = 30;
const MAX_TURN_CHARS = 500;
export const OFFER_VALID_MS = 10 * 60_000;
/**
 * After a hand-off the agent has the conversation for this long: no new hand-off is raised,
 * and every turn is forwarded to the agent as a follow-up instead.
 */
export const HANDOFF_QUIET_MS = 30 * 60_000;

export const newConversation = (): Conversation => ({ turns: [] });

/** The conversation with one more turn; the oldest go first past MAX_TURNS. */
export function withTurn(conversation: Conversation, turn: Turn): Conversation {
  const text = turn.text.length > MAX_TURN_CHARS ? `${turn.text.slice(0, MAX_TURN_CHARS)}…` : turn.text;
  return { ...conversation, turns: [...conversation.turns, { ...turn, text }].slice(-MAX_TURNS) };
}

/** The transcript an agent sees: "user: …" / "assistant: …" lines. */
export function transcriptOf(conversation: Conversation): string[] {
  return conversation.turns.map((t) => `${t.role}: ${t.text}`);
}

/** The hand-off the agent still has at `now`, if any. */
export function openHandoff(conversation: Conversation, now: number): OpenHandoff | undefined {
  const handoff = conversation.handoff;
  return handoff !== undefined && now - handoff.at < HANDOFF_QUIET_MS ? handoff : undefined;
}
