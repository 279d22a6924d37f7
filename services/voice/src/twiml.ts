/**
 * Twilio's TwiML for the scripts (pure). The code is only ever in the TwiML sent in the call
 * request body (or answered to the Gather callback); never in a URL or a log.
 * www.twilio.com/docs/voice/twiml/say · /gather · /pause
 */
import { codeReading, localeVoice, type CodeReadingOptions, type SpokenScript } from "./voice-script";

export function escapeXml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

const document = (body: string): string =>
  `<?xml version="1.0" encoding="UTF-8"?><Response>${body}</Response>`;

const say = (script: Pick<SpokenScript, "language" | "voice">, text: string, loop?: number): string =>
  `<Say language="${escapeXml(script.language)}" voice="${escapeXml(script.voice)}"${loop === undefined ? "" : ` loop="${loop}"`}>${escapeXml(text)}</Say>`;

function scriptVerbs(script: SpokenScript): string {
  return script.steps
    .map((step) =>
      "say" in step
        ? say(script, step.say)
        : `<Pause length="${Math.max(1, Math.round(step.pauseSeconds))}"/>`,
    )
    .join("");
}

/** The code read aloud, then hang up. */
export function codeTwiml(locale: string, code: string, options?: CodeReadingOptions): string {
  return document(scriptVerbs(codeReading(locale, code, options)) + "<Hangup/>");
}

export interface GatherOptions {
  /** Absolute URL Twilio posts the key press to. */
  actionUrl: string;
  timeoutSeconds?: number;
}

/** "Press 1 to hear your code" (said twice); without a key press, a goodbye and hang up. */
export function pressKeyTwiml(locale: string, gather: GatherOptions): string {
  const v = localeVoice(locale);
  const attributes = [
    `input="dtmf"`,
    `numDigits="1"`,
    `timeout="${gather.timeoutSeconds ?? 6}"`,
    `action="${escapeXml(gather.actionUrl)}"`,
    `method="POST"`,
  ].join(" ");
  return document(`<Gather ${attributes}>${say(v, v.pressKey, 2)}</Gather>${say(v, v.noInput)}<Hangup/>`);
}

/** The answer to a Gather callback without the right key. */
export function goodbyeTwiml(locale: string): string {
  const v = localeVoice(locale);
  return document(`${say(v, v.noInput)}<Hangup/>`);
}
