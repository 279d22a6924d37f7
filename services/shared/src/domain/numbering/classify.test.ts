import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { OtpError } from "../errors";
import { classify } from "./classify";
import type { NumberType } from "./types";

describe("classify: operator guesses by prefix", () => {
  const cases: [string, string, string, string][] = [
    // number, country, operator, longest matched prefix
    ["+62 812 3456 7890", "ID", "id-telkomsel", "+62812"],
    ["+62 852 3456 7890", "ID", "id-telkomsel", "+62852"],
    ["+62 815 3456 7890", "ID", "id-indosat", "+62815"],
    ["+62 857 3456 7890", "ID", "id-indosat", "+62857"],
    ["+62 818 3456 7890", "ID", "id-xl", "+62818"],
    ["+62 878 3456 7890", "ID", "id-xl", "+62878"],
    ["+62 838 3456 7890", "ID", "id-axis", "+62838"],
    ["+62 896 3456 7890", "ID", "id-tri", "+62896"],
    ["+62 881 3456 7890", "ID", "id-smartfren", "+62881"],
    ["+63 917 123 4567", "PH", "ph-globe", "+63917"],
    ["+63 918 123 4567", "PH", "ph-smart", "+63918"],
    ["+63 991 123 4567", "PH", "ph-dito", "+63991"],
    ["+66 81 134 5678", "TH", "th-ais", "+66811"],
    ["+66 85 034 5678", "TH", "th-dtac", "+66850"],
    ["+66 96 234 5678", "TH", "th-true", "+6696"],
    ["+84 96 234 5678", "VN", "vn-viettel", "+8496"],
    ["+84 91 234 5678", "VN", "vn-vinaphone", "+8491"],
    ["+84 90 234 5678", "VN", "vn-mobifone", "+8490"],
    ["+60 12 345 6789", "MY", "my-maxis", "+6012"],
    ["+60 19 345 6789", "MY", "my-celcomdigi", "+6019"],
    ["+60 16 345 6789", "MY", "my-celcomdigi", "+6016"],
    ["+60 18 234 5678", "MY", "my-umobile", "+60182"],
    ["+65 9123 4567", "SG", "sg-singtel", "+65912"],
    ["+65 9000 4567", "SG", "sg-starhub", "+65900"],
    ["+65 9043 4567", "SG", "sg-m1", "+65904"],
  ];
  for (const [number, country, operator, prefix] of cases) {
    it(`${number} → ${operator}`, () => {
      assert.deepEqual(classify(number), { country, type: "mobile", operatorGuess: operator, prefix });
    });
  }

  it("gives no guess for blocks split between operators, but still knows they are mobile", () => {
    assert.deepEqual(classify("+66 81 234 5678"), { country: "TH", type: "mobile", prefix: "+668" });
    assert.deepEqual(classify("+62 868 1234 5678"), { country: "ID", type: "mobile", prefix: "+6286" });
  });
});

describe("classify: number types", () => {
  const cases: [string, NumberType, string][] = [
    ["+62 809 1234 567", "premium", "+62809"],
    ["+62 804 1234 567", "shared_cost", "+62804"],
    ["+62 800 1234 567", "toll_free", "+62800"],
    ["+62 21 5551 2345", "fixed", "+622"],
    ["+63 2 8123 4567", "fixed", "+632"],
    ["+63 1800 123 4567", "toll_free", "+631800"],
    ["+66 1900 123 456", "premium", "+661900"],
    ["+66 60 123 4567", "voip", "+6660"],
    ["+66 2 123 4567", "fixed", "+662"],
    ["+84 1900 1234", "premium", "+841900"],
    ["+84 672 123 456", "voip", "+84672"],
    ["+84 24 3123 4567", "fixed", "+842"],
    ["+60 1300 88 1234", "shared_cost", "+601300"],
    ["+60 1700 81 2345", "shared_cost", "+601700"],
    ["+60 1600 12 3456", "premium", "+601600"],
    ["+60 1800 88 1234", "toll_free", "+601800"],
    ["+60 154 600 1234", "voip", "+6015"],
    ["+60 3 2345 6789", "fixed", "+603"],
    ["+65 1900 123 4567", "premium", "+651900"],
    ["+65 3123 4567", "voip", "+653"],
    ["+65 6123 4567", "fixed", "+656"],
    ["+65 1800 123 4567", "toll_free", "+651800"],
    ["+1 900 555 0100", "premium", "+1900"],
    ["+44 909 876 5432", "premium", "+449"],
    ["+1 212 555 0100", "unknown", "+1"],
  ];
  for (const [number, type, prefix] of cases) {
    it(`${number} is ${type}`, () => {
      const result = classify(number);
      assert.equal(result.type, type);
      assert.equal(result.prefix, prefix);
    });
  }

  it("tells ranges apart by length where they share first digits", () => {
    // 1-300-xx-xxxx (10 digits) is shared cost; 013-00x xxxx (9 digits) a CelcomDigi mobile.
    assert.equal(classify("+60 1300 12 3456").type, "shared_cost");
    assert.deepEqual(classify("+60 13 001 2345"), {
      country: "MY",
      type: "mobile",
      operatorGuess: "my-celcomdigi",
      prefix: "+6013",
    });
  });

  it("knows the country behind +1 from the area code", () => {
    assert.equal(classify("+1 416 555 0100").country, "CA");
    assert.equal(classify("+1 876 555 0100").country, "JM");
    assert.equal(classify("+1 809 555 0100").country, "DO");
    assert.equal(classify("+1 212 555 0100").country, "US");
  });

  it("throws OTP_INVALID_PHONE for an invalid number", () => {
    assert.throws(
      () => classify("+62 812"),
      (err: unknown) =>
        err instanceof OtpError && err.code === "OTP_INVALID_PHONE" && /8 to 15 digits/.test(err.message),
    );
  });
});
