/** Incident notices in the sender's language: the operator's own text when it has one. */
import type { Phrases } from "./replies";
import type { IncidentSnapshot, Language } from "./types";

function noticeIn(incident: IncidentSnapshot, language: Language): string | undefined {
  const locales = Object.keys(incident.notices);
  const pick =
    locales.find((l) => l.toLowerCase() === language) ??
    locales.find((l) => l.toLowerCase().startsWith(`${language}-`)) ??
    (language === "fil" ? locales.find((l) => /^tl(-|$)/i.test(l)) : undefined);
  return pick === undefined ? undefined : incident.notices[pick];
}

export function incidentNotices(
  phrases: Phrases,
  language: Language,
  incidents: readonly IncidentSnapshot[],
  limit = 3,
): string[] {
  return incidents.slice(0, limit).map((incident) => {
    const own = noticeIn(incident, language);
    if (own) return own;
    const channels = incident.channels.map((c) => phrases.channel[c]).join(", ");
    return phrases.incident(incident.district, channels);
  });
}
