/**
 * The Prometheus configuration, recording and alert rules are valid for Prometheus itself
 * (`promtool check config` / `check rules`), and the alerts fire when they should and not
 * before (`promtool test rules` on deploy/prometheus/tests). promtool comes from Debian's
 * `prometheus` package; without it these tests fail.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";

const PROMETHEUS_DIR = path.resolve(__dirname, "../../deploy/prometheus");

function promtool(...args: string[]): string {
  const run = spawnSync("promtool", args, { cwd: PROMETHEUS_DIR, encoding: "utf8" });
  if (run.error && (run.error as NodeJS.ErrnoException).code === "ENOENT") {
    assert.fail("promtool is not installed: `apt-get install prometheus` (Debian), as .ci/run does");
  }
  const output = `${run.stdout}${run.stderr}`;
  assert.equal(run.status, 0, `promtool ${args.join(" ")} failed:\n${output}`);
  return output;
}

describe("Prometheus configuration and rules (promtool)", () => {
  it("checks the Compose and Kubernetes scrape configurations with their rule files", () => {
    for (const config of ["prometheus.yml", "prometheus-kubernetes.yml"]) {
      assert.match(promtool("check", "config", config), /SUCCESS: .* is valid prometheus config file syntax/);
    }
  });

  it("checks every rule file", () => {
    const files = readdirSync(path.join(PROMETHEUS_DIR, "rules")).filter((f) => f.endsWith(".yml"));
    assert.ok(files.length >= 2, "recording and alert rules");
    const output = promtool("check", "rules", ...files.map((f) => path.join("rules", f)));
    assert.doesNotMatch(output, /FAILED/);
  });

  it("fires each alert on its scenario and stays quiet before", () => {
    assert.match(promtool("test", "rules", "tests/alerts.test.yml"), /SUCCESS/);
  });
});
