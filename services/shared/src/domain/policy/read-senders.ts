/** Sender identities per channel: SMS sender ids, WhatsApp templates and voice locales. */
import {
  Problems,
  pathOf,
  readNamedEntries,
  readObject,
  readSection,
  readString,
  rejectUnknownKeys,
  stringProblem,
  type JsonObject,
} from "../json/json-reader";
import { DEFAULT_POLICY } from "./defaults";
import type { Senders, WhatsAppTemplate } from "./types";

/** SMPP alphanumeric originator (TON 5): at most 11 GSM characters, not all digits. */
const SENDER_ID = {
  pattern: /^(?=.*[A-Za-z])[A-Za-z0-9 .&-]{1,11}$/,
  expected: "1 to 11 letters, digits, spaces or .&- with at least one letter",
};
const NUMERIC_SENDER = { pattern: /^(\+?\d{3,15})?$/, expected: "3 to 15 digits (optional +), or empty" };
const OPERATOR_ID = {
  pattern: /^[a-z]{2}-[a-z0-9-]{1,40}$/,
  expected: 'an operator id such as "id-telkomsel"',
};
const LOCALE = { pattern: /^[a-z]{2,3}([_-][A-Za-z]{2,4})?$/, expected: 'a locale such as "id" or "zh_TW"' };
const TEMPLATE_NAME = {
  pattern: /^[a-z0-9_]{1,512}$/,
  expected: "a template name of lowercase letters, digits and _",
};
const TEMPLATE_LANGUAGE = {
  pattern: /^[a-z]{2,3}(_[A-Z]{2})?$/,
  expected: 'a template language such as "en_US" or "id"',
};
const VOICE = {
  pattern: /^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$/,
  expected: 'a voice or language tag such as "id-ID"',
};

const D = DEFAULT_POLICY.senders;

function readSms(senders: JsonObject, problems: Problems): Senders["sms"] {
  const path = "senders.sms";
  const sms = readSection(senders, "sms", "senders", problems, [
    "senderId",
    "senderIdByOperator",
    "numericFallback",
  ]);
  return {
    senderId: readString(sms, "senderId", path, problems, D.sms.senderId, SENDER_ID),
    senderIdByOperator: readNamedEntries(
      sms,
      "senderIdByOperator",
      path,
      problems,
      {},
      OPERATOR_ID,
      (raw, p) => {
        const problem = stringProblem(raw, SENDER_ID);
        if (problem) problems.at(p, problem);
        return problem ? undefined : (raw as string);
      },
    ),
    numericFallback: readString(
      sms,
      "numericFallback",
      path,
      problems,
      D.sms.numericFallback,
      NUMERIC_SENDER,
    ),
  };
}

function readTemplate(raw: unknown, path: string, problems: Problems): WhatsAppTemplate | undefined {
  const obj = readObject(raw, path, problems);
  if (!obj) return undefined;
  rejectUnknownKeys(obj, ["name", "language"], path, problems);
  const before = problems.list.length;
  for (const key of ["name", "language"])
    if (obj[key] === undefined) problems.at(pathOf(path, key), "is required");
  const template = {
    name: readString(obj, "name", path, problems, "", TEMPLATE_NAME),
    language: readString(obj, "language", path, problems, "", TEMPLATE_LANGUAGE),
  };
  return problems.list.length > before ? undefined : template;
}

/** The default locale must be one the channel can speak. */
function checkDefaultLocale(
  locale: string,
  available: Record<string, unknown>,
  path: string,
  problems: Problems,
) {
  if (!Object.hasOwn(available, locale)) {
    problems.at(path, `"${locale}" has no entry (available: ${Object.keys(available).sort().join(", ")})`);
  }
}

export function readSenders(root: JsonObject, problems: Problems): Senders {
  const senders = readSection(root, "senders", "", problems, ["sms", "whatsapp", "voice"]);
  const wa = readSection(senders, "whatsapp", "senders", problems, ["defaultLocale", "templates"]);
  const voice = readSection(senders, "voice", "senders", problems, ["defaultLocale", "voices"]);
  const waPath = "senders.whatsapp";
  const voicePath = "senders.voice";
  const result: Senders = {
    sms: readSms(senders, problems),
    whatsapp: {
      defaultLocale: readString(wa, "defaultLocale", waPath, problems, D.whatsapp.defaultLocale, LOCALE),
      templates: readNamedEntries(wa, "templates", waPath, problems, D.whatsapp.templates, LOCALE, (raw, p) =>
        readTemplate(raw, p, problems),
      ),
    },
    voice: {
      defaultLocale: readString(voice, "defaultLocale", voicePath, problems, D.voice.defaultLocale, LOCALE),
      voices: readNamedEntries(voice, "voices", voicePath, problems, D.voice.voices, LOCALE, (raw, p) => {
        const problem = stringProblem(raw, VOICE);
        if (problem) problems.at(p, problem);
        return problem ? undefined : (raw as string);
      }),
    },
  };
  checkDefaultLocale(
    result.whatsapp.defaultLocale,
    result.whatsapp.templates,
    `${waPath}.defaultLocale`,
    problems,
  );
  checkDefaultLocale(result.voice.defaultLocale, result.voice.voices, `${voicePath}.defaultLocale`, problems);
  return result;
}
