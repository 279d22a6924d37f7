/**
 * Redis MONITOR over a plain socket (ioredis' monitor mode loses track of its command queue
 * when replies stream in at once). Each line is `+<unix time> [<db> <source>] "CMD" "arg" …`;
 * the source is a client address, or "lua" for commands a script ran.
 */
import { connect, type Socket } from "node:net";
import { parseRedisUrl } from "@platform/store/redis-url";

export type MonitorListener = (timeMs: number, args: string[], source: string) => void;

export async function startMonitor(url: string, listener: MonitorListener): Promise<{ close(): void }> {
  const endpoint = parseRedisUrl(url);
  const node = endpoint.nodes[0]!;
  const socket: Socket = connect({ host: node.host, port: node.port });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  socket.on("error", () => undefined); // closing mid-stream is expected
  if (endpoint.password !== undefined) {
    socket.write(`AUTH ${endpoint.username ?? "default"} ${endpoint.password}\r\n`);
  }
  socket.write("MONITOR\r\n");
  let buffered = "";
  socket.setEncoding("latin1");
  socket.on("data", (chunk: string) => {
    buffered += chunk;
    let end: number;
    while ((end = buffered.indexOf("\r\n")) >= 0) {
      const line = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      const parsed = parseMonitorLine(line);
      if (parsed) listener(parsed.timeMs, parsed.args, parsed.source);
    }
  });
  return { close: () => socket.destroy() };
}

const LINE = /^\+(\d+\.\d+) \[\d+ ([^\]]+)\] (.*)$/;

function parseMonitorLine(line: string): { timeMs: number; source: string; args: string[] } | undefined {
  const match = LINE.exec(line);
  if (!match) return undefined;
  const args: string[] = [];
  const quoted = /"((?:[^"\\]|\\.)*)"/g;
  for (let m = quoted.exec(match[3] ?? ""); m; m = quoted.exec(match[3] ?? "")) {
    args.push((m[1] ?? "").replace(/\\"/g, '"').replace(/\\\\/g, "\\"));
  }
  return { timeMs: Number(match[1]) * 1000, source: match[2] ?? "", args };
}
