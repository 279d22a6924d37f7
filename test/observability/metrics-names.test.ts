/**
 * Every metric the Grafana dashboards and the Prometheus rules use is exported by the code:
 * the services run on real Kafka, Redis and SMPP, each with its own registry and /metrics
 * listener, do real work (a verified code, a wrong code, an undeliverable SMS, a rate-limited
 * tenant), and their scrapes must declare every referenced name and carry samples of it with
 * the labels the queries match on.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { status as GrpcStatus, type ServiceError } from "@grpc/grpc-js";
import { FallbackReason } from "@proto/otp/events/v1/events";
import { Channel } from "@proto/otp/v1/common";
import { StartVerificationRequest } from "@proto/otp/v1/issuance";
import { CheckCodeRequest, CheckResult } from "@proto/otp/v1/verification";
import { callUnary } from "@platform/grpc/client";
import { fallbackMetrics, recordFallback } from "@services/routing/src/partition/fallback-metrics";
import { createMetrics } from "@platform/telemetry/metrics";
import { dashboardQueries, ruleQueries, type Query } from "./dashboard-queries";
import { randomPhone, startOtpStack, TOKENS, type OtpStack } from "./otp-stack";
import { baseName, selectorsIn, type Selector } from "./promql-names";
import { parseExposition, scrape, type Scrape } from "./scrape";

const UNDELIVERABLE_PREFIX = "+62813";

let stack: OtpStack;
let scrapes: Record<string, Scrape>;

const start = (token: string, phone: string) =>
  callUnary(
    stack.issuance(token),
    "startVerification",
    StartVerificationRequest.fromPartial({
      phone,
      purpose: "login",
      locale: "id",
      districtHint: "ID-JK-JKS",
    }),
  );
const check = (id: string, code: string) =>
  callUnary(
    stack.verification(TOKENS.acme),
    "checkCode",
    CheckCodeRequest.fromPartial({ target: { $case: "verificationId", value: id }, code }),
  );

async function scrapeAll(): Promise<Record<string, Scrape>> {
  const entries = await Promise.all(
    Object.entries(stack.metricsUrls).map(
      async ([service, url]) => [service, (await scrape(url)).parsed] as const,
    ),
  );
  return Object.fromEntries(entries);
}

const hasSamples = (all: Record<string, Scrape>, name: string) =>
  Object.values(all).some((s) => s.series.has(name));

before(async () => {
  // No number has WhatsApp (routing falls back to SMS); one prefix's SMS are undeliverable.
  stack = await startOtpStack("metrics", {
    whatsapp: { notOnWhatsApp: ["62"] },
    smsc: { routes: [{ prefix: UNDELIVERABLE_PREFIX.slice(1), statusMix: { UNDELIV: 1 } }] },
  });
  // A verification: one wrong code, then the right one.
  const phone = randomPhone();
  const id = (await start(TOKENS.acme, phone)).verification!.verificationId;
  const code = await stack.codeFromSms(phone, 30_000);
  const wrong = String((Number(code) + 1) % 10 ** code.length).padStart(code.length, "0");
  assert.equal((await check(id, wrong)).result, CheckResult.CHECK_RESULT_REJECTED);
  assert.equal((await check(id, code)).result, CheckResult.CHECK_RESULT_VERIFIED);
  // An SMS the network cannot deliver.
  await start(TOKENS.acme, randomPhone(UNDELIVERABLE_PREFIX));
  // A tenant over its request rate.
  await start(TOKENS.tight, randomPhone());
  await assert.rejects(start(TOKENS.tight, randomPhone()), (err: ServiceError) => {
    assert.equal(err.code, GrpcStatus.RESOURCE_EXHAUSTED);
    return true;
  });
  // The receipts and the projector's outcomes arrive asynchronously.
  const deadline = Date.now() + 30_000;
  const awaited = ["otp_verified_total", "otp_time_to_deliver_seconds_bucket", "otp_delivery_failures_total"];
  for (;;) {
    scrapes = await scrapeAll();
    if (awaited.every((name) => hasSamples(scrapes, name))) break;
    if (Date.now() > deadline)
      assert.fail(`no samples of ${awaited.filter((n) => !hasSamples(scrapes, n)).join(", ")}`);
    await new Promise((r) => setTimeout(r, 250));
  }
});

after(async () => {
  await stack?.close();
});

function references(): Array<{ query: Query; selector: Selector }> {
  const rules = ruleQueries();
  return [...dashboardQueries(), ...rules.queries]
    .flatMap((query) => selectorsIn(query.expr).map((selector) => ({ query, selector })))
    .filter(({ selector }) => !rules.recorded.has(selector.name));
}

describe("metric names in deploy/ exist in the services' /metrics", () => {
  it("finds queries in every dashboard and rule file", () => {
    const sources = new Set(references().map((r) => r.query.source.split(" › ")[0]));
    for (const file of [
      "overview.json",
      "channel-district.json",
      "smpp-binds.json",
      "fraud-rate-limits.json",
      "recording.yml",
      "alerts.yml",
    ]) {
      assert.ok(sources.has(file), `no metric referenced in ${file}`);
    }
  });

  it("declares every referenced metric", () => {
    const declared = new Set(Object.values(scrapes).flatMap((s) => [...s.declared.keys()]));
    const missing = references().filter(({ selector }) => !declared.has(baseName(selector.name)));
    assert.deepEqual(
      missing.map(({ query, selector }) => `${selector.name} (${query.source})`),
      [],
      "metrics the dashboards or rules use but no service exports",
    );
  });

  it("has samples, with the matched labels, of every referenced metric after real traffic", () => {
    const problems: string[] = [];
    for (const { query, selector } of references()) {
      const labelSets = Object.values(scrapes).flatMap((s) => {
        const labels = s.series.get(selector.name);
        return labels ? [labels] : [];
      });
      if (labelSets.length === 0) {
        problems.push(`${selector.name}: no samples (${query.source})`);
        continue;
      }
      for (const label of selector.labels) {
        if (!labelSets.some((labels) => labels.has(label))) {
          problems.push(`${selector.name}: no label ${label} (${query.source})`);
        }
      }
    }
    assert.deepEqual(problems, []);
  });

  it("uses only recording rules that are defined", () => {
    const { recorded } = ruleQueries();
    const used = [...dashboardQueries(), ...ruleQueries().queries].flatMap((q) =>
      selectorsIn(q.expr)
        .filter((s) => s.name.includes(":"))
        .map((s) => s.name),
    );
    for (const name of used) assert.ok(recorded.has(name), `recording rule ${name} is not defined`);
  });

  it("counts each service's Kafka requests by API: issuance produces, the consumers fetch", async () => {
    const requests = (service: keyof OtpStack["metricsUrls"], api: string): number => {
      const line = new RegExp(`^otp_kafka_requests_total\\{api="${api}",service="${service}"\\} (\\d+)`, "m");
      return Number(line.exec(texts[service])?.[1] ?? 0);
    };
    const texts = Object.fromEntries(
      await Promise.all(
        Object.entries(stack.metricsUrls).map(async ([service, url]) => [service, (await scrape(url)).text]),
      ),
    ) as Record<keyof OtpStack["metricsUrls"], string>;
    assert.ok(requests("issuance", "Produce") >= 2, "issuance wrote its starts");
    assert.ok(requests("gateway-smpp", "Fetch") >= 1, "the gateway fetched its dispatches");
    assert.ok(requests("routing", "EndTxn") >= 1, "routing committed transactions");
  });

  it("exports fallbacks with the labels the rules group by, through the helper routing calls", async () => {
    const metrics = createMetrics({ service: "routing", processMetrics: false });
    recordFallback(metrics.declare(fallbackMetrics), {
      fromChannel: Channel.CHANNEL_WHATSAPP,
      toChannel: Channel.CHANNEL_SMS,
      reason: FallbackReason.FALLBACK_REASON_HARD_FAILURE,
    });
    const exported = parseExposition(await metrics.registry.metrics());
    assert.deepEqual([...exported.series.get("otp_fallbacks_total")!].sort(), [
      "from",
      "reason",
      "service",
      "to",
    ]);
    assert.match(
      await metrics.registry.metrics(),
      /otp_fallbacks_total\{from="whatsapp",to="sms",reason="hard_failure",service="routing"\} 1/,
    );
  });
});
