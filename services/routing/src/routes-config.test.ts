/** The routes table from configuration, and the workflow a verification gets from policy. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_POLICY } from "@domain/policy/defaults";
import { workflowFor } from "./lifecycle-input";
import { buildRoutesTable, defaultRoutesTable } from "./routes-config";

describe("routes table", () => {
  it("by default every home-country operator has its direct bind, with the aggregator on standby", () => {
    const table = defaultRoutesTable();
    for (const operator of ["id-telkomsel", "ph-globe", "th-ais", "vn-viettel", "my-maxis", "sg-singtel"]) {
      assert.deepEqual(table.sms.operators[operator], [
        { route: `${operator}-direct`, weight: 100 },
        { route: "aggregator", weight: 0 },
      ]);
    }
    assert.deepEqual(table.sms.default, [{ route: "aggregator", weight: 100 }]);
  });

  it("a file overrides operators one by one and lists as a whole", () => {
    const result = buildRoutesTable({
      sms: {
        operators: {
          "id-telkomsel": [
            { route: "tsel-a", weight: 70 },
            { route: "tsel-b", weight: 30 },
          ],
        },
      },
      whatsapp: [{ route: "wa-primary" }],
    });
    assert.ok(result.ok);
    assert.equal(result.table.sms.operators["id-telkomsel"]?.length, 2);
    assert.deepEqual(result.table.sms.operators["id-indosat"]?.[0], {
      route: "id-indosat-direct",
      weight: 100,
    });
    assert.deepEqual(result.table.whatsapp, [{ route: "wa-primary", weight: 100 }]);
  });

  it("every problem is reported with its path", () => {
    const result = buildRoutesTable({
      sms: { operators: { "id-xl": [{ route: "xl direct", weight: 5 }] }, defualt: [] },
      voice: [{ route: "v", weight: 0 }],
      fax: [],
    });
    assert.ok(!result.ok);
    assert.deepEqual(result.problems.sort(), [
      "fax: unknown field (expected one of sms, whatsapp, voice)",
      "sms.defualt: unknown field (expected one of operators, default)",
      "sms.operators.id-xl[0].route: must be 1-64 of [A-Za-z0-9._-]",
      "voice: at least one route needs a weight above 0",
    ]);
  });
});

describe("workflow from policy", () => {
  it("channels the tenant refuses for the number's type are left out, and said so", () => {
    const workflow = workflowFor(DEFAULT_POLICY, "login", "medium", "voip");
    assert.deepEqual(
      workflow.steps.map((s) => s.channel),
      ["whatsapp"],
    );
    assert.deepEqual(workflow.notes, ["sms, voice refused for voip numbers by the tenant's policy"]);
    assert.deepEqual(
      workflowFor(DEFAULT_POLICY, "login", "medium", "mobile").steps.map((s) => s.channel),
      ["whatsapp", "sms", "voice"],
    );
  });

  it("a purpose the policy no longer names gets its risk tier's default workflow", () => {
    assert.equal(workflowFor(DEFAULT_POLICY, "gone", "high").name, "high_risk");
    assert.equal(workflowFor(DEFAULT_POLICY, "gone", "unspecified").name, "default");
  });
});
