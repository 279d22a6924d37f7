/**
 * Accuracy of a classifier on labelled messages shipped here: intent per language and overall,
 * the detected language, the channel asked for, and which intents are mistaken for which.
 *   labelled-holdout.json  written after the lexicons and weights were frozen, never tuned on:
 *                          the figure to quote
 *   labelled-dev.json      the messages the lexicons and weights were checked against while
 *                          they were written (optimistic by construction)
 * The classifier has no training examples; neither set is read by it.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { LANGUAGES, type Intent, type Language, type Understanding } from "../src/core/types";

export interface LabelledMessage {
  lang: Language;
  intent: Intent;
  channel?: string;
  text: string;
}

export type LabelledSet = "holdout" | "dev";

export function labelledMessages(set: LabelledSet = "holdout"): LabelledMessage[] {
  const file = path.join(__dirname, `labelled-${set}.json`);
  return JSON.parse(readFileSync(file, "utf8")) as LabelledMessage[];
}

export interface Miss {
  message: LabelledMessage;
  got: Understanding;
}

export interface AccuracyReport {
  total: number;
  intentAccuracy: number;
  languageAccuracy: number;
  channelAccuracy: number;
  perLanguage: Record<Language, { total: number; intent: number; language: number }>;
  /** "expected → got" → count, most frequent first. */
  confusions: Array<{ expected: Intent; got: Intent; count: number }>;
  misses: Miss[];
  languageMisses: Miss[];
}

export async function measureAccuracy(
  understand: (text: string) => Promise<Understanding> | Understanding,
  messages: readonly LabelledMessage[] = labelledMessages(),
): Promise<AccuracyReport> {
  const perLanguage = Object.fromEntries(
    LANGUAGES.map((l) => [l, { total: 0, intent: 0, language: 0 }]),
  ) as AccuracyReport["perLanguage"];
  const confusions = new Map<string, { expected: Intent; got: Intent; count: number }>();
  const misses: Miss[] = [];
  const languageMisses: Miss[] = [];
  let intentHits = 0;
  let languageHits = 0;
  let channelTotal = 0;
  let channelHits = 0;
  for (const message of messages) {
    const got = await understand(message.text);
    const bucket = perLanguage[message.lang];
    bucket.total += 1;
    if (got.language === message.lang) {
      bucket.language += 1;
      languageHits += 1;
    } else languageMisses.push({ message, got });
    if (got.intent === message.intent) {
      bucket.intent += 1;
      intentHits += 1;
    } else {
      misses.push({ message, got });
      const key = `${message.intent}>${got.intent}`;
      const entry = confusions.get(key) ?? { expected: message.intent, got: got.intent, count: 0 };
      entry.count += 1;
      confusions.set(key, entry);
    }
    if (message.channel !== undefined) {
      channelTotal += 1;
      if (got.channel === message.channel) channelHits += 1;
    }
  }
  const total = messages.length;
  return {
    total,
    intentAccuracy: intentHits / total,
    languageAccuracy: languageHits / total,
    channelAccuracy: channelTotal === 0 ? 1 : channelHits / channelTotal,
    perLanguage,
    confusions: [...confusions.values()].sort((a, b) => b.count - a.count),
    misses,
    languageMisses,
  };
}

const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;

export function formatReport(title: string, report: AccuracyReport, showMisses: boolean): string {
  const lines = [
    `${title}: ${report.total} labelled messages`,
    "",
    "language  messages  intent    language detected",
  ];
  for (const language of LANGUAGES) {
    const b = report.perLanguage[language];
    if (b.total === 0) continue;
    lines.push(
      `${language.padEnd(9)} ${String(b.total).padStart(8)}  ${pct(b.intent / b.total).padStart(7)}   ${pct(b.language / b.total).padStart(7)}`,
    );
  }
  lines.push(
    "",
    `Overall intent accuracy: ${pct(report.intentAccuracy)}`,
    `Language detection: ${pct(report.languageAccuracy)}`,
    `Requested channel (switch requests): ${pct(report.channelAccuracy)}`,
    "",
    "Confusions (expected → got: count):",
    ...(report.confusions.length === 0
      ? ["  none"]
      : report.confusions.map((c) => `  ${c.expected} → ${c.got}: ${c.count}`)),
  );
  if (showMisses) {
    lines.push("", "Misses:");
    for (const miss of report.misses) {
      lines.push(
        `  [${miss.message.lang}] ${miss.message.intent} → ${miss.got.intent}: ${miss.message.text}`,
      );
    }
    lines.push("", "Language misses:");
    for (const miss of report.languageMisses) {
      lines.push(`  [${miss.message.lang}] → ${miss.got.language}: ${miss.message.text}`);
    }
  }
  return lines.join("\n");
}
