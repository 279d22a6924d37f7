import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { it } from "node:test";
import { startSmscSimulator } from "../src/simulator/smsc-simulator";
import { PASSWORD, SYSTEM_ID, startSimulator } from "./harness";

function header(length: number, commandId: number, status: number, sequence: number): Buffer {
  const buffer = Buffer.alloc(16);
  buffer.writeUInt32BE(length, 0);
  buffer.writeUInt32BE(commandId, 4);
  buffer.writeUInt32BE(status, 8);
  buffer.writeUInt32BE(sequence, 12);
  return buffer;
}

/** Reads PDU headers (command_id, status, sequence) as they arrive. */
function reader(socket: Socket) {
  let buffered = Buffer.alloc(0);
  const waiting: Array<(h: { id: number; status: number; sequence: number }) => void> = [];
  const ready: Array<{ id: number; status: number; sequence: number }> = [];
  socket.on("data", (chunk) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 16 && buffered.length >= buffered.readUInt32BE(0)) {
      const length = buffered.readUInt32BE(0);
      const pdu = {
        id: buffered.readUInt32BE(4),
        status: buffered.readUInt32BE(8),
        sequence: buffered.readUInt32BE(12),
      };
      buffered = buffered.subarray(length);
      const next = waiting.shift();
      if (next) next(pdu);
      else ready.push(pdu);
    }
  });
  return () =>
    new Promise<{ id: number; status: number; sequence: number }>((resolve, reject) => {
      const pdu = ready.shift();
      if (pdu) return resolve(pdu);
      const timer = setTimeout(() => reject(new Error("no PDU within 3 s")), 3_000);
      waiting.push((h) => (clearTimeout(timer), resolve(h)));
    });
}

it("unknown command → generic_nack 0x03, and the session goes on", async () => {
  const simulator = await startSimulator();
  const socket = connect(simulator.port, "127.0.0.1");
  try {
    const next = reader(socket);
    socket.write(header(16, 0x00000999, 0, 41));
    assert.deepEqual(await next(), { id: 0x80000000, status: 0x03, sequence: 41 });
    socket.write(header(16, 0x00000015, 0, 42)); // enquire_link
    assert.deepEqual(await next(), { id: 0x80000015, status: 0, sequence: 42 });
  } finally {
    socket.destroy();
    await simulator.close();
  }
});

it("invalid command_length → generic_nack 0x02, then the connection closes", async () => {
  const simulator = await startSimulator();
  const socket = connect(simulator.port, "127.0.0.1");
  try {
    const next = reader(socket);
    const closed = new Promise((resolve) => socket.on("close", resolve));
    socket.write(header(100_000, 0x00000015, 0, 7));
    assert.deepEqual(await next(), { id: 0x80000000, status: 0x02, sequence: 7 });
    await closed;
  } finally {
    socket.destroy();
    await simulator.close();
  }
});

for (const length of [0, 3, 15]) {
  it(`command_length ${length} → generic_nack 0x02 at once, then the connection closes`, async () => {
    const simulator = await startSimulator();
    const socket = connect(simulator.port, "127.0.0.1");
    try {
      const next = reader(socket);
      const closed = new Promise((resolve) => socket.on("close", resolve));
      socket.write(header(length, 0x00000015, 0, 9));
      assert.deepEqual(await next(), { id: 0x80000000, status: 0x02, sequence: 9 });
      await closed;
    } finally {
      socket.destroy();
      await simulator.close();
    }
  });
}

it("a header without its body: generic_nack 0x02 and closed, not left hanging", async () => {
  const simulator = await startSmscSimulator({
    port: 0,
    credentials: { [SYSTEM_ID]: PASSWORD },
    incompletePduTimeoutMs: 200,
  });
  const socket = connect(simulator.port, "127.0.0.1");
  try {
    const next = reader(socket);
    const closed = new Promise((resolve) => socket.on("close", resolve));
    socket.write(header(60, 0x00000004, 0, 11)); // submit_sm announcing 44 octets that never come
    assert.deepEqual(await next(), { id: 0x80000000, status: 0x02, sequence: 0 });
    await closed;
  } finally {
    socket.destroy();
    await simulator.close();
  }
});

it("enquire_link with a body → enquire_link_resp 0x02, and the session goes on", async () => {
  const simulator = await startSimulator();
  const socket = connect(simulator.port, "127.0.0.1");
  try {
    const next = reader(socket);
    socket.write(Buffer.concat([header(20, 0x00000015, 0, 12), Buffer.alloc(4)]));
    assert.deepEqual(await next(), { id: 0x80000015, status: 0x02, sequence: 12 });
    socket.write(header(16, 0x00000015, 0, 13));
    assert.deepEqual(await next(), { id: 0x80000015, status: 0, sequence: 13 });
  } finally {
    socket.destroy();
    await simulator.close();
  }
});

it("a connection that never binds is closed after the bind timeout", async () => {
  const simulator = await startSmscSimulator({
    port: 0,
    credentials: { [SYSTEM_ID]: PASSWORD },
    bindTimeoutMs: 200,
  });
  const socket = connect(simulator.port, "127.0.0.1");
  try {
    await new Promise((resolve) => socket.on("close", resolve));
    assert.equal(simulator.stats().bindTimeouts, 1);
  } finally {
    socket.destroy();
    await simulator.close();
  }
});

it("connections past the cap are closed on arrival; the open ones go on and a freed place is taken", async () => {
  const simulator = await startSmscSimulator({
    port: 0,
    credentials: { [SYSTEM_ID]: PASSWORD },
    maxConnections: 2,
  });
  const opened = (): Promise<Socket> =>
    new Promise((resolve, reject) => {
      const socket = connect(simulator.port, "127.0.0.1", () => resolve(socket));
      socket.on("error", reject);
    });
  const answers = async (socket: Socket, sequence: number): Promise<boolean> => {
    const next = reader(socket);
    socket.write(header(16, 0x00000015, 0, sequence));
    return (await next()).id === 0x80000015;
  };
  const sockets: Socket[] = [];
  try {
    sockets.push(await opened(), await opened());
    const third = await opened();
    sockets.push(third);
    await new Promise((resolve) => third.on("close", resolve));
    assert.equal(simulator.stats().connectionsRefused, 1);
    assert.ok(await answers(sockets[0] as Socket, 1), "the first connection still works");
    const first = sockets[0] as Socket;
    first.destroy();
    await new Promise((resolve) => first.on("close", resolve));
    // The server sees the close a moment later; until then the place is still taken.
    for (let i = 0; ; i++) {
      const fourth = await opened();
      sockets.push(fourth);
      const refused = new Promise<boolean>((resolve) => fourth.on("close", () => resolve(false)));
      const answered = answers(fourth, 2).catch(() => false);
      if (await Promise.race([answered, refused])) break;
      assert.ok(i < 50, "a freed place is taken");
    }
  } finally {
    for (const socket of sockets) socket.destroy();
    await simulator.close();
  }
});
