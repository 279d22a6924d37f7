/**
 * Text folding for matching: one form for "Belum terimaaa kodenya!!", "blm trima kode2" and
 * "chưa nhận được mã". Lower case, Latin and Vietnamese diacritics removed (Thai vowel and tone
 * marks are kept: they are letters there), letters stretched for emphasis shortened, Indonesian
 * and Malay reduplication ("kode2") folded, punctuation turned into spaces.
 */

/** Combining marks of Latin scripts (Vietnamese tones, circumflex, horn, breve). Not Thai's. */
const LATIN_MARKS = /[\u0300-\u036f]/g;

export function foldText(text: string): string {
  return markedText(text).normalize("NFD").replace(LATIN_MARKS, "").normalize("NFC").replace(/đ/g, "d");
}

/**
 * The same without removing diacritics: Vietnamese written with its marks is read with them,
 * since folding merges words ("điện" electricity and "điên" mad, "chờ" wait and "cho" give).
 */
export function markedText(text: string): string {
  return text
    .normalize("NFKC")
    .toLowerCase()
    .replace(/(\p{L})\1{2,}/gu, "$1")
    .replace(/(\p{L}{2,})2(?!\p{N})/gu, "$1")
    .replace(/[^\p{L}\p{M}\p{N}]+/gu, " ")
    .trim();
}

export interface Token {
  text: string;
  /** Offset in the folded text. */
  at: number;
}

export function tokens(folded: string): Token[] {
  return [...folded.matchAll(/[\p{L}\p{M}\p{N}]+/gu)].map((m) => ({ text: m[0], at: m.index }));
}

/**
 * Optimal string alignment distance (edits, with adjacent swaps as one), giving up above
 * `limit`: typos are one or two keys away ("recieve", "terimah", "whatsap").
 */
export function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let prevPrev: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, (prevPrev[j - 2] ?? 0) + 1);
      }
      row.push(d);
      best = Math.min(best, d);
    }
    if (best > limit) return limit + 1;
    prevPrev = prev;
    prev = row;
  }
  return prev[b.length] ?? limit + 1;
}

/** How many typos a word of this length may carry and still be recognised. */
export function typoAllowance(length: number): number {
  if (length >= 8) return 2;
  // Four-letter words are too close to each other ("same" / "safe", "cell" / "call").
  if (length >= 5) return 1;
  return 0;
}

/** Letters only Vietnamese uses among the supported languages. */
const VIETNAMESE = /[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]/iu;

export function hasVietnameseMarks(text: string): boolean {
  return VIETNAMESE.test(text);
}

export function hasThai(text: string): boolean {
  return /[\u0e00-\u0e7f]/.test(text);
}
