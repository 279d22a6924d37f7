import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  CODE_PLACEHOLDER,
  containsCodeLike,
  mentionsOtherNumber,
  NUMBER_PLACEHOLDER,
  redact,
} from "./safety";

describe("code-like digits", () => {
  it("finds codes however they are typed", () => {
    for (const text of [
      "482913",
      "kode saya 4829",
      "4 8 2 9 1 3",
      "482-913",
      "the code is 12345678",
      "otp:482913",
    ]) {
      assert.equal(containsCodeLike(text), true, text);
    }
  });

  it("leaves amounts, phone numbers, times and short numbers alone", () => {
    for (const text of [
      "transfer Rp 150000 gagal",
      "150.000 rupiah",
      "RM 2500",
      "+6281234567890",
      "0812 3456 7890",
      "jam 10:30",
      "3x coba",
      "waited 5 min",
    ]) {
      assert.equal(containsCodeLike(text), false, text);
    }
  });
});

describe("other people's numbers", () => {
  it("ignores the sender's own number, in any format", () => {
    assert.equal(mentionsOtherNumber("my number is 0812-3456-7890", "6281234567890"), false);
    assert.equal(mentionsOtherNumber("nomor saya +62 812 3456 7890", "6281234567890"), false);
  });

  it("notices another number", () => {
    assert.equal(mentionsOtherNumber("check 081299998888 for me", "6281234567890"), true);
  });
});

describe("redaction", () => {
  it("removes codes and numbers and keeps the rest", () => {
    const out = redact("CS minta kode 482913 dan nomor 081299998888");
    assert.equal(out, `CS minta kode ${CODE_PLACEHOLDER} dan nomor ${NUMBER_PLACEHOLDER}`);
    assert.doesNotMatch(out, /\d{4}/);
  });

  it("removes a spaced-out code whole", () => {
    assert.equal(redact("1 2 3 4 5 6 ok?"), `${CODE_PLACEHOLDER} ok?`);
  });

  it("removes a code however it is split or decorated, and keeps amounts named by a currency", () => {
    for (const text of [
      "my code is 482.913",
      "kode 482,913",
      "482  913",
      "4 8 2  9 1 3",
      "code +482913",
      "the code is 482913k",
      "482 913 k",
    ]) {
      assert.doesNotMatch(redact(text), /\d/, text);
      assert.match(redact(text), /\[code removed\]/, text);
    }
    assert.equal(redact("transfer Rp 150.000 gagal"), "transfer Rp 150.000 gagal");
    assert.equal(redact("150.000 rupiah"), "150.000 rupiah");
    assert.equal(redact("jam 10:30, 3x coba"), "jam 10:30, 3x coba");
  });
});
