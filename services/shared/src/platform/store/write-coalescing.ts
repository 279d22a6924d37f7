/**
 * ioredis writes every command to its socket at once: one syscall per command. Under load many
 * commands are issued in the same turn of the event loop (the promise continuations of one
 * batch of replies), and those syscalls were the largest single CPU cost of the platform in
 * `npm run bench`. Corking the socket for the rest of the turn sends them in one writev: the
 * same bytes in the same order, each command still with its own reply, error and timeout.
 *
 * (ioredis' own enableAutoPipelining batches too, but it holds new commands back while a
 * pipeline is in flight and crashes the process on some script replies: ioredis #1931.)
 */
import type { Cluster, Redis } from "ioredis";

interface CorkableSocket {
  write: (...args: never[]) => boolean;
  cork(): void;
  uncork(): void;
}

const coalesced = new WeakSet<object>();

/** Coalesces the writes of each socket the client connects (again after a reconnect). */
export function coalesceRedisWrites(client: Redis | Cluster): void {
  const hook = (node: Redis): void => {
    node.on("connect", () => coalesceWrites(node.stream));
  };
  if ("nodes" in client) client.on("+node", hook);
  else hook(client);
}

/**
 * From the first write of a turn, the socket is corked until process.nextTick: right after the
 * current callback, or, for writes made in promise continuations, once the continuations queued
 * so far have run. No write waits for a timer or for I/O.
 */
export function coalesceWrites(socket: CorkableSocket | undefined): void {
  if (socket === undefined || coalesced.has(socket)) return;
  coalesced.add(socket);
  const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
  let corked = false;
  const uncork = (): void => {
    corked = false;
    socket.uncork();
  };
  socket.write = (...args: unknown[]) => {
    if (!corked) {
      corked = true;
      socket.cork();
      process.nextTick(uncork);
    }
    return write(...args);
  };
}
