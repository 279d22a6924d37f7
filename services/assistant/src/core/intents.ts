/**
 * Intent from the concepts found in a message: a linear score per intent over concepts and
 * pairs of concepts, the highest wins, nothing strong enough is "other". Replies made only of
 * yes / no words (and politeness) are confirm / decline. Weights are set by hand and checked
 * against the labelled messages shipped with the tests (see the README for the figure).
 */
import type { Concept } from "./lexicon/concepts";
import type { ConceptHit } from "./lexicon";
import type { ChannelName, Intent } from "./types";

type Has = (...concepts: Concept[]) => boolean;
type Rule = (has: Has, any: Has) => number;

const RULES: Record<Exclude<Intent, "confirm" | "decline" | "other">, Rule[]> = {
  not_received: [
    (h, a) => (h("RECEIVE") && a("NEG", "NOT_YET") ? 4 : 0),
    (h, a) => (h("CODE") && a("NEG", "NOT_YET") ? 2.5 : 0),
    (h) => (h("WHERE", "CODE") ? 3.5 : 0),
    (h, a) => (h("CODE") && a("WAIT", "LATE") ? 3 : 0),
    (_h, a) => (a("CODE", "RECEIVE") ? 1 : 0),
    (h) => (h("NOT_YET") ? 0.5 : 0),
  ],
  resend: [
    (h) => (h("SEND", "AGAIN") ? 4 : 0),
    (h) => (h("AGAIN", "CODE") ? 2.5 : 0),
    (h, a) => (h("NEW", "CODE") || (h("NEW") && a("SEND")) ? 3 : 0),
    (h) => (h("SEND", "CODE") ? 1.5 : 0),
    (h) => (h("AGAIN") ? 1 : 0),
  ],
  switch_channel: [
    // "มีคนโทรมา" / "someone called": a report of a call, not a request for one.
    (h, a) => (h("CALL_ME") && !a("SOMEONE") ? 5.5 : 0),
    (_h, a) => (a("SMS", "WHATSAPP", "VOICE") && a("VIA", "SEND", "AGAIN", "REQUEST") ? 4.5 : 0),
    (_h, a) => (a("SMS", "WHATSAPP", "VOICE") ? 2 : 0),
  ],
  safety: [
    (h, a) => (h("SAFE") && a("CODE", "SHARE") ? 5 : 0),
    (h) => (h("SHARE", "CODE") ? 4 : 0),
    (h, a) => (h("ASKED", "CODE") && a("STAFF", "SOMEONE") ? 5 : 0),
    // Asking for a code is a resend unless someone else does the asking (the rule above).
    (h) => (h("ASKED", "CODE") ? 2 : 0),
    (h, a) => (h("CODE") && a("STAFF", "SOMEONE") ? 2.5 : 0),
    (h, a) => (h("SHARE") && a("STAFF", "SOMEONE") ? 3 : 0),
    (h) => (h("SAFE") ? 1.5 : 0),
  ],
  incident: [
    (h) => (h("OUTAGE") ? 4.5 : 0),
    (h) => (h("NETWORK", "PROBLEM") ? 3.5 : 0),
    (h) => (h("PROBLEM") ? 2 : 0),
    (h) => (h("NETWORK") ? 1.5 : 0),
  ],
  human: [
    (h) => (h("HUMAN", "TALK") ? 5 : 0),
    (h) => (h("HUMAN") ? 2.5 : 0),
    (h, a) => (h("TALK") && a("STAFF") ? 3 : 0),
    (h) => (h("TALK") ? 1.5 : 0),
  ],
  frustrated: [(h) => (h("ANGRY") ? 6 : 0)],
  greeting: [(h) => (h("THANKS") ? 3 : 0), (h) => (h("GREETING") ? 2.5 : 0), (h) => (h("HELP") ? 2 : 0)],
};

/** Below this, nothing is clear enough: "other". */
const THRESHOLD = 2;

export interface IntentScore {
  intent: Intent;
  score: number;
}

export function scoreIntents(hits: readonly ConceptHit[], shouting: boolean): IntentScore[] {
  const found = new Set(hits.map((h) => h.concept));
  const has: Has = (...concepts) => concepts.every((c) => found.has(c));
  const any: Has = (...concepts) => concepts.some((c) => found.has(c));
  const scores = (Object.entries(RULES) as Array<[Intent, Rule[]]>).map(([intent, rules]) => ({
    intent,
    score:
      rules.reduce((sum, rule) => sum + rule(has, any), 0) + (intent === "frustrated" && shouting ? 2.5 : 0),
  }));
  return scores.sort((a, b) => b.score - a.score);
}

export function bestIntent(scores: readonly IntentScore[]): Intent {
  const [top] = scores;
  return top && top.score >= THRESHOLD ? top.intent : "other";
}

const CHANNEL_OF: Partial<Record<Concept, ChannelName>> = {
  SMS: "sms",
  WHATSAPP: "whatsapp",
  VOICE: "voice",
  CALL_ME: "voice",
};

/**
 * The channel asked for: "call me" is voice; a channel right after "via / lewat / qua" wins;
 * a channel after "instead of / bukan / thay vì" is the one not wanted; otherwise the last one
 * named ("WA saya mati, kirim SMS aja").
 */
export function requestedChannel(hits: readonly ConceptHit[]): ChannelName | undefined {
  if (hits.some((h) => h.concept === "CALL_ME")) return "voice";
  const mentions = hits.filter((h) => CHANNEL_OF[h.concept] !== undefined);
  const follows = (hit: ConceptHit, concepts: Concept[], within = 16): boolean =>
    hits.some((h) => concepts.includes(h.concept) && h.at < hit.at && hit.at - h.at <= within);
  const wanted = mentions.filter((m) => !follows(m, ["EXCLUDE", "NEG"], 12));
  const marked = wanted.find((m) => follows(m, ["VIA", "SEND"]));
  const chosen = marked ?? wanted.at(-1) ?? mentions.at(-1);
  return chosen ? CHANNEL_OF[chosen.concept] : undefined;
}
