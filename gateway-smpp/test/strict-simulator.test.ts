/**
 * The simulator refuses malformed PDUs as an SMSC does, on the wire: raw submit_sm octets
 * after a real bind, each broken one way, answered with the status an SMSC gives and kept out
 * of the inbox.
 */
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { after, before, it } from "node:test";
import type { SmscSimulator } from "../src/simulator/smsc-simulator";
import { PASSWORD, SYSTEM_ID, startSimulator } from "./harness";

const cstr = (value: string): Buffer => Buffer.concat([Buffer.from(value, "latin1"), Buffer.alloc(1)]);
const octet = (...values: number[]): Buffer => Buffer.from(values);
const tlv = (tag: number, value: Buffer, length = value.length): Buffer => {
  const header = Buffer.alloc(4);
  header.writeUInt16BE(tag, 0);
  header.writeUInt16BE(length, 2);
  return Buffer.concat([header, value]);
};

interface SubmitParts {
  serviceType: Buffer;
  source: Buffer; // ton, npi, addr
  destination: Buffer;
  esmClass: number;
  priority: number;
  schedule: Buffer;
  validity: Buffer;
  registered: number;
  replace: number;
  dataCoding: number;
  smLength?: number;
  shortMessage: Buffer;
  tlvs: Buffer;
}

const VALID: SubmitParts = {
  serviceType: cstr(""),
  source: Buffer.concat([octet(5, 0), cstr("MyBank")]),
  destination: Buffer.concat([octet(1, 1), cstr("628123450000")]),
  esmClass: 0,
  priority: 0,
  schedule: cstr(""),
  validity: cstr("000000000500000R"),
  registered: 1,
  replace: 0,
  dataCoding: 0,
  shortMessage: Buffer.from("code 123456", "latin1"),
  tlvs: Buffer.alloc(0),
};

function submitBody(parts: Partial<SubmitParts>): Buffer {
  const p = { ...VALID, ...parts };
  return Buffer.concat([
    p.serviceType,
    p.source,
    p.destination,
    octet(p.esmClass, 0, p.priority),
    p.schedule,
    p.validity,
    octet(p.registered, p.replace, p.dataCoding, 0, p.smLength ?? p.shortMessage.length),
    p.shortMessage,
    p.tlvs,
  ]);
}

function pdu(commandId: number, sequence: number, body: Buffer): Buffer {
  const header = Buffer.alloc(16);
  header.writeUInt32BE(16 + body.length, 0);
  header.writeUInt32BE(commandId, 4);
  header.writeUInt32BE(sequence, 12);
  return Buffer.concat([header, body]);
}

/** One raw connection: sends PDUs, reads each response's command_status by sequence. */
function rawSession(port: number) {
  const socket: Socket = connect(port, "127.0.0.1");
  const answers = new Map<number, (status: number) => void>();
  let buffered = Buffer.alloc(0);
  socket.on("data", (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 16 && buffered.length >= buffered.readUInt32BE(0)) {
      const status = buffered.readUInt32BE(8);
      const sequence = buffered.readUInt32BE(12);
      buffered = buffered.subarray(buffered.readUInt32BE(0));
      answers.get(sequence)?.(status);
    }
  });
  let sequence = 0;
  const request = (commandId: number, body: Buffer): Promise<number> =>
    new Promise((resolve) => {
      const seq = ++sequence;
      answers.set(seq, resolve);
      socket.write(pdu(commandId, seq, body));
    });
  return { request, close: () => socket.destroy() };
}

let simulator: SmscSimulator;
let session: ReturnType<typeof rawSession>;
const SUBMIT_SM = 0x00000004;

before(async () => {
  simulator = await startSimulator();
  session = rawSession(simulator.port);
  const bind = Buffer.concat([cstr(SYSTEM_ID), cstr(PASSWORD), cstr(""), octet(0x34, 0, 0), cstr("")]);
  assert.equal(await session.request(0x00000009, bind), 0, "bound");
});

after(async () => {
  session.close();
  await simulator.close();
});

it("a well-formed submit_sm is accepted and reaches the inbox", async () => {
  assert.equal(await session.request(SUBMIT_SM, submitBody({})), 0);
  assert.equal(simulator.inbox.partCount("628123450000"), 1);
});

const MALFORMED: Array<[string, Partial<SubmitParts> | Buffer, number]> = [
  [
    "destination_addr without its NUL",
    Buffer.concat([cstr(""), octet(5, 0), cstr("MyBank"), octet(1, 1), Buffer.from("628123450001")]),
    0x0b,
  ],
  ["an empty destination_addr", { destination: Buffer.concat([octet(1, 1), cstr("")]) }, 0x0b],
  [
    "a source_addr longer than 20 characters",
    { source: Buffer.concat([octet(1, 1), cstr("6".repeat(21))]) },
    0x0a,
  ],
  ["a service_type longer than 5 characters", { serviceType: cstr("LONGSVC") }, 0x15],
  ["sm_length past the end of the body", { smLength: 50 }, 0x01],
  ["sm_length above 254", { shortMessage: Buffer.alloc(255, 0x41) }, 0x01],
  ["short_message and message_payload both", { tlvs: tlv(0x0424, Buffer.from("payload")) }, 0xc1],
  ["a TLV whose length runs past the body", { tlvs: tlv(0x0424, Buffer.from("ab"), 40) }, 0xc2],
  ["a TLV of the wrong size for its tag", { tlvs: tlv(0x020c, octet(1, 2, 3)) }, 0xc2],
  ["a half TLV header", { tlvs: octet(0x04, 0x24) }, 0xc0],
  [
    "sar_segment_seqnum above sar_total_segments",
    { tlvs: Buffer.concat([tlv(0x020e, octet(2)), tlv(0x020f, octet(3))]) },
    0xc4,
  ],
  ["destination TON 7", { destination: Buffer.concat([octet(7, 1), cstr("628123450002")]) }, 0x50],
  ["source NPI 5", { source: Buffer.concat([octet(5, 5), cstr("MyBank")]) }, 0x49],
  ["registered_delivery 3 (reserved)", { registered: 3 }, 0x07],
  ["priority_flag 4", { priority: 4 }, 0x06],
  ["esm_class of a delivery receipt", { esmClass: 0x04 }, 0x43],
  ["data_coding 0x20 (reserved)", { dataCoding: 0x20 }, 0x104],
  ["a validity_period that is no SMPP time", { validity: cstr("tomorrow") }, 0x62],
  ["a UDH longer than short_message", { esmClass: 0x40, shortMessage: octet(5, 0, 3, 1) }, 0x01],
];

for (const [what, parts, status] of MALFORMED) {
  it(`submit_sm with ${what} → 0x${status.toString(16).padStart(2, "0")}, nothing in the inbox`, async () => {
    const before = simulator.inbox.partCount();
    const body = Buffer.isBuffer(parts) ? parts : submitBody(parts);
    assert.equal(await session.request(SUBMIT_SM, body), status);
    assert.equal(simulator.inbox.partCount(), before);
  });
}
