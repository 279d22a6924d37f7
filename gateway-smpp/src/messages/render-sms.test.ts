import assert from "node:assert/strict";
import { it } from "node:test";
import { chooseEncoding, encodeSms } from "../sms-encoding";
import { renderOtpSms } from "./render-sms";
import { DEFAULT_TEMPLATES, templateLanguage, templateProblem } from "./templates";

const base = {
  templates: DEFAULT_TEMPLATES,
  locale: "id-ID",
  country: "ID",
  code: "482913",
  brand: "BankA",
  remainingMs: 299_400,
  appHash: undefined,
};

it("Indonesian text with code, brand and minutes; no SMS Retriever parts without a hash", () => {
  const { text, language } = renderOtpSms(base);
  assert.equal(language, "id");
  assert.equal(
    text,
    "482913 adalah kode OTP BankA Anda. Berlaku 5 menit. JANGAN berikan kode ini kepada siapa pun.",
  );
});

it('with an app hash: "<#> " first and the hash on its own last line', () => {
  const { text } = renderOtpSms({ ...base, appHash: "FA+9qCX9VSu" });
  assert.ok(text.startsWith("<#> 482913 adalah kode OTP"));
  assert.ok(text.endsWith("\nFA+9qCX9VSu"));
});

it("language from the locale, else the country, else English", () => {
  assert.equal(templateLanguage("fil-PH", "PH", DEFAULT_TEMPLATES), "fil");
  assert.equal(templateLanguage("tl", "PH", DEFAULT_TEMPLATES), "fil");
  assert.equal(templateLanguage("th_TH", "TH", DEFAULT_TEMPLATES), "th");
  assert.equal(templateLanguage("", "VN", DEFAULT_TEMPLATES), "vi");
  assert.equal(templateLanguage("zh-CN", "MY", DEFAULT_TEMPLATES), "ms");
  assert.equal(templateLanguage("de", "DE", DEFAULT_TEMPLATES), "en");
});

it("minutes round up and never show 0", () => {
  assert.match(renderOtpSms({ ...base, locale: "en", remainingMs: 61_000 }).text, /Valid for 2 minutes/);
  assert.match(renderOtpSms({ ...base, locale: "en", remainingMs: 4_000 }).text, /Valid for 1 minutes/);
});

it("built-in templates: valid and one SMS with an 11-character brand (GSM-7, Thai UCS-2)", () => {
  for (const [language, template] of Object.entries(DEFAULT_TEMPLATES)) {
    assert.equal(templateProblem(template), undefined, language);
    const withHash = language === "th" ? undefined : "FA+9qCX9VSu";
    const { text } = renderOtpSms({ ...base, locale: language, brand: "ABCDEFGHIJK", appHash: withHash });
    assert.equal(chooseEncoding(text), language === "th" ? "ucs2" : "gsm7", language);
    assert.equal(encodeSms(text, { reference: 1 }).parts.length, 1, `${language}: ${text.length} characters`);
  }
});

it("template rules: {code} required, known placeholders only, no links, no <#>", () => {
  assert.match(templateProblem("Your code") ?? "", /must contain \{code\}/);
  assert.match(templateProblem("{code} {amount}") ?? "", /unknown placeholder \{amount\}/);
  assert.match(templateProblem("{code} see https://bank.example") ?? "", /links/);
  assert.match(templateProblem("{code} www.bank-a") ?? "", /links/);
  assert.match(templateProblem("{code} at bank-a.co.id") ?? "", /links/);
  assert.match(templateProblem("<#> {code}") ?? "", /<#>/);
  assert.equal(templateProblem("{code} adalah kode OTP {brand}. Berlaku {minutes} menit."), undefined);
});
