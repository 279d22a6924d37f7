/**
 * Both ends of an SMPP connection turn Nagle's algorithm off: SMPP is request and response, and
 * with Nagle a PDU written while the last one is unacknowledged waits for the peer's delayed
 * acknowledgement (40 ms on Linux). Seen on the bench as about 75 ms between a dispatch and its
 * submit_sm_resp at 100 messages/s, against 2 ms without.
 */
import assert from "node:assert/strict";
import { Socket } from "node:net";
import { after, before, it, mock } from "node:test";
import type { SmscSession } from "../src/smsc-session";
import type { SmscSimulator } from "../src/simulator/smsc-simulator";
import { sessionTo, startSimulator } from "./harness";

const setNoDelay = mock.method(Socket.prototype, "setNoDelay");
let simulator: SmscSimulator;
let session: SmscSession;

before(async () => {
  simulator = await startSimulator();
  session = sessionTo(simulator);
  await session.waitUntilBound(5_000);
});

after(async () => {
  mock.restoreAll();
  await session.close();
  await simulator.close();
});

it("the gateway's socket and the simulator's socket both send without Nagle's delay", () => {
  const ends = setNoDelay.mock.calls
    .filter((c) => c.arguments[0] !== false)
    .map((c) => c.this as Socket)
    .filter((s) => !s.destroyed);
  assert.ok(
    ends.some((s) => s.remotePort === simulator.port),
    "the gateway's connection to the SMSC",
  );
  assert.ok(
    ends.some((s) => s.localPort === simulator.port),
    "the simulator's side of it",
  );
});
