import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, connect, type AddressInfo, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { coalesceWrites } from "./write-coalescing";

describe("coalesceWrites", () => {
  const received: Buffer[] = [];
  let client: Socket;
  const server = createServer((peer) => peer.on("data", (chunk: Buffer) => received.push(chunk)));

  before(async () => {
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    client = connect((server.address() as AddressInfo).port, "127.0.0.1");
    await once(client, "connect");
    coalesceWrites(client);
  });

  after(async () => {
    client.destroy();
    server.close();
    await once(server, "close");
  });

  it("holds the writes of one turn and sends them, in order, at the next tick", async () => {
    const commands = Array.from({ length: 50 }, (_, i) => `*1\r\n$4\r\nPING\r\n#${i};`);
    for (const command of commands) client.write(command);
    assert.equal(client.writableCorked, 1, "corked for the rest of the turn");
    await new Promise((resolve) => process.nextTick(resolve));
    assert.equal(client.writableCorked, 0, "uncorked at the next tick");

    const expected = commands.join("");
    const deadline = Date.now() + 5_000;
    while (Buffer.concat(received).length < expected.length && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.equal(Buffer.concat(received).toString(), expected);
  });

  it("patches a socket once, however often it connects", async () => {
    coalesceWrites(client); // patched twice, the socket would be corked twice in one turn
    client.write("*1\r\n$4\r\nPING\r\n");
    assert.equal(client.writableCorked, 1);
    await new Promise((resolve) => process.nextTick(resolve));
    assert.equal(client.writableCorked, 0);
  });
});
