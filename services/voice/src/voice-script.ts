/**
 * What the call says, per locale (pure, provider-neutral). The code is read digit by digit
 * ("4, 8, 2, 9, 1, 3": the commas make the voice pause between digits), repeated (3 times by
 * default) with a pause between readings, after a localized intro. An optional "press 1 to hear
 * your code" prompt keeps the code out of voicemail: a machine does not press keys.
 */

export interface LocaleVoice {
  /** BCP 47 tag for the speech engine, e.g. "id-ID". */
  language: string;
  /** Provider voice name, e.g. Twilio's "Google.id-ID-Standard-A". */
  voice: string;
  intro: string;
  again: string;
  closing: string;
  pressKey: string;
  noInput: string;
}

const EN_US: LocaleVoice = {
  language: "en-US",
  voice: "Google.en-US-Standard-C",
  intro: "Your verification code is",
  again: "Again, your code is",
  closing: "Do not share this code with anyone. Goodbye.",
  pressKey: "You have a verification code. Press 1 to hear it.",
  noInput: "We did not receive a key press. Goodbye.",
};

const LOCALE_VOICES: Readonly<Record<string, LocaleVoice>> = {
  "en-US": EN_US,
  "id-ID": {
    language: "id-ID",
    voice: "Google.id-ID-Standard-A",
    intro: "Kode verifikasi Anda adalah",
    again: "Sekali lagi, kode Anda adalah",
    closing: "Jangan bagikan kode ini kepada siapa pun. Terima kasih.",
    pressKey: "Anda memiliki kode verifikasi. Tekan 1 untuk mendengarnya.",
    noInput: "Kami tidak menerima tombol apa pun. Terima kasih.",
  },
  "ms-MY": {
    language: "ms-MY",
    voice: "Google.ms-MY-Standard-A",
    intro: "Kod pengesahan anda ialah",
    again: "Sekali lagi, kod anda ialah",
    closing: "Jangan kongsi kod ini dengan sesiapa. Terima kasih.",
    pressKey: "Anda mempunyai kod pengesahan. Tekan 1 untuk mendengarnya.",
    noInput: "Kami tidak menerima sebarang tekanan kekunci. Terima kasih.",
  },
  "th-TH": {
    language: "th-TH",
    voice: "Google.th-TH-Standard-A",
    intro: "รหัสยืนยันของคุณคือ",
    again: "ขอทวนอีกครั้ง รหัสของคุณคือ",
    closing: "ห้ามบอกรหัสนี้กับผู้อื่น ขอบคุณค่ะ",
    pressKey: "คุณมีรหัสยืนยัน กด 1 เพื่อฟังรหัส",
    noInput: "ไม่ได้รับการกดปุ่ม ขอบคุณค่ะ",
  },
  "vi-VN": {
    language: "vi-VN",
    voice: "Google.vi-VN-Standard-A",
    intro: "Mã xác minh của bạn là",
    again: "Xin nhắc lại, mã của bạn là",
    closing: "Không chia sẻ mã này với bất kỳ ai. Xin cảm ơn.",
    pressKey: "Bạn có một mã xác minh. Nhấn phím 1 để nghe mã.",
    noInput: "Chúng tôi không nhận được phím bấm nào. Xin cảm ơn.",
  },
  "fil-PH": {
    language: "fil-PH",
    voice: "Google.fil-PH-Standard-A",
    intro: "Ang iyong verification code ay",
    again: "Muli, ang iyong code ay",
    closing: "Huwag ibahagi ang code na ito kaninuman. Salamat.",
    pressKey: "Mayroon kang verification code. Pindutin ang 1 para marinig ito.",
    noInput: "Wala kaming natanggap na pindot. Salamat.",
  },
};

/** Exact locale, else the same language ("id" → id-ID, "en-GB" → en-US), else en-US. */
export function localeVoice(
  locale: string,
  voices: Readonly<Record<string, LocaleVoice>> = LOCALE_VOICES,
): LocaleVoice {
  const exact = voices[locale];
  if (exact) return exact;
  const language = locale.split(/[-_]/)[0]?.toLowerCase();
  const sameLanguage = Object.entries(voices).find(([tag]) => tag.split("-")[0] === language)?.[1];
  return sameLanguage ?? voices["en-US"] ?? EN_US;
}

export type ScriptStep = { say: string } | { pauseSeconds: number };

export interface SpokenScript {
  language: string;
  voice: string;
  steps: ScriptStep[];
}

export interface CodeReadingOptions {
  repeats?: number;
  pauseSeconds?: number;
}

/** "482913" → "4, 8, 2, 9, 1, 3". */
export function spellDigits(code: string): string {
  return [...code.replace(/\s+/g, "")].join(", ");
}

/** The code read `repeats` times: intro + digits, pauses in between, then the closing line. */
export function codeReading(locale: string, code: string, options: CodeReadingOptions = {}): SpokenScript {
  const v = localeVoice(locale);
  const repeats = Math.max(1, options.repeats ?? 3);
  const pause = { pauseSeconds: options.pauseSeconds ?? 1 };
  const steps: ScriptStep[] = [pause];
  for (let i = 0; i < repeats; i++) {
    steps.push({ say: `${i === 0 ? v.intro : v.again} ${spellDigits(code)}.` }, pause);
  }
  steps.push({ say: v.closing });
  return { language: v.language, voice: v.voice, steps };
}
