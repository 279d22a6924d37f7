/** Small HTTP and port helpers of the peer bench (plain node:http, kept-alive connections). */
import { Agent, get } from "node:http";
import { createServer } from "node:net";

const agent = new Agent({ keepAlive: true, maxSockets: 256 });

/** GET, resolving with the body whatever the status (Kannel answers refusals with 4xx bodies). */
export function httpGet(url: string, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get(url, { agent, timeout: timeoutMs }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve(body));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${new URL(url).pathname} timed out`)));
    req.on("error", reject);
  });
}

/** A loopback port free right now (for programs that need a port number in their configuration). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === "object" && address !== null ? address.port : 0;
}
