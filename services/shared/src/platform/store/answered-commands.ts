/**
 * A Redis Cluster command whose caller already has its answer is never sent afterwards.
 *
 * Why: ioredis gives every Cluster node connection an offline queue (forced on, whatever
 * `enableOfflineQueue` says) and retries commands itself after a closed connection, CLUSTERDOWN
 * or TRYAGAIN. A command can time out while it waits there (its caller is answered
 * OTP_STATE_UNAVAILABLE, fails closed and may retry) and still be written later, when the
 * connection is ready or the retry fires: a call answered as failed then takes effect (a check
 * consumes a code, a limit counts, an idempotency key names a verification nobody created) and
 * the backlog delays every command behind it. Seen after a master failed over: a start's limits
 * script timed out, ran on the promoted replica a second later and claimed the start's
 * idempotency key, so the client's retries followed a verification that never existed.
 *
 * A command already written is on its way and cannot be taken back; one not yet written is
 * dropped once its promise has settled. A pipeline retried by ioredis (MOVED, closed connection)
 * gets fresh promises, so it still goes.
 */
import type { Cluster, Redis } from "ioredis";

interface QueuedCommand {
  promise: Promise<unknown>;
}

/** ioredis' stand-in stream for a pipeline: it writes once every command has been handed over. */
interface PipelineStream {
  isPipeline?: boolean;
  write(data: string): void;
}

type SendCommand = (command: QueuedCommand, stream?: PipelineStream) => unknown;

const answered = new WeakSet<Promise<unknown>>();
const watched = new WeakSet<Promise<unknown>>();

function watch(promise: Promise<unknown>): void {
  if (watched.has(promise)) return;
  watched.add(promise);
  const mark = (): void => {
    answered.add(promise);
  };
  promise.then(mark, mark);
}

/** Drops, on every node connection the Cluster client makes, commands already answered. */
export function dropAnsweredCommands(cluster: Cluster): void {
  cluster.on("+node", (node: Redis) => skipAnswered(node));
}

function skipAnswered(node: Redis): void {
  const target = node as unknown as { sendCommand: SendCommand };
  const send = target.sendCommand.bind(node);
  target.sendCommand = (command, stream) => {
    if (answered.has(command.promise)) {
      // The pipeline counts the commands handed to it: an empty part keeps its count right.
      if (stream?.isPipeline) stream.write("");
      return command.promise;
    }
    watch(command.promise);
    return send(command, stream);
  };
}
