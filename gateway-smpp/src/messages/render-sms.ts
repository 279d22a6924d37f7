/**
 * Renders the OTP SMS (pure). With an Android SMS Retriever app hash the text starts with
 * "<#> " and ends with the hash on its own line, the format the Retriever API matches.
 */
import { DEFAULT_TEMPLATES, templateLanguage } from "./templates";

export interface RenderInput {
  templates: Readonly<Record<string, string>>;
  locale: string;
  country: string;
  code: string;
  brand: string;
  /** Remaining life of the code. */
  remainingMs: number;
  appHash: string | undefined;
}

export interface RenderedSms {
  text: string;
  language: string;
}

export function renderOtpSms(input: RenderInput): RenderedSms {
  const language = templateLanguage(input.locale, input.country, input.templates);
  const template = input.templates[language] ?? DEFAULT_TEMPLATES.en ?? "{code}";
  const minutes = String(Math.max(1, Math.ceil(input.remainingMs / 60_000)));
  const values: Record<string, string> = { code: input.code, brand: input.brand, minutes };
  const body = template.replace(/\{(code|brand|minutes)\}/g, (_, name: string) => values[name] ?? "");
  const text = input.appHash === undefined ? body : `<#> ${body}\n${input.appHash}`;
  return { text, language };
}
