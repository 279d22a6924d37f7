/**
 * OTP message texts. Built-in templates for the platform's six languages, each one GSM 7-bit
 * where the language allows it (one SMS instead of two or three UCS-2 parts): Vietnamese is
 * written without diacritics, as OTP SMS in Vietnam usually are; Thai needs UCS-2 and is kept
 * within one UCS-2 SMS (70 characters) for brands of up to 11 characters.
 * Placeholders: {code}, {brand}, {minutes}. No links (MAS/ABS: no clickable links in SMS).
 */
const PLACEHOLDERS = ["code", "brand", "minutes"] as const;

export const DEFAULT_TEMPLATES: Readonly<Record<string, string>> = Object.freeze({
  id: "{code} adalah kode OTP {brand} Anda. Berlaku {minutes} menit. JANGAN berikan kode ini kepada siapa pun.",
  en: "{code} is your {brand} verification code. Valid for {minutes} minutes. Do NOT share this code with anyone.",
  ms: "{code} ialah kod OTP {brand} anda. Sah selama {minutes} minit. JANGAN kongsi kod ini dengan sesiapa.",
  th: "{code} คือรหัส OTP {brand} ใช้ได้ {minutes} นาที ห้ามบอกรหัสนี้แก่ผู้ใด",
  vi: "{code} la ma OTP {brand} cua ban. Hieu luc {minutes} phut. KHONG chia se ma nay cho bat ky ai.",
  fil: "{code} ang iyong {brand} OTP code. Valid ito sa loob ng {minutes} minuto. HUWAG itong ibahagi kahit kanino.",
});

/** The language most numbers of a country read, when the dispatch has no usable locale. */
const LANGUAGE_BY_COUNTRY: Readonly<Record<string, string>> = {
  ID: "id",
  MY: "ms",
  TH: "th",
  VN: "vi",
  PH: "fil",
  SG: "en",
};

/** Other codes of the same language. */
const LANGUAGE_ALIASES: Readonly<Record<string, string>> = { tl: "fil", in: "id", zsm: "ms" };

const MAX_TEMPLATE_LENGTH = 400;
const PLACEHOLDER = /\{([^{}]*)\}/g;
const LINK = /:\/\/|\bwww\.|\b[a-z0-9-]+\.(com|net|org|id|my|sg|th|vn|ph|co|io|ly|me)\b/i;

/** Why a template cannot be used, or undefined. */
export function templateProblem(template: string): string | undefined {
  if (template.trim().length === 0) return "must not be empty";
  if (template.length > MAX_TEMPLATE_LENGTH) return `longer than ${MAX_TEMPLATE_LENGTH} characters`;
  if (!template.includes("{code}")) return "must contain {code}";
  for (const match of template.matchAll(PLACEHOLDER)) {
    const name = match[1] ?? "";
    if (!(PLACEHOLDERS as readonly string[]).includes(name)) {
      return `unknown placeholder {${name}} (expected ${PLACEHOLDERS.map((p) => `{${p}}`).join(", ")})`;
    }
  }
  if (template.trimStart().startsWith("<#>")) return 'must not start with "<#>": it is added with appHash';
  if (LINK.test(template)) return "must not contain links (no clickable links in OTP SMS)";
  return undefined;
}

/**
 * The template language for a dispatch: its locale's language ("id-ID" → "id"), else the
 * country's usual language, else English, else any template there is.
 */
export function templateLanguage(
  locale: string,
  country: string,
  templates: Readonly<Record<string, string>>,
): string {
  const base = locale.trim().toLowerCase().split(/[-_]/)[0] ?? "";
  const language = LANGUAGE_ALIASES[base] ?? base;
  const candidates = [language, LANGUAGE_BY_COUNTRY[country.toUpperCase()], "en"];
  for (const candidate of candidates) {
    if (candidate !== undefined && Object.hasOwn(templates, candidate)) return candidate;
  }
  return Object.keys(templates)[0] ?? "en";
}
