import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { test } from "node:test";
import { startSimulator } from "./harness";

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

test("unknown command → generic_nack 0x03, and the session goes on", async () => {
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

test("invalid command_length → generic_nack 0x02, then the connection closes", async () => {
  const simulator = await startSimulator();
  const socket = connect(simulator.port, "127.0.0.1");
  try {
    const next = reader(socket);
    const closed = new Promise((resolve) => socket.on("close", resolve));
    socket.write(header(100_000, 0x00000015, 0, 7));
    assert.deepEqual(await next(), { id: 0x80000000, status: 0x02, sequence: 0 });
    await closed;
  } finally {
    socket.destroy();
    await simulator.close();
  }
});
