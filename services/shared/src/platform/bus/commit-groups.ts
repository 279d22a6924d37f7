/**
 * Commit groups: consecutive partitions of a processor's input topic that commit together.
 *
 * A transactional id per input partition fences a zombie owner of that partition, but makes a
 * transaction per partition: at a few verifications a second per partition, each carries one
 * or two inputs, and each costs the broker five requests, transaction-log writes and markers.
 * A transactional id per group of partitions fences just as well, provided the group moves as a
 * whole: one member owns every partition of a group or none. Then one transaction carries what
 * every partition of the group decided since the last one, and the number of transactions
 * follows the load of the group, not the number of partitions.
 *
 * The assigner here deals out whole groups, round robin over the members sorted by id. Its
 * protocol name carries the group size, so a member configured with another size is refused
 * by the group coordinator (INCONSISTENT_GROUP_PROTOCOL) instead of joining with different
 * transactional ids, which would fence nobody.
 */
import { AssignerProtocol, type PartitionAssigner } from "kafkajs";

/** Partitions per commit group when the processor does not say. */
export const DEFAULT_PARTITIONS_PER_COMMIT = 4;

export function commitGroupOf(partition: number, partitionsPerCommit: number): number {
  return Math.floor(partition / partitionsPerCommit);
}

/** The transactional id of a commit group: the unit a new owner fences. */
export function commitGroupTransactionalId(
  groupId: string,
  topic: string,
  partitionsPerCommit: number,
  group: number,
): string {
  return `${groupId}.${topic}.g${partitionsPerCommit}.${group}`;
}

/** Whole groups to members, round robin over the members sorted by id: member → partitions. */
export function assignCommitGroups(
  memberIds: readonly string[],
  partitions: readonly number[],
  partitionsPerCommit: number,
): Map<string, number[]> {
  const members = [...memberIds].sort();
  const groups = new Map<number, number[]>();
  for (const p of [...partitions].sort((a, b) => a - b)) {
    const g = commitGroupOf(p, partitionsPerCommit);
    const list = groups.get(g);
    if (list) list.push(p);
    else groups.set(g, [p]);
  }
  const assigned = new Map<string, number[]>(members.map((m) => [m, []]));
  [...groups.keys()]
    .sort((a, b) => a - b)
    .forEach((g, i) => assigned.get(members[i % members.length]!)!.push(...groups.get(g)!));
  return assigned;
}

export function commitGroupsAssigner(partitionsPerCommit: number): PartitionAssigner {
  const name = `OtpCommitGroups${partitionsPerCommit}`;
  const version = 1;
  return ({ cluster }) => ({
    name,
    version,
    assign({ members, topics }) {
      const perMember = new Map<string, Record<string, number[]>>(members.map((m) => [m.memberId, {}]));
      for (const topic of topics) {
        const partitions = cluster.findTopicPartitionMetadata(topic).map((m) => m.partitionId);
        const dealt = assignCommitGroups(
          members.map((m) => m.memberId),
          partitions,
          partitionsPerCommit,
        );
        for (const [memberId, list] of dealt) perMember.get(memberId)![topic] = list;
      }
      return Promise.resolve(
        [...perMember].map(([memberId, assignment]) => ({
          memberId,
          memberAssignment: AssignerProtocol.MemberAssignment.encode({
            version,
            assignment,
            userData: Buffer.alloc(0),
          }),
        })),
      );
    },
    protocol({ topics }) {
      return {
        name,
        metadata: AssignerProtocol.MemberMetadata.encode({ version, topics, userData: Buffer.alloc(0) }),
      };
    },
  });
}
