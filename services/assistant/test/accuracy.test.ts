/**
 * The offline classifier on the labelled messages: a floor under the accuracy the README states,
 * so a lexicon change that makes things worse fails here. The held-out set must stay apart from
 * the development set the lexicons were checked against.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createOfflineLanguageModel } from "../src/adapters/offline-model";
import { foldText } from "../src/core/text";
import { INTENTS, LANGUAGES } from "../src/core/types";
import { labelledMessages, measureAccuracy } from "./accuracy-report";

describe("offline classifier accuracy", () => {
  const holdout = labelledMessages("holdout");
  const dev = labelledMessages("dev");

  it("ships at least 25 labelled messages per language in each set, over every intent", () => {
    for (const set of [holdout, dev]) {
      for (const language of LANGUAGES)
        assert.ok(set.filter((m) => m.lang === language).length >= 25, language);
      for (const intent of INTENTS)
        assert.ok(
          set.some((m) => m.intent === intent),
          intent,
        );
    }
  });

  it("keeps the held-out messages out of the development set", () => {
    const seen = new Set(dev.map((m) => foldText(m.text)));
    assert.deepEqual(
      holdout.filter((m) => seen.has(foldText(m.text))),
      [],
    );
  });

  it("understands the held-out messages through the LanguageModelPort: ≥ 90 % overall, ≥ 85 % per language", async () => {
    const model = createOfflineLanguageModel();
    const report = await measureAccuracy((text) => model.understand(text, {}), holdout);
    assert.ok(report.intentAccuracy >= 0.9, `intent accuracy ${report.intentAccuracy}`);
    assert.ok(report.languageAccuracy >= 0.85, `language accuracy ${report.languageAccuracy}`);
    assert.ok(report.channelAccuracy >= 0.9, `channel accuracy ${report.channelAccuracy}`);
    for (const language of LANGUAGES) {
      const b = report.perLanguage[language];
      assert.ok(b.intent / b.total >= 0.85, `${language}: ${b.intent}/${b.total}`);
    }
  });
});
