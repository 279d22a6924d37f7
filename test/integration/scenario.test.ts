/**
 * A shortened blackout on the embedded bus and store (or Kafka / Redis when set): the report's
 * figures add up, and strategy B verifies more users within 60 s than strategy A in the
 * affected districts. The figures come from the run; nothing here is scripted.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { GroupFigures } from "@services/scenario/src/report";
import { runScenario } from "@services/scenario/src/runner";
import { loadScenario } from "@services/scenario/src/scenario-file";

describe("scenario runner: blackout, shortened", () => {
  it("runs both strategies and reports consistent figures, B ahead of A where the lights are out", async () => {
    const scenario = loadScenario("blackout");
    const short = {
      ...scenario,
      arrivals: { ...scenario.arrivals, durationSeconds: 60 },
      users: { ...scenario.users, giveUpAfterSeconds: 240 },
    };
    const report = await runScenario(short, { scale: 0.15, sizeFactor: 0.25, logWrite: () => {} });
    const row = (strategy: string, group: string): GroupFigures => {
      const found = report.rows.find((r) => r.strategy === strategy && r.group === group);
      assert.ok(found, `no row ${strategy}/${group}`);
      return found;
    };
    for (const strategy of ["A", "B"]) {
      const all = row(strategy, "all");
      assert.equal(all.users, report.users);
      const districts = short.districts.map((d) => row(strategy, d.name));
      assert.equal(
        districts.reduce((n, r) => n + r.users, 0),
        all.users,
      );
      assert.equal(
        districts.reduce((n, r) => n + r.verified, 0),
        all.verified,
      );
      assert.equal(row(strategy, "affected").users + row(strategy, "unaffected").users, all.users);
      for (const r of report.rows.filter((x) => x.strategy === strategy)) {
        assert.ok(
          r.within60s <= r.within5min && r.within5min <= r.verified && r.verified <= r.users,
          `${strategy}/${r.group}`,
        );
        assert.ok(r.verificationsWithFallback <= r.verifications);
        assert.equal(r.sendsByChannel.whatsapp + r.sendsByChannel.sms + r.sendsByChannel.voice, r.sends);
        if (r.p50Seconds !== null) assert.ok(r.p50Seconds <= (r.p95Seconds ?? Infinity));
      }
    }
    assert.equal(row("A", "all").sendsByChannel.whatsapp, 0, "strategy A sends SMS only");
    assert.ok(row("B", "all").verified > 0);
    const a = row("A", "affected");
    const b = row("B", "affected");
    assert.ok(
      b.successRate60s > a.successRate60s,
      `affected districts, verified within 60 s: B ${b.successRate60s} vs A ${a.successRate60s}`,
    );
  });
});

describe("scenario runner: surge, shortened", () => {
  it("refuses past the contracted rate with RetryInfo, and repeated taps send nothing new", async () => {
    const scenario = loadScenario("surge");
    const short = {
      ...scenario,
      arrivals: { ...scenario.arrivals, durationSeconds: 30 },
      users: { ...scenario.users, giveUpAfterSeconds: 120 },
      // Half the shipped capacity, so the shortened crowd is still well past it.
      policy: { limits: { perTenant: { requestsPerSecond: 2, burst: 2 } } },
    };
    const report = await runScenario(short, { scale: 0.15, sizeFactor: 0.25, logWrite: () => {} });
    const row = (strategy: string): GroupFigures => {
      const found = report.rows.find((r) => r.strategy === strategy && r.group === "all");
      assert.ok(found, `no row ${strategy}/all`);
      return found;
    };
    for (const strategy of ["A", "B"]) {
      const r = row(strategy);
      assert.equal(r.users, report.users);
      // Past the tenant's rate the crowd is refused: by its rate limit, or first by admission
      // when the machine is busy (then the tenant's share of admission is below its rate).
      assert.ok(
        r.limited + r.shed > 0,
        `${strategy}: the crowd exceeded the tenant's rate, yet nothing was refused`,
      );
      assert.equal(r.shedWithRetryInfo, r.shed + r.limited, `${strategy}: every refusal says when to retry`);
      assert.ok(r.accepted + r.shed + r.limited <= r.startCalls, `${strategy}: answers add up`);
      assert.ok(r.accepted >= r.verifications, `${strategy}: every verification came from an accepted start`);
      assert.ok(r.duplicateSendsAvoided <= r.taps);
      assert.ok(r.verified > 0, `${strategy}: nobody verified`);
      for (const name of Object.keys(r.errors)) {
        assert.ok(!["OTP_INTERNAL", "CLIENT", "UNKNOWN"].includes(name), `${strategy}: error ${name}`);
      }
    }
    const b = row("B");
    assert.ok(b.taps > 0, "some users were impatient");
    assert.equal(b.duplicateSendsAvoided, b.taps, "a repeated start never sends another code");
    // The second tenant is reported apart, before the crowd and beside it, and verifies its users.
    const second = report.rows.filter((r) => r.strategy === "B" && r.group.startsWith("second tenant"));
    assert.deepEqual(
      second.map((r) => r.group),
      ["second tenant, before", "second tenant, beside"],
    );
    assert.ok(second.every((r) => r.users > 0 && r.verified > 0));
    assert.equal(row("B").users, report.users, "the main rows count only the main tenant's users");
  });
});
