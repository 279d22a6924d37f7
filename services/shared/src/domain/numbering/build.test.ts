import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { OtpError } from "../errors";
import { buildNumberingPlan } from "./build";
import { classify } from "./classify";
import { loadNumberingPlan } from "@platform/files/load-numbering";
import { parseE164 } from "./parse";
import type { NumberingPlan } from "./plan";

function built(json: unknown): NumberingPlan {
  const result = buildNumberingPlan(json);
  assert.ok(result.ok, result.ok ? "" : result.problems.join("\n"));
  return result.plan;
}

function problemsOf(json: unknown): string[] {
  const result = buildNumberingPlan(json);
  assert.ok(!result.ok, "expected problems");
  return result.problems;
}

const CAMBODIA = {
  name: "Cambodia",
  callingCode: "855",
  nationalLengths: { min: 8, max: 9 },
  rangesExhaustive: true,
  operators: [{ id: "kh-smart", name: "Smart Axiata" }],
  ranges: [
    { prefix: "10", type: "mobile", operator: "kh-smart" },
    { prefix: "23", type: "fixed", lengths: { min: 8, max: 8 } },
  ],
};

describe("buildNumberingPlan", () => {
  it("accepts the shipped plan as it is", () => {
    assert.ok(buildNumberingPlan({}).ok);
    assert.ok(buildNumberingPlan(undefined).ok);
  });

  it("adds a country with its operators and ranges", () => {
    const plan = built({ countries: { KH: CAMBODIA } });
    assert.deepEqual(classify("+855 10 234 567", plan), {
      country: "KH",
      type: "mobile",
      operatorGuess: "kh-smart",
      prefix: "+85510",
    });
    const rejected = parseE164("+855 99 234 567", plan);
    assert.deepEqual(rejected, {
      ok: false,
      reason: "not a valid number for KH: no number range starts with 9",
    });
  });

  it("merges ranges and operators into a shipped country, by prefix and id", () => {
    const plan = built({
      countries: {
        ID: {
          operators: [{ id: "id-psn", name: "PSN (satellite)" }],
          ranges: [
            { prefix: "868", type: "mobile", operator: "id-psn" },
            { prefix: "812", type: "mobile", operator: "id-psn" },
          ],
        },
      },
    });
    assert.equal(classify("+62 868 1234 5678", plan).operatorGuess, "id-psn");
    assert.equal(classify("+62 812 3456 7890", plan).operatorGuess, "id-psn");
    assert.equal(classify("+62 815 3456 7890", plan).operatorGuess, "id-indosat");
  });

  it("reports every problem with its path", () => {
    const problems = problemsOf({
      countries: {
        id: {},
        XX: { callingCode: "4412", nationalLengths: { min: 9, max: 8 } },
        KH: {
          ...CAMBODIA,
          color: "blue",
          operators: [{ id: "smart", name: "Smart" }, { name: "No id" }],
          ranges: [
            { prefix: "010", type: "mobile" },
            { prefix: "11", type: "satellite" },
            { prefix: "12", type: "mobile", operator: "kh-cellcard" },
            { prefix: "12", type: "mobile" },
          ],
        },
      },
      extra: 1,
    });
    const expected = [
      "extra: unknown field (expected one of countries)",
      "countries.id: invalid country: expected an ISO 3166-1 alpha-2 code such as ID",
      "countries.XX.name: is required for a country not in the shipped plan",
      'countries.XX.callingCode: expected 1 to 3 digits, not starting with 0, got "4412"',
      "countries.XX.nationalLengths: min 9 is greater than max 8",
      "countries.KH.color: unknown field",
      'countries.KH.operators[0].id: expected a lowercase id prefixed with the country, such as "id-telkomsel", got "smart"',
      "countries.KH.operators[1].id: is required",
      'countries.KH.ranges[0].prefix: expected 1 to 8 digits, not starting with 0, got "010"',
      'countries.KH.ranges[1].type: expected one of mobile, fixed, premium, shared_cost, voip, toll_free, got "satellite"',
      'countries.KH.ranges: duplicate entry "12"',
    ];
    for (const problem of expected) {
      assert.ok(
        problems.some((p) => p.startsWith(problem)),
        `missing: ${problem}\nin:\n${problems.join("\n")}`,
      );
    }
  });

  it("checks the merged plan: calling codes, lengths, operators, shared codes", () => {
    const problems = problemsOf({
      countries: {
        XA: { name: "A", callingCode: "46", nationalLengths: { min: 8, max: 14 } },
        XB: { name: "B", callingCode: "4", nationalLengths: { min: 8, max: 10 } },
        XC: { name: "C", callingCode: "1", nationalLengths: { min: 10, max: 10 } },
        KH: {
          ...CAMBODIA,
          ranges: [
            { prefix: "12", type: "mobile", operator: "kh-cellcard" },
            { prefix: "13", type: "mobile", lengths: { min: 8, max: 12 } },
          ],
        },
      },
    });
    const expected = [
      "countries.XA.nationalLengths: +46 with 14 national digits exceeds the 15 digits of E.164",
      "countries.XB.callingCode: +4 is not a country calling code: codes starting with 4 have 2 digit(s)",
      'countries.KH.ranges["12"].operator: unknown operator kh-cellcard (declare it in operators)',
      'countries.KH.ranges["13"]: lengths 8–12 of range 13 are outside the country\'s 8–9',
      "countries: calling code +1 is shared by US, XC: all but one of them need leadingDigits",
    ];
    for (const problem of expected) {
      assert.ok(problems.includes(problem), `missing: ${problem}\nin:\n${problems.join("\n")}`);
    }
  });

  it("lets a country sharing +1 be told apart by its leading digits", () => {
    const plan = built({
      countries: {
        XC: { name: "C", callingCode: "1", leadingDigits: ["555"], nationalLengths: { min: 10, max: 10 } },
      },
    });
    assert.equal(classify("+1 555 123 4567", plan).country, "XC");
    assert.equal(classify("+1 212 555 0100", plan).country, "US");
  });
});

describe("loadNumberingPlan", () => {
  const dir = mkdtempSync(join(tmpdir(), "numbering-plan-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("merges a JSON file over the shipped plan", () => {
    const path = join(dir, "plan.json");
    writeFileSync(path, JSON.stringify({ countries: { KH: CAMBODIA } }));
    const plan = loadNumberingPlan(path);
    assert.equal(classify("+855 10 234 567", plan).operatorGuess, "kh-smart");
    assert.equal(classify("+62 812 3456 7890", plan).operatorGuess, "id-telkomsel");
  });

  it("fails with CONFIG_INVALID listing the problems, for bad JSON and a missing file", () => {
    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify({ countries: { KH: { ...CAMBODIA, callingCode: "0855" } } }));
    const broken = join(dir, "broken.json");
    writeFileSync(broken, "{ countries: ");
    const configError = (pattern: RegExp) => (err: unknown) =>
      err instanceof OtpError && err.code === "CONFIG_INVALID" && pattern.test(err.message);
    assert.throws(
      () => loadNumberingPlan(bad),
      configError(/countries\.KH\.callingCode: expected 1 to 3 digits/),
    );
    assert.throws(() => loadNumberingPlan(broken), configError(/broken\.json: not valid JSON/));
    assert.throws(
      () => loadNumberingPlan(join(dir, "missing.json")),
      configError(/missing\.json: cannot read/),
    );
  });
});
