import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Counter, type Registry } from "prom-client";
import { createMetrics } from "./metrics";

const exampleMetrics = (registers: Registry[]) => ({
  examples: new Counter({
    name: "otp_examples_total",
    help: "Examples counted",
    labelNames: ["kind"] as const,
    registers,
  }),
});

const clashingMetrics = (registers: Registry[]) => ({
  examples: new Counter({ name: "otp_examples_total", help: "Another declaration", registers }),
});

describe("metrics", () => {
  it("declares a set once per registry: every part asking for it records into the same series", async () => {
    const metrics = createMetrics({ service: "test", processMetrics: false });
    const first = metrics.declare(exampleMetrics);
    const second = metrics.declare(exampleMetrics);
    assert.equal(first.examples, second.examples);
    first.examples.inc({ kind: "a" });
    second.examples.inc({ kind: "a" });
    assert.match(await metrics.registry.metrics(), /otp_examples_total\{kind="a",service="test"\} 2/);
  });

  it("keeps each process's metrics in its own registry", async () => {
    const one = createMetrics({ service: "one", processMetrics: false });
    const two = createMetrics({ service: "two", processMetrics: false });
    one.declare(exampleMetrics).examples.inc({ kind: "a" });
    assert.notEqual(one.declare(exampleMetrics).examples, two.declare(exampleMetrics).examples);
    assert.doesNotMatch(await two.registry.metrics(), /otp_examples_total\{/);
  });

  it("refuses a second declaration of a name another set declared", () => {
    const metrics = createMetrics({ service: "test", processMetrics: false });
    metrics.declare(exampleMetrics);
    assert.throws(() => metrics.declare(clashingMetrics), /otp_examples_total/);
  });
});
