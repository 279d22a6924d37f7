import assert from "node:assert/strict";
import { it } from "node:test";
import fc from "fast-check";
import { SortedSet } from "./sorted-set";

type Operation =
  | { op: "add"; member: string; score: number }
  | { op: "remove"; member: string }
  | { op: "range"; min: number; max: number; limit: number };

const member = fc.constantFrom("a", "b", "c", "d", "e", "aa", "ab", "");
const score = fc.integer({ min: -5, max: 5 });
const operation: fc.Arbitrary<Operation> = fc.oneof(
  fc.record({ op: fc.constant("add" as const), member, score }),
  fc.record({ op: fc.constant("remove" as const), member }),
  fc.record({
    op: fc.constant("range" as const),
    min: score,
    max: score,
    limit: fc.integer({ min: -1, max: 4 }),
  }),
);

/** The obvious model: a map, sorted on every read. */
function modelRange(model: Map<string, number>, min: number, max: number, limit: number) {
  const sorted = [...model]
    .map(([m, s]) => ({ member: m, score: s }))
    .filter((e) => e.score >= min && e.score <= max)
    .sort((x, y) => x.score - y.score || (x.member < y.member ? -1 : x.member > y.member ? 1 : 0));
  return limit >= 0 ? sorted.slice(0, limit) : sorted;
}

it("SortedSet behaves like a map sorted by (score, member)", () => {
  fc.assert(
    fc.property(fc.array(operation, { maxLength: 60 }), (operations) => {
      const set = new SortedSet();
      const model = new Map<string, number>();
      for (const step of operations) {
        if (step.op === "add") {
          assert.equal(set.add(step.member, step.score), !model.has(step.member));
          model.set(step.member, step.score);
        } else if (step.op === "remove") {
          assert.equal(set.remove(step.member), model.delete(step.member));
        } else {
          assert.deepEqual(
            set.rangeByScore(step.min, step.max, step.limit),
            modelRange(model, step.min, step.max, step.limit),
          );
        }
        assert.equal(set.size, model.size);
      }
      assert.deepEqual(set.rangeByScore(-Infinity, Infinity), modelRange(model, -Infinity, Infinity, -1));
    }),
  );
});
