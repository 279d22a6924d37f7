/**
 * A policy with a new code per attempt: routing's fallback attempts carry a new sealed code
 * (the first attempt sends the start's), and a policy with one code sends the same everywhere.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { sealedField } from "@platform/crypto/sealer";
import { delivered, eventually, hardFailure, type RoutingHarness, startRoutingHarness } from "./harness";

describe("codes per attempt", () => {
  let h: RoutingHarness;

  before(async () => {
    h = await startRoutingHarness("code-per-attempt");
    h.setScript((d) => (d.attempt === 1 ? [hardFailure("WHATSAPP_131026")] : [delivered()]));
    await h.startService({ sealer: h.sealer });
    await h.ready();
  });
  after(async () => {
    await h.close();
  });

  const codesOf = async (id: string): Promise<string[]> => {
    const dispatches = await eventually(() => {
      const found = h
        .eventsOf(id)
        .flatMap((e) => (e.event?.$case === "dispatchRequested" ? [e.event.value] : []));
      return found.length >= 2 ? found : undefined;
    }, `two attempts of ${id}`);
    return dispatches.map((d) => h.sealer.open(d.code!, sealedField(id, "code")));
  };

  it("a fallback attempt gets a new code when the policy rotates codes", async () => {
    const id = await h.issue({ purpose: "transaction", codePerAttempt: true });
    const [first, second] = await codesOf(id);
    assert.equal(first, "123456", "the first attempt sends the start's code");
    assert.match(second!, /^\d{6}$/);
    assert.notEqual(second, first);
  });

  it("every attempt sends the same code when the policy keeps one", async () => {
    const id = await h.issue({ purpose: "transaction" });
    assert.deepEqual(await codesOf(id), ["123456", "123456"]);
  });
});
