/**
 * Where scripts marked `replicated` run on Redis: the script and a WAIT in one pipeline, so both
 * travel on the same connection to the master that owns the keys, and WAIT counts the replicas
 * that have everything this connection wrote, the script included.
 *
 * Why: Redis replicates asynchronously, so a master that dies right after answering can take an
 * acknowledged write with it, and the replica promoted in its place never saw it (Jepsen found
 * Redis losing acknowledged writes on failover). For a check that consumed a code, that would
 * make the code good again. With one replica per master, that replica is the only candidate a
 * Redis Cluster can promote: once WAIT says it has the write, a failover keeps it. Short of the
 * replicas asked for within the timeout, the call fails closed (OTP_STATE_UNAVAILABLE): the
 * caller must not act on a write that may vanish. WAIT is not consensus (a replica that acked can
 * still lose a later election to another one), so more than one replica per master needs more
 * acks than one.
 *
 * Before the script runs, the master checks that it has the replicas asked for connected at all,
 * and refuses with NOREPLICAS if not: a shard that just failed over has none until the dead node
 * returns, and a check that consumed a code there could never be confirmed, spending the code
 * without an answer. So such checks fail closed with the code left intact.
 *
 * The lane has connections of its own: WAIT blocks its connection until the replicas answer, and
 * the main client's connections carry every other command of the process. The script goes as
 * EVAL (not EVALSHA): a NOSCRIPT retry would be sent outside the pipeline, after the WAIT.
 */
import { Cluster, type Redis } from "ioredis";
import { OtpError } from "@domain/errors";
import type { Script } from "./port";
import { connectOnce, duplicateRedisClient, type RedisClient } from "./redis-client";
import type { PreparedCall } from "./script-call";

export interface ReplicaAcks {
  replicas: number;
  timeoutMs: number;
}

export interface ReplicatedLane {
  run(script: Script<unknown, unknown>, call: PreparedCall): Promise<unknown>;
  close(): Promise<void>;
}

/** Replies that mean the keys' master moved: the lane's own slot map must learn it. */
const MOVED_OR_GONE = /^(MOVED|ASK|CLUSTERDOWN)\b|Connection is closed|connect ECONNREFUSED/;

/** Runs first in the script: no write unless enough replicas are connected to confirm it. */
function replicaGuard(replicas: number): string {
  return `local replication = redis.call('INFO', 'replication')
if (tonumber(string.match(replication, 'connected_slaves:(%d+)')) or 0) < ${replicas} then
  return redis.error_reply('NOREPLICAS not enough replicas connected to confirm the write')
end
`;
}

export function createReplicatedLane(client: RedisClient, acks: ReplicaAcks): ReplicatedLane {
  const lane: Redis | Cluster = duplicateRedisClient(client);
  lane.on("error", () => undefined); // reported by the calls that fail
  const connected = connectOnce(lane);
  const guard = replicaGuard(acks.replicas);
  return {
    async run(script, call) {
      await connected();
      const results = await lane
        .pipeline()
        .eval(guard + script.lua, script.numberOfKeys, ...call.keys, ...call.argv)
        .call("WAIT", acks.replicas, acks.timeoutMs)
        .exec();
      const [scriptError, reply] = results?.[0] ?? [new Error("no reply to the script")];
      if (scriptError) {
        if (lane instanceof Cluster && MOVED_OR_GONE.test(scriptError.message)) lane.refreshSlotsCache();
        throw scriptError;
      }
      const [waitError, acked] = results?.[1] ?? [new Error("no reply to WAIT")];
      if (waitError) throw waitError;
      if (Number(acked) < acks.replicas) {
        throw new OtpError("OTP_STATE_UNAVAILABLE", "hot state write not confirmed by a replica", {
          retryAfterMs: 1_000,
        });
      }
      return reply;
    },
    async close() {
      lane.disconnect();
    },
  };
}
