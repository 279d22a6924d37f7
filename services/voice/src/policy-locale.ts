/**
 * The locale a call speaks, from the tenant's policy (senders.voice.voices: locale → voice
 * tag): the exact locale, else its language ("id" → "id-ID"), else the tenant's default; the
 * dispatch's own locale when the policy names none.
 */
import type { PolicyBook } from "@domain/policy";

export function policyVoiceLocale(policies: PolicyBook, tenant: string, locale: string): string {
  const { voices, defaultLocale } = policies.policyFor(tenant).senders.voice;
  const language = locale.split(/[-_]/)[0]?.toLowerCase() ?? "";
  return voices[locale] ?? voices[language] ?? voices[defaultLocale] ?? locale;
}
