/**
 * The silent scenario, shortened, on the embedded bus and store (or Kafka / Redis when set), with
 * the operators' Open Gateway out in South Jakarta from the start: users there whose app tries
 * silent verification are never verified by the network, routing learns to leave silent out
 * there, and the districts where the operator works verify users silently and save their SMS.
 * The figures come from the run; nothing here is scripted.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { GroupFigures } from "@services/scenario/src/report";
import { runScenario } from "@services/scenario/src/runner";
import { loadScenario } from "@services/scenario/src/scenario-file";

const DOWN = "ID-JK-JKS";

describe("scenario runner: silent, shortened", () => {
  it("counts who was verified silently, where routing left silent out, and the SMS saved", async () => {
    const scenario = loadScenario("silent");
    const blackout = scenario.phases.find((p) => p.name === "blackout")!;
    assert.equal(blackout.network[DOWN]?.openGatewayDown, true, "the shipped scenario takes it down there");
    const short = {
      ...scenario,
      // The blackout from the first second, and strategy C only.
      phases: [{ ...blackout, atSecond: 0 }],
      strategies: scenario.strategies.filter((s) => s.id === "C"),
      arrivals: { ...scenario.arrivals, durationSeconds: 90 },
      users: { ...scenario.users, giveUpAfterSeconds: 120 },
    };
    const report = await runScenario(short, { scale: 0.15, sizeFactor: 1, logWrite: () => {} });
    const row = (group: string): GroupFigures => {
      const found = report.rows.find((r) => r.strategy === "C" && r.group === group);
      assert.ok(found, `no row C/${group}`);
      return found;
    };
    const down = row(DOWN);
    assert.ok(down.silentTried > 0, "users on mobile data tried it where the operator is out");
    assert.equal(down.silentVerified, 0, "the network verified nobody where its gateway is out");
    assert.ok(down.silentLeftOut > 0, "routing learnt to leave silent out there");
    for (const name of ["ID-JK-JKP", "ID-JK-JKB"]) {
      const up = row(name);
      assert.ok(up.silentVerified > 0, `${name}: verified silently`);
      assert.ok(up.silentP50Seconds !== null);
    }
    const all = row("all");
    const districts = short.districts.map((d) => row(d.name));
    assert.equal(
      districts.reduce((n, r) => n + r.silentVerified, 0),
      all.silentVerified,
    );
    assert.ok(all.silentVerified <= all.verified && all.silentLeftOut <= all.silentTried);
    assert.equal(all.smsCostSaved, Math.round(all.silentVerified * short.prices.sms * 1e4) / 1e4);
  });
});
