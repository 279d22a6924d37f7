/**
 * The tenant's authentication template for a locale, from its policy (senders.whatsapp): the
 * exact locale, else its language ("id-ID" → "id"), else the tenant's default locale.
 */
import type { PolicyBook, WhatsAppTemplate } from "@domain/policy";

export function policyTemplate(
  policies: PolicyBook,
  tenant: string,
  locale: string,
): WhatsAppTemplate | undefined {
  const { templates, defaultLocale } = policies.policyFor(tenant).senders.whatsapp;
  const language = locale.split(/[-_]/)[0]?.toLowerCase() ?? "";
  return (
    templates[locale] ??
    templates[locale.replace("-", "_")] ??
    templates[language] ??
    templates[defaultLocale]
  );
}
