import assert from "node:assert/strict";
import { it } from "node:test";
import type { BusMessage } from "@platform/bus/port";
import { createDispatchRuns } from "./dispatch-runs";

const message = (offset: number): BusMessage => ({ offset: String(offset) }) as BusMessage;

/** A handler whose calls finish when the test says so. */
function gatedHandler() {
  const open = new Map<string, { finish: (err?: Error) => void }>();
  const started: string[] = [];
  let peak = 0;
  const handle = (m: BusMessage) =>
    new Promise<void>((resolve, reject) => {
      started.push(m.offset);
      open.set(m.offset, { finish: (err) => (open.delete(m.offset), err ? reject(err) : resolve()) });
      peak = Math.max(peak, open.size);
    });
  return { handle, open, started, peak: () => peak };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

it("runs share one bound: never more dispatches in hand than maxInFlight, the rest start as others finish", async () => {
  const h = gatedHandler();
  const runs = createDispatchRuns(h.handle, 3);
  const first = runs.handleRun([1, 2, 3, 4].map(message));
  const second = runs.handleRun([5, 6].map(message));
  await settle();
  assert.deepEqual(h.started, ["1", "2", "3"]);
  h.open.get("2")!.finish();
  await settle();
  assert.deepEqual(h.started, ["1", "2", "3", "4"], "the freed slot goes to the next in line");
  for (const offset of ["1", "3", "4"]) h.open.get(offset)!.finish();
  await first;
  await settle();
  assert.deepEqual(h.started, ["1", "2", "3", "4", "5", "6"]);
  for (const offset of ["5", "6"]) h.open.get(offset)!.finish();
  await second;
  assert.equal(h.peak(), 3);
  assert.equal(runs.inFlight, 0);
});

it("a failed dispatch fails its run only once every dispatch of the run is settled", async () => {
  const h = gatedHandler();
  const runs = createDispatchRuns(h.handle, 10);
  let rejected: unknown;
  const run = runs.handleRun([1, 2].map(message)).catch((err: unknown) => (rejected = err));
  await settle();
  h.open.get("1")!.finish(new Error("publish failed"));
  await settle();
  assert.equal(rejected, undefined, "dispatch 2 is still in hand");
  h.open.get("2")!.finish();
  await run;
  assert.match(String(rejected), /publish failed/);
  assert.equal(runs.inFlight, 0);
});
