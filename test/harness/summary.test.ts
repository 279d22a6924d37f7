import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { describeTotals, resultOf, summaryOf, totalsOf } from "./summary";

const SUMMARY = [
  "ℹ tests 62",
  "ℹ suites 4",
  "ℹ pass 61",
  "ℹ fail 1",
  "ℹ cancelled 0",
  "ℹ skipped 0",
  "ℹ todo 0",
  "ℹ duration_ms 330.16",
].join("\n");
const clean = { code: 0, signal: null, timedOut: false };

describe("test harness: a file's result", () => {
  it("reads the spec reporter's closing counts, coloured or not", () => {
    assert.deepEqual(summaryOf(`✔ a\n${SUMMARY}\n`), {
      tests: 62,
      pass: 61,
      fail: 1,
      cancelled: 0,
      skipped: 0,
      todo: 0,
    });
    assert.equal(
      summaryOf("\x1b[34mℹ tests 3\x1b[39m\n" + SUMMARY.split("\n").slice(1).join("\n"))?.tests,
      3,
    );
  });

  it("a file that printed no summary failed, even with exit 0 (a run cut short is not a pass)", () => {
    const r = resultOf("a.test.ts", "✔ first test\n", clean, 10);
    assert.equal(r.ok, false);
    assert.match(r.problem ?? "", /without a test summary \(exit 0\)/);
    assert.match(
      resultOf("a.test.ts", "", { code: null, signal: "SIGKILL", timedOut: false }, 10).problem ?? "",
      /SIGKILL/,
    );
  });

  it("a failing test, a non-zero exit without one, and a timeout each fail the file", () => {
    assert.equal(resultOf("a", SUMMARY, { ...clean, code: 1 }, 1).ok, false);
    const passing = SUMMARY.replace("ℹ pass 61", "ℹ pass 62").replace("ℹ fail 1", "ℹ fail 0");
    assert.equal(resultOf("a", passing, clean, 1).ok, true);
    assert.match(
      resultOf("a", passing, { ...clean, code: 7 }, 1).problem ?? "",
      /exit 7 with no failing test/,
    );
    assert.match(resultOf("a", passing, { ...clean, timedOut: true }, 65_000).problem ?? "", /after 65 s/);
  });

  it("totals add up every file and name the failed ones", () => {
    const passing = SUMMARY.replace("ℹ pass 61", "ℹ pass 62").replace("ℹ fail 1", "ℹ fail 0");
    const totals = totalsOf([
      resultOf("a", passing, clean, 1),
      resultOf("b", SUMMARY, { ...clean, code: 1 }, 1),
    ]);
    assert.deepEqual(
      { ...totals, failed: totals.failed.map((r) => r.file) },
      {
        files: 2,
        tests: 124,
        pass: 123,
        fail: 1,
        cancelled: 0,
        skipped: 0,
        todo: 0,
        failed: ["b"],
      },
    );
    assert.match(
      describeTotals("main suite", totals, 90_000),
      /2 files, 124 tests: 123 passed, 1 failed.*\n {2}✖ b: 1 failed/,
    );
  });
});
