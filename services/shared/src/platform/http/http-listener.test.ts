import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { describe, it } from "node:test";
import { listenHttp } from "./http-listener";

const opened = (port: number): Promise<Socket> =>
  new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => resolve(socket));
    socket.on("error", reject);
  });

/** The status line of a GET on an open connection, or "closed" when the server closes it. */
const get = (socket: Socket): Promise<string> =>
  new Promise((resolve) => {
    socket.once("data", (chunk: Buffer) => resolve(chunk.toString("latin1").split("\r\n")[0] ?? ""));
    socket.once("close", () => resolve("closed"));
    socket.write("GET / HTTP/1.1\r\nHost: test\r\n\r\n");
  });

describe("HTTP listener", () => {
  it("closes connections past its cap on arrival and serves the open ones", async () => {
    let refused = 0;
    const listener = await listenHttp(
      (_req, res) => res.end("ok"),
      { host: "127.0.0.1", port: 0 },
      { maxConnections: 2, onRefused: () => refused++ },
    );
    const sockets: Socket[] = [];
    try {
      sockets.push(await opened(listener.port), await opened(listener.port));
      const third = await opened(listener.port);
      sockets.push(third);
      assert.equal(await get(third), "closed");
      assert.equal(refused, 1);
      assert.equal(await get(sockets[0] as Socket), "HTTP/1.1 200 OK");
      assert.equal(await get(sockets[1] as Socket), "HTTP/1.1 200 OK");
    } finally {
      for (const socket of sockets) socket.destroy();
      await listener.close(100);
    }
  });
});
