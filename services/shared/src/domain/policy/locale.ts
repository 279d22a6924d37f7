/**
 * The locale a verification is sent in. A tenant speaks the locales its policy has senders for
 * (WhatsApp templates, voices); a request for another one falls back to the tenant's default
 * (senders.whatsapp.defaultLocale) instead of reaching a channel that cannot speak it, and the
 * verification records the locale used, so the answer says which it was.
 */
import type { TenantPolicy } from "./types";

const normalise = (locale: string): string => locale.trim().toLowerCase().replace(/-/g, "_");

/** The tenant's locale for a request: the same locale, else its language, else the default. */
export function resolveLocale(policy: TenantPolicy, requested: string): string {
  const { whatsapp, voice } = policy.senders;
  const known = [...Object.keys(whatsapp.templates), ...Object.keys(voice.voices)];
  const wanted = normalise(requested);
  if (wanted === "") return whatsapp.defaultLocale;
  const exact = known.find((l) => normalise(l) === wanted);
  if (exact !== undefined) return exact;
  const language = wanted.split("_")[0] ?? "";
  return known.find((l) => normalise(l) === language) ?? whatsapp.defaultLocale;
}
