/**
 * What a service replica in its own process holds, read from outside as an SRE would: the
 * partitions Kafka assigned to it in its consumer group, the partition a verification's events
 * go to (the producer's own partitioner), and counters from its /metrics.
 */
import { AssignerProtocol, Kafka, type Admin, logLevel, Partitioners } from "kafkajs";
import type { FaultStack } from "./fault-stack";

export interface GroupView {
  /** Partitions of the verifications topic per member client id. */
  partitionsOf(clientId: string): number[];
  members: number;
}

/** A Kafka admin client on the stack's broker for the length of `use`. */
async function withAdmin<T>(stack: FaultStack, use: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = new Kafka({
    clientId: "fault-observer",
    brokers: [stack.kafka.brokers],
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    return await use(admin);
  } finally {
    await admin.disconnect();
  }
}

/** The consumer group as the broker describes it now. */
export async function describeGroup(stack: FaultStack, groupId: string): Promise<GroupView> {
  return withAdmin(stack, async (admin) => {
    const [group] = (await admin.describeGroups([groupId])).groups;
    const topic = stack.platform.topics.verifications;
    const byClient = new Map<string, number[]>();
    for (const member of group?.members ?? []) {
      const assignment = AssignerProtocol.MemberAssignment.decode(member.memberAssignment);
      const mine = byClient.get(member.clientId) ?? [];
      byClient.set(member.clientId, [...mine, ...(assignment?.assignment[topic] ?? [])]);
    }
    return {
      partitionsOf: (clientId) => byClient.get(clientId) ?? [],
      members: group?.members.length ?? 0,
    };
  });
}

/** The partition of the verifications topic a verification's events are written to. */
export async function partitionOfVerification(
  stack: FaultStack,
): Promise<(verificationId: string) => number> {
  return withAdmin(stack, async (admin) => {
    const topic = stack.platform.topics.verifications;
    const [metadata] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
    const partitionMetadata = metadata?.partitions ?? [];
    const partitioner = Partitioners.DefaultPartitioner();
    return (verificationId) =>
      partitioner({ topic, partitionMetadata, message: { key: verificationId, value: null } });
  });
}

/** The sum of a counter's series whose labels include all of `labels`, from a /metrics page. */
export async function scrapeCounter(
  metricsUrl: string,
  name: string,
  labels: Record<string, string>,
): Promise<number> {
  const page = await (await fetch(`${metricsUrl}/metrics`)).text();
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  let sum = 0;
  for (const line of page.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (wanted.every((pair) => line.includes(pair))) sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return sum;
}
