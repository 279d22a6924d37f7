/**
 * GSM 03.38 (3GPP TS 23.038) 7-bit default alphabet and its extension table, as SMSCs expect
 * it with data_coding 0: one septet value per octet (not packed), extension characters as the
 * escape 0x1B followed by their code.
 */
const ESCAPE = 0x1b;

// Index = septet value. 0x1B is the escape to the extension table, not a character.
const BASIC_TABLE =
  "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
  "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

const EXTENSION_TABLE: ReadonlyArray<readonly [string, number]> = [
  ["\f", 0x0a],
  ["^", 0x14],
  ["{", 0x28],
  ["}", 0x29],
  ["\\", 0x2f],
  ["[", 0x3c],
  ["~", 0x3d],
  ["]", 0x3e],
  ["|", 0x40],
  ["€", 0x65],
];

const basicCodes = new Map<string, number>();
for (let code = 0; code < BASIC_TABLE.length; code++) {
  const char = BASIC_TABLE.charAt(code);
  if (code !== ESCAPE) basicCodes.set(char, code);
}
const extensionCodes = new Map<string, number>(EXTENSION_TABLE);
const extensionChars = new Map<number, string>(EXTENSION_TABLE.map(([char, code]) => [code, char]));

/** The septets of one character (1, or 2 for the extension table), or undefined if not GSM. */
export function gsm7Septets(char: string): number[] | undefined {
  const basic = basicCodes.get(char);
  if (basic !== undefined) return [basic];
  const extension = extensionCodes.get(char);
  return extension === undefined ? undefined : [ESCAPE, extension];
}

/**
 * Septet by UTF-16 code unit, for encoding: a basic character's value, an extension character's
 * with 0x100 added (written after the escape), -1 outside the alphabet. Every GSM character is
 * one code unit, so a surrogate (an emoji's half) is outside too.
 */
const SEPTET_OF = (() => {
  const table = new Int16Array(0x10000).fill(-1);
  for (const [char, code] of basicCodes) table[char.charCodeAt(0)] = code;
  for (const [char, code] of extensionCodes) table[char.charCodeAt(0)] = 0x100 | code;
  return table;
})();

/** Encodes each character to its septets; throws on a character outside the alphabet. */
export function encodeGsm7(text: string): Buffer {
  const out = Buffer.allocUnsafe(text.length * 2);
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    const septet = SEPTET_OF[text.charCodeAt(i)]!;
    if (septet < 0) throw new RangeError("character outside the GSM 7-bit alphabet");
    if (septet > 0xff) out[length++] = ESCAPE;
    out[length++] = septet & 0x7f;
  }
  return out.subarray(0, length);
}

/**
 * Decodes unpacked septets. An escape followed by an unknown code shows the basic character,
 * as TS 23.038 asks of receivers; values above 0x7F are not septets and show as "?".
 */
export function decodeGsm7(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i++) {
    const code = bytes[i] ?? 0;
    if (code === ESCAPE && i + 1 < bytes.length) {
      const next = bytes[++i] ?? 0;
      text += extensionChars.get(next) ?? basicChar(next);
    } else {
      text += code === ESCAPE ? " " : basicChar(code);
    }
  }
  return text;
}

function basicChar(code: number): string {
  return code < BASIC_TABLE.length && code !== ESCAPE ? BASIC_TABLE.charAt(code) : "?";
}

/** All characters of the alphabet, for property tests. */
export const GSM7_CHARACTERS: readonly string[] = [...basicCodes.keys(), ...extensionCodes.keys()];
