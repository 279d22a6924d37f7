import assert from "node:assert/strict";
import { it } from "node:test";
import { seededRandom } from "./rng";
import { activeOutage, parseScenario, pickStat, profileFor } from "./scenario";

it("longest prefix wins; districts stand for their prefixes", () => {
  const scenario = parseScenario({
    districts: { medan: ["62813"] },
    default: { receiptDelayMs: 1 },
    routes: [
      { prefix: "628", receiptDelayMs: 2 },
      { district: "medan", receiptDelayMs: 3 },
    ],
  });
  assert.equal(profileFor(scenario, "62813000").receiptDelayMs, 3);
  assert.equal(profileFor(scenario, "62814000").receiptDelayMs, 2);
  assert.equal(profileFor(scenario, "6590000").receiptDelayMs, 1);
});

it("status mix follows its weights, deterministically per seed", () => {
  const draw = (seed: number) => {
    const random = seededRandom(seed);
    return Array.from({ length: 1_000 }, () => pickStat({ DELIVRD: 3, UNDELIV: 1 }, random()));
  };
  const first = draw(5);
  assert.deepEqual(first, draw(5));
  const undelivered = first.filter((s) => s === "UNDELIV").length;
  assert.ok(undelivered > 180 && undelivered < 320, `got ${undelivered}`);
});

it("outage windows apply between their times", () => {
  const scenario = parseScenario({
    outages: [
      { prefix: "62", from: "2030-01-01T00:00:00Z", to: "2030-01-01T01:00:00Z", effect: "submit-fail" },
    ],
  });
  assert.ok(activeOutage(scenario, "6281", Date.parse("2030-01-01T00:30:00Z")));
  assert.equal(activeOutage(scenario, "6281", Date.parse("2030-01-01T01:00:00Z")), undefined);
});

it("bad scenarios are refused with the field named", () => {
  assert.throws(() => parseScenario({ routes: [{ statusMix: { LOST: 1 } }] }), /statusMix/);
  assert.throws(() => parseScenario({ throttlePerSecond: -1 }), /throttlePerSecond/);
  assert.throws(() => parseScenario([]), /object/);
});

it("receipt copies: a whole number from 1 to 10", () => {
  assert.equal(parseScenario({ receiptCopies: 2, receiptRepeatMs: 0 }).receiptCopies, 2);
  assert.throws(() => parseScenario({ receiptCopies: 0 }), /receiptCopies/);
  assert.throws(() => parseScenario({ receiptCopies: 1.5 }), /receiptCopies/);
  assert.throws(() => parseScenario({ receiptCopies: 11 }), /receiptCopies/);
  assert.throws(() => parseScenario({ receiptRepeatMs: -1 }), /receiptRepeatMs/);
});
