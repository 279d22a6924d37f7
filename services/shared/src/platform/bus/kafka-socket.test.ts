/** The sockets the bus gives kafkajs: connected, kept alive, and without Nagle's delay. */
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, Socket, type AddressInfo } from "node:net";
import { it } from "node:test";
import { kafkaSocketFactory } from "./kafka-socket";

it("connects to the broker with TCP_NODELAY and keep-alive", async (t) => {
  const noDelay = t.mock.method(Socket.prototype, "setNoDelay");
  const keepAlive = t.mock.method(Socket.prototype, "setKeepAlive");
  const server = createServer((s) => s.end());
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  try {
    let connected = false;
    const socket = kafkaSocketFactory({
      host: "127.0.0.1",
      port: (server.address() as AddressInfo).port,
      ssl: undefined as never,
      onConnect: () => void (connected = true),
    });
    await once(socket, "connect");
    assert.ok(connected, "kafkajs is told of the connection");
    const on = (calls: ReadonlyArray<{ this: unknown; arguments: readonly unknown[] }>) =>
      calls.filter((c) => c.this === socket).map((c) => [...c.arguments]);
    assert.deepEqual(on(noDelay.mock.calls), [[true]]);
    assert.deepEqual(on(keepAlive.mock.calls), [[true, 60_000]]);
    socket.destroy();
  } finally {
    server.close();
  }
});
