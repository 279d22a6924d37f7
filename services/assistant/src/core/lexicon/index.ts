/**
 * The lexicons compiled for matching: single words (found with a typo or two), phrases (found
 * on word boundaries) and, for Thai, which has no spaces, substrings. English is read in every
 * language, because it is mixed into all of them.
 */
import type { Language } from "../types";
import {
  editDistance,
  foldText,
  hasThai,
  hasVietnameseMarks,
  markedText,
  tokens,
  typoAllowance,
} from "../text";
import type { Concept, Lexicon } from "./concepts";
import { EN } from "./en";
import { FIL } from "./fil";
import { ID } from "./id";
import { MS } from "./ms";
import { TH } from "./th";
import { VI } from "./vi";

const LEXICONS: Record<Language, Lexicon> = { en: EN, id: ID, ms: MS, fil: FIL, vi: VI, th: TH };

export interface ConceptHit {
  concept: Concept;
  /** Offset in the folded text, for "which channel came after which word". */
  at: number;
  /** The folded word or phrase that matched. */
  text: string;
}

interface CompiledLexicon {
  words: Map<string, Concept[]>;
  /** Longer words by first letter, for typo-tolerant lookup. */
  fuzzy: Map<string, string[]>;
  phrases: Array<{ text: string; concepts: Concept[] }>;
  substrings: Array<{ text: string; concepts: Concept[] }>;
}

function add(map: Map<string, Concept[]>, key: string, concept: Concept): void {
  const list = map.get(key) ?? [];
  if (!list.includes(concept)) list.push(concept);
  map.set(key, list);
}

function compile(lexicon: Lexicon, normalise: (text: string) => string): CompiledLexicon {
  const words = new Map<string, Concept[]>();
  const phrases = new Map<string, Concept[]>();
  const substrings = new Map<string, Concept[]>();
  for (const [concept, entries] of Object.entries(lexicon) as Array<[Concept, readonly string[]]>) {
    for (const entry of entries) {
      const folded = normalise(entry);
      if (folded === "") continue;
      if (hasThai(folded)) add(substrings, folded, concept);
      else if (folded.includes(" ")) add(phrases, folded, concept);
      else add(words, folded, concept);
    }
  }
  const fuzzy = new Map<string, string[]>();
  for (const word of words.keys()) {
    if (typoAllowance(word.length) === 0) continue;
    const first = word[0] ?? "";
    fuzzy.set(first, [...(fuzzy.get(first) ?? []), word]);
  }
  const list = (m: Map<string, Concept[]>) => [...m].map(([text, concepts]) => ({ text, concepts }));
  return { words, fuzzy, phrases: list(phrases), substrings: list(substrings) };
}

const COMPILED = Object.fromEntries(
  Object.entries(LEXICONS).map(([language, lexicon]) => [language, compile(lexicon, foldText)]),
) as Record<Language, CompiledLexicon>;
/** Vietnamese as written with its diacritics. */
const VIETNAMESE_MARKED = compile(VI, markedText);

/** The lexicon word a token stands for: itself, or the closest word within its typo allowance. */
function lookupWord(lexicon: CompiledLexicon, token: string): string | undefined {
  if (lexicon.words.has(token)) return token;
  const allowance = typoAllowance(token.length);
  if (allowance === 0) return undefined;
  let best: { word: string; distance: number } | undefined;
  for (const word of lexicon.fuzzy.get(token[0] ?? "") ?? []) {
    const distance = editDistance(token, word, allowance);
    if (distance <= allowance && (!best || distance < best.distance)) best = { word, distance };
  }
  return best?.word;
}

function hitsIn(lexicon: CompiledLexicon, folded: string): ConceptHit[] {
  const hits: ConceptHit[] = [];
  for (const token of tokens(folded)) {
    const word = lookupWord(lexicon, token.text);
    for (const concept of word === undefined ? [] : (lexicon.words.get(word) ?? [])) {
      hits.push({ concept, at: token.at, text: word ?? token.text });
    }
  }
  const padded = ` ${folded} `;
  for (const phrase of lexicon.phrases) {
    for (
      let at = padded.indexOf(` ${phrase.text} `);
      at >= 0;
      at = padded.indexOf(` ${phrase.text} `, at + 1)
    ) {
      for (const concept of phrase.concepts) hits.push({ concept, at, text: phrase.text });
    }
  }
  for (const entry of lexicon.substrings) {
    for (let at = folded.indexOf(entry.text); at >= 0; at = folded.indexOf(entry.text, at + 1)) {
      for (const concept of entry.concepts) hits.push({ concept, at, text: entry.text });
    }
  }
  return hits;
}

export interface Reading {
  /** The text the hits' offsets refer to. */
  text: string;
  hits: ConceptHit[];
}

/**
 * Every concept found in the message, in the language's lexicon and in English. Vietnamese
 * written with diacritics is read with them; everything else (and unaccented Vietnamese) folded.
 */
export function findConcepts(raw: string, language: Language): Reading {
  const marked = language === "vi" && hasVietnameseMarks(raw);
  const text = marked ? markedText(raw) : foldText(raw);
  const own = hitsIn(marked ? VIETNAMESE_MARKED : COMPILED[language], text);
  const english = language === "en" ? [] : hitsIn(COMPILED.en, text);
  return { text, hits: [...own, ...english].sort((a, b) => a.at - b.at) };
}

/** Whether a folded token is a word of the language's lexicon (exact), for language detection. */
export function isLexiconWord(language: Language, token: string): boolean {
  return COMPILED[language].words.has(token);
}
