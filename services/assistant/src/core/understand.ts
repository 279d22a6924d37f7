/**
 * The offline classifier: language, intent and requested channel of one message, in the
 * process, without any outside service. Plain function of the text (and the conversation's
 * language so far, for replies too short to tell).
 */
import { findConcepts, type ConceptHit } from "./lexicon";
import type { Concept } from "./lexicon/concepts";
import { bestIntent, requestedChannel, scoreIntents } from "./intents";
import { detectLanguage } from "./language";
import { foldText, markedText, tokens } from "./text";
import { LANGUAGES, type Intent, type Language, type Understanding } from "./types";

/** Politeness and filler that do not change a yes or a no ("ya kak", "sige po", "ได้ครับ"). */
const FILLER = new Set(
  [
    "kak",
    "min",
    "pak",
    "bu",
    "mas",
    "mbak",
    "dong",
    "deh",
    "aja",
    "saja",
    "ya",
    "please",
    "pls",
    "plz",
    "po",
    "na",
    "lang",
    "nalang",
    "naman",
    "a",
    "nhe",
    "nha",
    "oi",
    "nya",
    "je",
    "lah",
    "la",
    "encik",
    "thanks",
    "thank",
    "you",
    "ok",
    "okay",
    "sir",
    "maam",
    "ạ",
    "nhé",
    "đâu",
    "nha",
    "ha",
    "kayo",
    "nyo",
    "ครับ",
    "ค่ะ",
    "คะ",
    "คับ",
    "จ้า",
    "นะ",
  ].flatMap((w) => [foldText(w), markedText(w)]),
);

const THAI_FILLER = /(ครับ|คับ|ค่ะ|คะ|จ้า|นะ|ค่า)/gu;

function yesNo(folded: string, hits: readonly ConceptHit[]): "confirm" | "decline" | undefined {
  const words = tokens(folded.replace(THAI_FILLER, " ")).map((t) => t.text);
  if (words.length === 0 || words.length > 5) return undefined;
  const rest = ` ${words.join(" ")} `;
  const covered = (concept: Concept): boolean => {
    let left = rest;
    // Longest first: "gak usah" goes as one, not as "gak" leaving "usah" behind.
    const found = hits.filter((h) => h.concept === concept).sort((a, b) => b.text.length - a.text.length);
    for (const hit of found) left = left.replace(` ${hit.text} `, " ");
    return tokens(left).every((t) => FILLER.has(t.text));
  };
  // "no" beats "yes" when both could read the message ("ok, no thanks").
  if (hits.some((h) => h.concept === "NO") && covered("NO")) return "decline";
  if (hits.some((h) => h.concept === "YES") && covered("YES")) return "confirm";
  if (words.every((w) => FILLER.has(w)) && words.some((w) => w === "ok" || w === "okay")) return "confirm";
  return undefined;
}

/**
 * A two-word reply says too little to tell Malay from Indonesian ("tak payah", "gak usah"):
 * read it as a yes or a no in whichever language makes it one.
 */
function shortAnswerInAnyLanguage(raw: string, tried: Language): "confirm" | "decline" | undefined {
  if (tokens(foldText(raw)).length > 3) return undefined;
  for (const language of LANGUAGES) {
    if (language === tried) continue;
    const { text, hits } = findConcepts(raw, language);
    const answer = yesNo(text, hits);
    if (answer) return answer;
  }
  return undefined;
}

/**
 * Vietnamese asks yes/no questions with a final "không" ("gọi điện được không?" can you call?):
 * there it is a question mark, not a "not".
 */
function withoutQuestionParticle(hits: ConceptHit[], text: string, language: Language): ConceptHit[] {
  if (language !== "vi") return hits;
  const last = tokens(text).at(-1);
  if (!last || !["không", "khong", "ko", "k", "hông"].includes(last.text)) return hits;
  const questioned = hits.some((h) => h.at < last.at && h.concept !== "NOT_YET");
  return questioned ? hits.filter((h) => h.at !== last.at) : hits;
}

/** ALL CAPS or a run of "!!!": one signal of frustration among others. */
function shouting(raw: string): boolean {
  const letters = raw.replace(/[^A-Za-z]/g, "");
  return /[!?]{3,}/.test(raw) || (letters.length >= 12 && letters === letters.toUpperCase());
}

export function understandOffline(raw: string, previous?: Language): Understanding {
  const folded = foldText(raw);
  const guess = detectLanguage(raw, folded, previous);
  const reading = findConcepts(raw, guess.language);
  const { text } = reading;
  const hits = withoutQuestionParticle(reading.hits, text, guess.language);
  const scores = scoreIntents(hits, shouting(raw));
  const answer = yesNo(text, hits) ?? shortAnswerInAnyLanguage(raw, guess.language);
  const intent: Intent = answer ?? bestIntent(scores);
  const channel = intent === "switch_channel" ? requestedChannel(hits) : undefined;
  // "iya boleh", "ok", "sige": a yes or a no says little about the language; the conversation's stays.
  const answering = intent === "confirm" || intent === "decline";
  return {
    language: answering && previous !== undefined ? previous : guess.language,
    languageConfidence: guess.confidence,
    intent: intent === "switch_channel" && channel === undefined ? "resend" : intent,
    ...(channel === undefined ? {} : { channel }),
  };
}
