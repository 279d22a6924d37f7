/**
 * One turn of the conversation, decided on plain data: what to say, whether to resend (and on
 * which channel), whether to hand off to an agent, and what to remember. Time is passed in;
 * loading the verification and district health, resending and sending happen in the adapters.
 */
import { healthiestChannel } from "./channel-choice";
import { OFFER_VALID_MS, openHandoff, type Conversation } from "./conversation";
import { explainState } from "./explain";
import { incidentNotices } from "./incidents";
import { PHRASES } from "./replies";
import type {
  ChannelName,
  DistrictStatus,
  HandoffReason,
  IncidentSnapshot,
  Intent,
  Language,
  ResendOutcome,
  Understanding,
  VerificationSnapshot,
} from "./types";

export interface Signals {
  /** The message holds what looks like a one-time code. */
  codeLike: boolean;
  /** The message names a phone number other than the sender's. */
  otherNumber: boolean;
}

export interface TurnInput {
  now: number;
  language: Language;
  understanding: Understanding;
  signals: Signals;
  conversation: Conversation;
  /** The sender's own live verification, when the turn needed it and there is one. */
  verification?: VerificationSnapshot;
  /** Health and incidents of the verification's district. */
  district?: DistrictStatus;
  /** Incidents anywhere, for a sender whose district is not known. */
  incidents?: IncidentSnapshot[];
  /** Whether the sender may still be offered a resend this hour. */
  offersLeft: boolean;
  /** The id a new hand-off gets (`hof_…`; made outside, from the message it answers). */
  handoffId: string;
}

export interface TurnDecision {
  replies: string[];
  /** Channel undefined: routing chooses (nothing planned yet to choose from here). */
  resend?: { verificationId: string; channel: ChannelName | undefined };
  /** Publish a hand-off with the id in `conversation.handoff`; "follow_up" for a later turn. */
  handoff?: HandoffReason;
  /** A resend offered or asked for: counts against the sender's hourly allowance. */
  spendsOffer: boolean;
  conversation: Conversation;
}

/** What the turn needs loaded before it can be decided. */
export function contextNeeded(intent: Intent, signals: Signals): { verification: boolean } {
  if (signals.codeLike || signals.otherNumber) return { verification: false };
  const needs: readonly Intent[] = ["not_received", "resend", "switch_channel", "confirm", "incident"];
  return { verification: needs.includes(intent) };
}

const say = (input: TurnInput, replies: string[], extra: Partial<TurnDecision> = {}): TurnDecision => ({
  replies,
  spendsOffer: false,
  conversation: { ...input.conversation, language: input.language },
  ...extra,
});

function handOff(input: TurnInput, reason: HandoffReason, lead: string[] = []): TurnDecision {
  const phrases = PHRASES[input.language];
  const open = openHandoff(input.conversation, input.now);
  if (open) {
    // The agent has the conversation: this goes to them; the user hears so once, then silence.
    const decision = say(input, open.told ? lead : [...lead, phrases.handoffPending], {
      handoff: "follow_up",
    });
    return { ...decision, conversation: { ...decision.conversation, handoff: { ...open, told: true } } };
  }
  const decision = say(input, [...lead, phrases.handoff], { handoff: reason });
  const handoff = { id: input.handoffId, at: input.now, told: false };
  return { ...decision, conversation: { ...decision.conversation, handoff, offer: undefined } };
}

/** Resend now on `channel`, or say why not. */
function resendOn(input: TurnInput, verification: VerificationSnapshot, channel: ChannelName | undefined) {
  const phrases = PHRASES[input.language];
  if (verification.sendsRemaining <= 0) return say(input, [phrases.sendLimit]);
  const decision = say(input, [], { resend: { verificationId: verification.id, channel } });
  return { ...decision, conversation: { ...decision.conversation, offer: undefined } };
}

function offerResend(input: TurnInput, verification: VerificationSnapshot, lead: string[]): TurnDecision {
  const phrases = PHRASES[input.language];
  const channel = healthiestChannel(verification, input.district);
  if (!channel) return say(input, lead);
  if (verification.sendsRemaining <= 0) return say(input, [...lead, phrases.sendLimit]);
  if (!input.offersLeft) return say(input, [...lead, phrases.budgetExhausted]);
  const wait = verification.resendAvailableAt - input.now;
  const name = phrases.channel[channel];
  const offer = wait > 1000 ? phrases.offerLater(name, phrases.duration(wait)) : phrases.offer(name);
  const decision = say(input, [...lead, offer], { spendsOffer: true });
  const pending = { verificationId: verification.id, channel, until: input.now + OFFER_VALID_MS };
  return { ...decision, conversation: { ...decision.conversation, offer: pending } };
}

function codeNotReceived(input: TurnInput, resendNow: boolean): TurnDecision {
  const phrases = PHRASES[input.language];
  const v = input.verification;
  if (!v) return say(input, [phrases.noActive]);
  const state = explainState(phrases, v, input.district, input.now);
  if (!resendNow) return offerResend(input, v, state);
  if (!input.offersLeft) return say(input, [...state, phrases.budgetExhausted]);
  return { ...resendOn(input, v, healthiestChannel(v, input.district)), spendsOffer: true };
}

function switchChannel(input: TurnInput, channel: ChannelName): TurnDecision {
  const phrases = PHRASES[input.language];
  const v = input.verification;
  if (!v) return say(input, [phrases.noActive]);
  if (!v.channels.includes(channel)) {
    return offerResend(input, v, [phrases.channelNotOffered(phrases.channel[channel])]);
  }
  if (!input.offersLeft) return say(input, [phrases.budgetExhausted]);
  return { ...resendOn(input, v, channel), spendsOffer: true };
}

function confirm(input: TurnInput): TurnDecision {
  const phrases = PHRASES[input.language];
  const offer = input.conversation.offer;
  const v = input.verification;
  if (!offer || input.now > offer.until) return say(input, [phrases.help]);
  if (!v || v.id !== offer.verificationId) return say(input, [phrases.closed]);
  return resendOn(input, v, offer.channel);
}

function incident(input: TurnInput): TurnDecision {
  const phrases = PHRASES[input.language];
  const known = input.verification ? (input.district?.incidents ?? []) : (input.incidents ?? []);
  if (known.length === 0) return say(input, [phrases.noIncident]);
  return say(input, incidentNotices(phrases, input.language, known));
}

export function decideTurn(input: TurnInput): TurnDecision {
  const decision = answer(input);
  // While an agent has the conversation, turns the assistant answered itself go to them too.
  if (decision.handoff === undefined && openHandoff(input.conversation, input.now)) {
    return { ...decision, handoff: "follow_up" };
  }
  return decision;
}

function answer(input: TurnInput): TurnDecision {
  const phrases = PHRASES[input.language];
  if (input.signals.otherNumber) return say(input, [phrases.otherNumber]);
  // Someone may be talking the user into sharing it: warn, and let an agent look.
  if (input.signals.codeLike) return handOff(input, "possible_social_engineering", [phrases.codeWarning]);
  const { intent, channel } = input.understanding;
  switch (intent) {
    case "safety":
      return say(input, [phrases.safety]);
    case "not_received":
      return codeNotReceived(input, false);
    case "resend":
      return codeNotReceived(input, true);
    case "switch_channel":
      return channel ? switchChannel(input, channel) : codeNotReceived(input, true);
    case "confirm":
      return confirm(input);
    case "decline":
      return { ...say(input, [phrases.declined]), conversation: { ...input.conversation, offer: undefined } };
    case "incident":
      return incident(input);
    case "greeting":
      return say(input, [phrases.help]);
    case "human":
      return handOff(input, "requested");
    case "frustrated":
      return handOff(input, "frustrated");
    case "other":
      return handOff(input, "not_understood");
  }
}

/** The reply once a resend was tried. */
export function describeResend(
  language: Language,
  outcome: ResendOutcome,
  attempted: { verificationId: string; channel: ChannelName | undefined },
  conversation: Conversation,
  now: number,
): { replies: string[]; conversation: Conversation } {
  const phrases = PHRASES[language];
  switch (outcome.kind) {
    case "sent": {
      const channel = outcome.channel ?? attempted.channel;
      return { replies: [phrases.resendSent(channel && phrases.channel[channel])], conversation };
    }
    case "cooldown": {
      // The offer stays open: a "yes" once the wait is over sends it.
      const { verificationId, channel } = attempted;
      const offer = channel ? { verificationId, channel, until: now + OFFER_VALID_MS } : conversation.offer;
      return {
        replies: [phrases.cooldown(phrases.duration(outcome.retryAfterMs))],
        conversation: { ...conversation, offer },
      };
    }
    case "limit":
      return { replies: [phrases.sendLimit], conversation: { ...conversation, offer: undefined } };
    case "closed":
      return { replies: [phrases.closed], conversation: { ...conversation, offer: undefined } };
    case "unavailable":
      return { replies: [phrases.tryLater], conversation };
  }
}
