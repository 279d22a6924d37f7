import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { parseE164 } from "./parse";
import { SHIPPED_PLAN_DATA } from "./data";
import { lengthsOf } from "./plan";

function parsedOk(input: string) {
  const result = parseE164(input);
  assert.ok(result.ok, `${input}: ${result.ok ? "" : result.reason}`);
  return result;
}

function reasonFor(input: unknown): string {
  const result = parseE164(input);
  assert.ok(!result.ok, `${String(input)} should be rejected`);
  return result.reason;
}

describe("parseE164: valid numbers of the six home countries", () => {
  const cases: [string, string, string, string][] = [
    // input, canonical, country, national number
    ["+62 812-3456-7890", "+6281234567890", "ID", "81234567890"],
    ["+62 811 234 567", "+62811234567", "ID", "811234567"],
    ["+62 21 5551 2345", "+622155512345", "ID", "2155512345"],
    ["+63 917 123 4567", "+639171234567", "PH", "9171234567"],
    ["+63 2 8123 4567", "+63281234567", "PH", "281234567"],
    ["+66 81 234 5678", "+66812345678", "TH", "812345678"],
    ["+66 2 123 4567", "+6621234567", "TH", "21234567"],
    ["+84 912 345 678", "+84912345678", "VN", "912345678"],
    ["+84 24 3123 4567", "+842431234567", "VN", "2431234567"],
    ["+60 12-345 6789", "+60123456789", "MY", "123456789"],
    ["+60 11-2345 6789", "+601123456789", "MY", "1123456789"],
    ["+60 3-2345 6789", "+60323456789", "MY", "323456789"],
    ["+65 9123 4567", "+6591234567", "SG", "91234567"],
    ["+65 6123 4567", "+6561234567", "SG", "61234567"],
  ];
  for (const [input, e164, country, national] of cases) {
    it(`${input} → ${e164} (${country})`, () => {
      const result = parsedOk(input);
      assert.equal(result.e164, e164);
      assert.equal(result.country, country);
      assert.equal(result.nationalNumber, national);
      assert.equal(`+${result.countryCallingCode}${result.nationalNumber}`, e164);
    });
  }
});

describe("parseE164: invalid numbers of the six home countries, with precise reasons", () => {
  const cases: [string, string][] = [
    [
      "+62 812 3456",
      "not a valid mobile number for ID: national number starting with 812 must have 9–12 digits, got 7",
    ],
    [
      "+62 812 3456 7890 12",
      "not a valid mobile number for ID: national number starting with 812 must have 9–12 digits, got 13",
    ],
    ["+62 841 234 5678", "not a valid number for ID: no number range starts with 84"],
    ["+62 0812 3456 7890", "must not have a leading 0 after the country code +62 (drop the trunk prefix 0)"],
    [
      "+63 917 123 456",
      "not a valid mobile number for PH: national number starting with 917 must have 10 digits, got 9",
    ],
    ["+63 1 234 5678", "not a valid number for PH: no number range starts with 12"],
    [
      "+66 81 234 567",
      "not a valid mobile number for TH: national number starting with 8 must have 9 digits, got 8",
    ],
    ["+66 1 234 5678", "not a valid number for TH: no number range starts with 12"],
    [
      "+84 912 345 6789",
      "not a valid mobile number for VN: national number starting with 91 must have 9 digits, got 10",
    ],
    ["+84 71 234 5678", "not a valid number for VN: no number range starts with 71"],
    [
      "+60 12 345 678",
      "not a valid mobile number for MY: national number starting with 12 must have 9 digits, got 8",
    ],
    ["+60 2 1234 5678", "not a valid number for MY: no number range starts with 2"],
    [
      "+65 9123 456",
      "not a valid mobile number for SG: national number starting with 912 must have 8 digits, got 7",
    ],
    ["+65 9912 3456", "not a valid number for SG: no number range starts with 99"],
    [
      "+65 1900 123 45",
      "not a valid premium-rate number for SG: national number starting with 1900 must have 11 digits, got 9",
    ],
  ];
  for (const [input, reason] of cases) {
    it(`${input}: ${reason}`, () => assert.equal(reasonFor(input), reason));
  }
});

describe("parseE164: formatting", () => {
  it("accepts spaces, dashes, dots, parentheses and unicode dashes, returning +digits", () => {
    for (const input of [
      "+6281234567890",
      "  +62 812 3456 7890  ",
      "+62-812-3456-7890",
      "+62 (812) 3456-7890",
      "+62.812.3456.7890",
      "+62\u00a0812\u20113456\u20137890",
      "+ 62 812 3456 7890",
    ]) {
      assert.equal(parsedOk(input).e164, "+6281234567890", input);
    }
  });

  it("rejects what is not an international number", () => {
    const cases: [unknown, string][] = [
      ["6281234567890", "must start with +"],
      ["0062 812 3456 7890", "must start with + (not the international prefix 00)"],
      ["+62 812 CALL NOW", "must not contain letters"],
      ["+62 812 3456 789O", "must not contain letters"],
      ["+62 +812 3456 7890", "must contain a single +"],
      ["++6281234567890", "must contain a single +"],
      ["+62 812#3456#7890", 'must not contain "#"'],
      ["+62 (812 3456 7890", "has unbalanced parentheses"],
      ["+62 812) 3456 (7890", "has unbalanced parentheses"],
      ["+62 812", "must have 8 to 15 digits, got 5"],
      ["+62 812 3456 7890 1234", "must have 8 to 15 digits, got 17"],
      ["+999 1234 5678", "unknown country calling code +999"],
      ["+28 1234 5678", "unknown country calling code +281"],
      ["+0 62 812 3456 7890", "a country calling code never starts with 0"],
      ["", "is empty"],
      ["   ", "is empty"],
      [`+62 ${"8".repeat(60)}`, "is longer than 40 characters"],
      [6281234567890, "must be a string"],
      [undefined, "must be a string"],
      ["+62 ٨١٢ ٣٤٥٦ ٧٨٩٠", 'must not contain "٨"'],
    ];
    for (const [input, reason] of cases) assert.equal(reasonFor(input), reason, String(input));
  });

  it("never repeats the number in a reason", () => {
    for (const input of ["+62 812 3456 789012", "+65 8412 345", "+999 1234 5678 99", "+62 841 2345 6789"]) {
      const reason = reasonFor(input);
      assert.ok(!reason.includes(input.replace(/\D/g, "").slice(-6)), reason);
    }
  });

  it("accepts numbers of the other countries it knows, and their shared +1", () => {
    assert.equal(parsedOk("+1 416 555 0100").country, "CA");
    assert.equal(parsedOk("+1 876 555 0100").country, "JM");
    assert.equal(parsedOk("+1 212 555 0100").country, "US");
    assert.equal(parsedOk("+44 7700 900123").country, "GB");
    assert.equal(parsedOk("+86 138 0013 8000").country, "CN");
    assert.equal(parsedOk("+855 12 345 678").country, "KH");
    assert.equal(
      reasonFor("+1 212 555 010"),
      "not a valid number for US: national number must have 10 digits, got 9",
    );
  });
});

/** Valid national numbers generated from the shipped ranges of the detailed countries. */
const validNumber = fc
  .constantFrom(
    ...["ID", "PH", "TH", "VN", "MY", "SG"].flatMap((iso) => {
      const plan = SHIPPED_PLAN_DATA.countries[iso]!;
      return plan.ranges.map((range) => ({ plan, range, lengths: lengthsOf(plan, range) }));
    }),
  )
  .chain(({ plan, range, lengths }) =>
    fc
      .integer({ min: Math.max(lengths.min, range.prefix.length), max: lengths.max })
      .chain((length) => fc.stringMatching(new RegExp(`^\\d{${length - range.prefix.length}}$`)))
      .map((rest) => `+${plan.callingCode}${range.prefix}${rest}`),
  );

/** One character at most between digits, so any formatted number stays within 40 characters. */
const separator = fc.constantFrom("", " ", "-", ".", "\u00a0", "\u2013");

describe("parseE164: properties", () => {
  it("never throws, whatever the input", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: "binary" }), fc.anything()), (input) => {
        const result = parseE164(input);
        assert.equal(typeof result.ok, "boolean");
      }),
      { numRuns: 2000 },
    );
  });

  it("never throws on number-like strings", () => {
    const numberish = fc
      .array(fc.constantFrom(..."+0123456789 -().x٣"), { maxLength: 30 })
      .map((chars) => chars.join(""));
    fc.assert(
      fc.property(numberish, (input) => {
        const result = parseE164(input);
        if (result.ok) assert.match(result.e164, /^\+[1-9]\d{7,14}$/);
      }),
      { numRuns: 3000 },
    );
  });

  it("accepts numbers generated from the shipped ranges, canonical output re-parsing to itself", () => {
    fc.assert(
      fc.property(validNumber, (e164) => {
        const first = parseE164(e164);
        assert.ok(first.ok, `${e164}: ${first.ok ? "" : first.reason}`);
        assert.equal(first.e164, e164);
        assert.deepEqual(parseE164(first.e164), first);
      }),
      { numRuns: 3000 },
    );
  });

  it("formatting never changes the canonical form", () => {
    const formatted = fc
      .tuple(validNumber, fc.array(separator, { minLength: 15, maxLength: 15 }))
      .map(([e164, seps]) => ({
        e164,
        text: "+" + [...e164.slice(1)].map((d, i) => d + (seps[i] ?? "")).join(""),
      }));
    fc.assert(
      fc.property(formatted, ({ e164, text }) => {
        const result = parseE164(text);
        assert.ok(result.ok, `${text}: ${result.ok ? "" : result.reason}`);
        assert.equal(result.e164, e164);
      }),
      { numRuns: 2000 },
    );
  });
});
