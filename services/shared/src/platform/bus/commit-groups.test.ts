import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { assignCommitGroups, commitGroupOf, commitGroupTransactionalId } from "./commit-groups";

const range = (n: number) => [...Array(n).keys()];

describe("commit groups", () => {
  it("deals out whole groups of consecutive partitions, round robin over the sorted members", () => {
    const dealt = assignCommitGroups(["m-b", "m-a"], range(12), 4);
    assert.deepEqual(dealt.get("m-a"), [0, 1, 2, 3, 8, 9, 10, 11]);
    assert.deepEqual(dealt.get("m-b"), [4, 5, 6, 7]);
  });

  it("never splits a group, whatever the members and partitions", () => {
    for (const members of [1, 2, 3, 5, 7]) {
      for (const partitions of [1, 5, 12, 24, 30]) {
        const ids = range(members).map((i) => `member-${i}`);
        const dealt = assignCommitGroups(ids, range(partitions), 4);
        const owner = new Map<number, string>();
        for (const [member, list] of dealt) {
          for (const p of list) {
            assert.equal(owner.has(p), false, `partition ${p} dealt twice`);
            owner.set(p, member);
          }
        }
        assert.equal(owner.size, partitions, "every partition dealt");
        for (const p of range(partitions)) {
          const first = commitGroupOf(p, 4) * 4;
          assert.equal(owner.get(p), owner.get(first), `partition ${p} left its group`);
        }
      }
    }
  });

  it("gives members beyond the number of groups nothing, and names each group's transactional id", () => {
    const dealt = assignCommitGroups(["a", "b", "c"], range(6), 4);
    assert.deepEqual([...dealt.values()], [[0, 1, 2, 3], [4, 5], []]);
    assert.equal(
      commitGroupTransactionalId("routing", "otp.verifications.v1", 4, 2),
      "routing.otp.verifications.v1.g4.2",
    );
  });
});
