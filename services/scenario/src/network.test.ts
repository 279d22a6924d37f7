/**
 * A phase's district conditions as the simulators' scenarios: where the operators' Open Gateway is
 * out, and a scenario file that says so in a form the runner cannot use is refused.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { conditionsFor, simulatorScenarios } from "./network";
import { checkScenario, loadScenario } from "./scenario-file";

const silent = loadScenario("silent");
const phase = (name: string) => silent.phases.find((p) => p.name === name)!;
const strategy = silent.strategies.find((s) => s.id === "C")!;

describe("scenario network: the operators' Open Gateway per district", () => {
  it("is up everywhere before the outage, and out in South Jakarta only during the blackout", () => {
    const before = simulatorScenarios(silent, strategy, phase("before the outage"), [], 0.25, 1);
    assert.deepEqual(before.openGateway, { districtsDown: [] });
    const blackout = simulatorScenarios(silent, strategy, phase("blackout"), [], 0.25, 1);
    assert.deepEqual(blackout.openGateway, { districtsDown: ["ID-JK-JKS"] });
    assert.equal(conditionsFor(phase("blackout"), "ID-JK-JKT").openGatewayDown, false);
  });

  it('takes "*" for every district, a district of its own over it', () => {
    const p = {
      name: "x",
      atSecond: 0,
      network: { "*": { openGatewayDown: true }, "ID-JK-JKB": { openGatewayDown: false } },
    };
    const down = simulatorScenarios(silent, strategy, p, [], 1, 1).openGateway.districtsDown;
    assert.deepEqual(down, ["ID-JK-JKS", "ID-JK-JKT", "ID-JK-JKP"]);
  });

  it("refuses an openGatewayDown that is not true or false", () => {
    const broken = structuredClone(silent) as unknown as {
      phases: Array<{ network: Record<string, object> }>;
    };
    broken.phases[1]!.network["ID-JK-JKS"] = { openGatewayDown: "yes" };
    assert.throws(() => checkScenario(broken, "test"), /openGatewayDown must be true or false/);
  });
});
