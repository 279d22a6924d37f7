/**
 * The projector folds a fetched batch: one read and one write per verification, whatever the
 * number of its events, and the same stored state and lookup keys as one event at a time.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CheckOutcome } from "@proto/otp/events/v1/events";
import type { EventBus } from "@platform/bus/port";
import { secretsFromEnv } from "@platform/crypto/keys";
import { newVerificationId } from "@platform/events/envelope";
import { topicNames } from "@platform/bus/topics";
import { silentLogger } from "@platform/log";
import { createMemoryStore } from "@platform/store/memory";
import type { Store } from "@platform/store/port";
import { createVerificationProjection } from "./projection";
import { activeKey, createProjector } from "./projector";
import { projectionKey } from "./scripts";
import { asBusMessages, cancelledVerification } from "@test/support/cancelled-verification";

const TENANT = "bank-a";
const PHONE = "+6281234567890";
const lifecycle = (secrets: ReturnType<typeof setup>["secrets"], verificationId: string) =>
  cancelledVerification(secrets, verificationId, { tenant: TENANT, phone: PHONE });

function setup(
  secrets = secretsFromEnv({}, { allowEphemeral: true }),
  rememberStates = 0,
  now: () => number = Date.now,
  epoch: { now: string | undefined } = { now: "e1" },
) {
  const store = createMemoryStore({ prefix: "projector-test:" });
  const scripts: string[] = [];
  const sets: string[] = [];
  // Counts the store's script calls and plain writes: the real store underneath.
  const counted: Store = {
    ...store,
    run: (script, input) => {
      scripts.push(script.name);
      return store.run(script, input);
    },
    set: (key, value, options) => {
      sets.push(key);
      return store.set(key, value, options);
    },
  };
  const restored: string[] = [];
  const projection = createVerificationProjection({
    store: counted,
    secrets,
    retentionMs: 3_600_000,
    rememberStates,
    onRestored: (id) => restored.push(id),
    storeEpoch: { seen: () => epoch.now, current: async () => epoch.now },
    now,
  });
  const projector = createProjector({
    bus: {} as EventBus,
    store: counted,
    projection,
    secrets,
    topics: topicNames(""),
    logger: silentLogger(),
    now: Date.now,
  });
  return { secrets, store, projection, projector, scripts, sets, restored };
}

describe("projector", () => {
  it("folds a verification's events in one batch into one read and one write", async () => {
    const { secrets, store, projection, projector, scripts } = setup();
    const a = newVerificationId();
    const b = newVerificationId();
    const [aStart, aPlan, aCancel] = lifecycle(secrets, a);
    const [bStart] = lifecycle(secrets, b);
    await projector.handleBatch(asBusMessages([aStart!, bStart!, aPlan!, aCancel!]));

    const count = (name: string) => scripts.filter((s) => s === name).length;
    assert.equal(count("otpReadProjection"), 2, "one read per verification");
    assert.equal(count("otpProjectVerification"), 2, "one write per verification");
    assert.equal((await projection.read(a))?.status, "cancelled");
    assert.equal((await projection.read(b))?.status, "pending");
    // As one event at a time: the start restores the lookup key, the verification being live
    // right after it, though the batch ended it.
    const phoneKey = secrets.hasher.lookup("phone", PHONE);
    assert.equal(await store.get(store.key(activeKey(TENANT, phoneKey, "login"))), a);
  });

  it("writes nothing for events it has applied before", async () => {
    const { secrets, projector, scripts } = setup();
    const events = lifecycle(secrets, newVerificationId());
    await projector.handleBatch(asBusMessages(events));
    scripts.length = 0;
    await projector.handleBatch(asBusMessages(events));
    assert.deepEqual(scripts, ["otpReadProjection"]);
  });

  it("leaves a start's lookup keys to issuance when issuance projected the start itself", async () => {
    const { secrets, store, projection, projector, sets } = setup();
    const id = newVerificationId();
    const [start, plan] = lifecycle(secrets, id);
    // Issuance claims the keys in its limits script, then writes the projection of its start.
    await projection.applyFresh(id, TENANT, [start!]);
    await projector.handleBatch(asBusMessages([start!, plan!]));
    assert.deepEqual(sets, [], "no lookup key written again");
    const phoneKey = secrets.hasher.lookup("phone", PHONE);
    assert.equal(await store.get(store.key(activeKey(TENANT, phoneKey, "login"))), null);
    // A store that lost the projection (rebuilt from the log) gets the keys back.
    const rebuilt = setup(secrets);
    await rebuilt.projector.handleBatch(asBusMessages([start!, plan!]));
    assert.equal(rebuilt.sets.length, 1);
  });

  it("remembering what it wrote, reads a verification once however many batches its events come in", async () => {
    const secrets = secretsFromEnv({}, { allowEphemeral: true });
    const { store, projector, scripts } = setup(secrets, 100);
    // Issuance, another process, writes the start's projection through a store of its own.
    const issuance = createVerificationProjection({ store, secrets, retentionMs: 3_600_000 });
    const id = newVerificationId();
    const [start, plan, cancel] = lifecycle(secrets, id);
    await issuance.applyFresh(id, TENANT, [start!]);
    await projector.handleBatch(asBusMessages([start!]));
    await projector.handleBatch(asBusMessages([plan!]));
    await projector.handleBatch(asBusMessages([cancel!]));
    const count = (name: string) => scripts.filter((s) => s === name).length;
    assert.equal(count("otpReadProjection"), 1, "one read, for the first batch");
    assert.equal(count("otpProjectVerification"), 2, "a write for each batch that changed something");
    assert.equal((await issuance.read(id))?.status, "cancelled");
    const applied = (await issuance.read(id))?.appliedEventIds ?? [];
    assert.ok(
      [start, plan, cancel].every((e) => applied.includes(e!.eventId)),
      "every batch folded in",
    );
  });

  it("after another writer's write, reads again and folds on what that writer wrote", async () => {
    const secrets = secretsFromEnv({}, { allowEphemeral: true });
    const { store, projector, scripts } = setup(secrets, 100);
    const other = createVerificationProjection({ store, secrets, retentionMs: 3_600_000 });
    const id = newVerificationId();
    const [start, plan, cancel] = lifecycle(secrets, id);
    await projector.handleBatch(asBusMessages([start!]));
    // Someone else folds the plan in meanwhile (issuance's resend, say): the projector's
    // remembered state is now behind the store.
    await other.apply(id, TENANT, [plan!]);
    scripts.length = 0;
    await projector.handleBatch(asBusMessages([cancel!]));
    assert.deepEqual(
      scripts,
      ["otpProjectVerification", "otpReadProjection", "otpProjectVerification"],
      "the write over the remembered version conflicts; the retry reads, folds and writes",
    );
    const stored = await other.read(id);
    assert.equal(stored?.status, "cancelled");
    assert.ok(stored?.appliedEventIds.includes(plan!.eventId), "the other writer's fold is kept");
    assert.ok(stored?.appliedEventIds.includes(cancel!.eventId));
  });

  it("forgets what it remembers when the store is replayed into: the replay writes again", async () => {
    const secrets = secretsFromEnv({}, { allowEphemeral: true });
    const { store, projection, projector } = setup(secrets, 100);
    const id = newVerificationId();
    const events = lifecycle(secrets, id);
    await projector.handleBatch(asBusMessages(events));
    await store.clear(); // the store lost everything
    // Remembered, the events are already applied: a redelivery writes nothing.
    await projector.handleBatch(asBusMessages(events));
    assert.equal(await projection.read(id), undefined);
    projection.forget();
    await projector.handleBatch(asBusMessages(events));
    assert.equal((await projection.read(id))?.status, "cancelled", "written again from the log");
  });

  describe("a state the store lost (a failover took writes its replica never had)", () => {
    const checkOf = (secrets: ReturnType<typeof setup>["secrets"], id: string, code: string) => ({
      verificationId: id,
      tenant: TENANT,
      candidateHashes: secrets.hasher.candidates(id, code, ""),
      candidateBinding: "",
      candidateLength: code.length,
    });
    const live = (secrets: ReturnType<typeof setup>["secrets"], id: string) =>
      lifecycle(secrets, id).slice(0, 2);

    it("is written again with the next events, from what this projector folded, and the code still verifies", async () => {
      const secrets = secretsFromEnv({}, { allowEphemeral: true });
      const { store, projection, projector, restored } = setup(secrets, 100);
      const id = newVerificationId();
      const [start, plan] = live(secrets, id);
      await projector.handleBatch(asBusMessages([start!]));
      await store.del(store.key(projectionKey(id)));
      await projector.handleBatch(asBusMessages([plan!]));
      const stored = await projection.read(id);
      assert.equal(stored?.status, "pending");
      assert.ok(stored?.appliedEventIds.includes(start!.eventId), "the start is back");
      assert.ok(stored?.appliedEventIds.includes(plan!.eventId));
      assert.deepEqual(restored, [id]);
      const decision = await projection.check(checkOf(secrets, id, "123456"));
      assert.equal(decision.kind === "decided" && CheckOutcome[decision.outcome], "CHECK_OUTCOME_VERIFIED");
    });

    it("comes back when a check finds it missing, only where this process wrote it and it is live", async () => {
      const secrets = secretsFromEnv({}, { allowEphemeral: true });
      let clock = Date.now();
      const { store, projection, projector, restored } = setup(secrets, 100, () => clock);
      const id = newVerificationId();
      await projector.handleBatch(asBusMessages(live(secrets, id)));
      assert.equal(await projection.restore(id, TENANT), false, "the store still holds it: nothing written");
      await store.del(store.key(projectionKey(id)));
      assert.equal((await projection.check(checkOf(secrets, id, "123456"))).kind, "missing");
      assert.equal(await projection.restore(id, "another-tenant"), false, "only for its own tenant");
      assert.equal(await projection.restore(id, TENANT), true);
      const decision = await projection.check(checkOf(secrets, id, "123456"));
      assert.equal(decision.kind === "decided" && CheckOutcome[decision.outcome], "CHECK_OUTCOME_VERIFIED");
      assert.deepEqual(restored, [id]);

      assert.equal(await projection.restore(newVerificationId(), TENANT), false, "never written here");
      await store.del(store.key(projectionKey(id)));
      clock += 120_000; // another replica may have folded its events since: memory this old is not used
      assert.equal(await projection.restore(id, TENANT), false, "remembered too long ago: not brought back");
    });

    it("is not written from memory where the store lost everything: the log is replayed instead", async () => {
      const secrets = secretsFromEnv({}, { allowEphemeral: true });
      const epoch: { now: string | undefined } = { now: "e1" };
      const { store, projection, projector, restored } = setup(secrets, 100, Date.now, epoch);
      const id = newVerificationId();
      const [start, plan] = live(secrets, id);
      await projector.handleBatch(asBusMessages([start!]));
      await store.del(store.key(projectionKey(id)));
      // The store lost everything and a replay began: a new epoch, under which this memory was not written.
      epoch.now = "e2";
      await projector.handleBatch(asBusMessages([plan!]));
      assert.equal(await projection.restore(id, TENANT), false);
      epoch.now = undefined; // or the loss not yet noticed: no marker at all
      assert.equal(await projection.restore(id, TENANT), false);
      assert.equal((await projection.check(checkOf(secrets, id, "123456"))).kind, "missing", "fails closed");
      assert.deepEqual(restored, []);
    });
  });
});
