/**
 * The gateway end to end on real wires: DispatchRequested on Kafka → submit_sm to the SMSC
 * simulator → receipts → DeliveryReported on Kafka; idempotency and crash state in Redis.
 */
import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import { sealedField } from "@platform/crypto/sealer";
import { eventOf } from "@platform/events/envelope";
import { eventually } from "../harness";
import { classOf, statusName, type Report } from "./fixtures";
import { APP_HASH, NUMERIC_SENDER, startStack, type Stack } from "./stack";

let stack: Stack;
const dispatched: Array<{ phone: string; code: string }> = [];

before(async () => {
  stack = await startStack({
    label: "dispatch",
    scenario: {
      default: { receiptDelayMs: 100 },
      routes: [
        { prefix: "62819", statusMix: { UNDELIV: 1 }, receiptDelayMs: 100 },
        { prefix: "62818", rejectAlphanumericSender: true, receiptDelayMs: 100 },
      ],
    },
  });
});

after(async () => {
  await stack?.close();
});

const statuses = (reports: Report[]) => reports.map((r) => statusName(r.report));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it("dispatch → submit → receipt: ACCEPTED then DELIVERED for the attempt, localised text with the code", async () => {
  const sent = await stack.dispatch({ attempt: 2, locale: "id-ID" });
  dispatched.push(sent);
  const reports = await stack.waitForReports(sent.verificationId, "DELIVERED", (r) =>
    statuses(r).includes("DELIVERED"),
  );
  assert.deepEqual(statuses(reports), ["ACCEPTED", "DELIVERED"]);
  const [accepted, delivered] = reports.map((r) => r.report);
  assert.ok(accepted && delivered);
  assert.equal(accepted.attempt, 2);
  assert.equal(delivered.attempt, 2);
  assert.equal(accepted.route, "sms-id");
  assert.equal(accepted.district, "ID-JK");
  assert.equal(accepted.operator, "id-telkomsel");
  assert.match(accepted.providerMessageId, /^\d+$/);
  assert.equal(delivered.providerMessageId, accepted.providerMessageId);
  assert.equal(reports[0]?.causationId, sent.envelope.eventId);

  const [message] = stack.simulator.inbox.messages(sent.phone);
  assert.ok(message, "the handset received the SMS");
  assert.equal(message.from, "BankA");
  // The code the handset shows is the code the test sealed.
  const event = eventOf(sent.envelope, "dispatchRequested");
  const code = stack.sealer.open(event!.code!, sealedField(sent.verificationId, "code"));
  assert.equal(
    message.text,
    `<#> ${code} adalah kode OTP BankA Anda. Berlaku 5 menit. JANGAN berikan kode ini kepada siapa pun.\n${APP_HASH}`,
  );
});

it("the same dispatch delivered twice by the bus sends one SMS", async () => {
  const sent = await stack.dispatch({ locale: "en" });
  dispatched.push(sent);
  await stack.publish(sent);
  await stack.waitForReports(sent.verificationId, "DELIVERED", (r) => statuses(r).includes("DELIVERED"));
  await sleep(1_000);
  assert.equal(stack.simulator.inbox.partCount(sent.phone), 1);
  assert.deepEqual(statuses(stack.reportsOf(sent.verificationId)), ["ACCEPTED", "DELIVERED"]);
  assert.ok(stack.gateways[0]!.snapshot().gateway.dispatchesDuplicate >= 1);
});

it("an expired code is not sent: EXPIRED CODE_EXPIRED", async () => {
  const sent = await stack.dispatch({ ttlMs: -1_000 });
  const [report] = await stack.waitForReports(sent.verificationId, "a report", (r) => r.length > 0);
  assert.equal(statusName(report!.report), "EXPIRED");
  assert.equal(report!.report.reason, "CODE_EXPIRED");
  await sleep(500);
  assert.equal(stack.simulator.inbox.partCount(sent.phone), 0);
});

it("an UNDELIV receipt → FAILED PERMANENT SMPP_DLR_UNDELIV", async () => {
  const sent = await stack.dispatch({ prefix: "62819" });
  dispatched.push(sent);
  const reports = await stack.waitForReports(sent.verificationId, "FAILED", (r) =>
    statuses(r).includes("FAILED"),
  );
  assert.deepEqual(statuses(reports), ["ACCEPTED", "FAILED"]);
  assert.equal(classOf(reports[1]!.report), "PERMANENT");
  assert.equal(reports[1]!.report.reason, "SMPP_DLR_UNDELIV");
});

it("alphanumeric sender refused (0x0A) → resubmitted once with the numeric sender", async () => {
  const sent = await stack.dispatch({ prefix: "62818" });
  dispatched.push(sent);
  const reports = await stack.waitForReports(sent.verificationId, "DELIVERED", (r) =>
    statuses(r).includes("DELIVERED"),
  );
  assert.deepEqual(statuses(reports), ["ACCEPTED", "DELIVERED"]);
  const messages = stack.simulator.inbox.messages(sent.phone);
  assert.equal(messages.length, 1);
  assert.equal(messages[0]?.from, NUMERIC_SENDER);
  assert.equal(stack.gateways[0]!.snapshot().gateway.senderFallbacks, 1);
});

it("a tenant without a numeric sender: refusal → FAILED PERMANENT SMPP_STATUS_0x0000000A", async () => {
  const sent = await stack.dispatch({ prefix: "62818", tenant: "plain" });
  const [report] = await stack.waitForReports(sent.verificationId, "a report", (r) => r.length > 0);
  assert.equal(statusName(report!.report), "FAILED");
  assert.equal(classOf(report!.report), "PERMANENT");
  assert.equal(report!.report.reason, "SMPP_STATUS_0x0000000A");
  assert.equal(stack.simulator.inbox.partCount(sent.phone), 0);
});

it("a long text goes in two parts; DELIVERED once, after the last part", async () => {
  const sent = await stack.dispatch({ tenant: "long-text", locale: "en-SG", country: "SG" });
  dispatched.push(sent);
  const reports = await stack.waitForReports(sent.verificationId, "DELIVERED", (r) =>
    statuses(r).includes("DELIVERED"),
  );
  await sleep(800);
  assert.deepEqual(statuses(stack.reportsOf(sent.verificationId)), ["ACCEPTED", "DELIVERED"]);
  const ids = reports[0]!.report.providerMessageId.split(",");
  assert.equal(ids.length, 2);
  assert.equal(reports[1]!.report.providerMessageId, ids[1], "the last part's receipt ends the attempt");
  const [message] = stack.simulator.inbox.messages(sent.phone);
  assert.equal(message?.parts, 2);
  assert.ok(message?.text.startsWith(`${sent.code} is your LongCo verification code.`));
});

it("receipts before responses: still ACCEPTED first, then DELIVERED", async () => {
  stack.simulator.setScenario({ receiptsBeforeResponses: true, responseDelayMs: 200 });
  try {
    const batch = await Promise.all(
      Array.from({ length: 5 }, () => stack.dispatch({ locale: "ms", country: "MY" })),
    );
    dispatched.push(...batch);
    for (const sent of batch) {
      const reports = await stack.waitForReports(sent.verificationId, "DELIVERED", (r) =>
        statuses(r).includes("DELIVERED"),
      );
      assert.deepEqual(statuses(reports), ["ACCEPTED", "DELIVERED"]);
      assert.match(stack.simulator.inbox.messages(sent.phone)[0]?.text ?? "", /ialah kod OTP BankA anda/);
    }
  } finally {
    stack.simulator.setScenario({ default: { receiptDelayMs: 100 } });
  }
});

it("no submit response: FAILED UNKNOWN SMPP_RESPONSE_TIMEOUT, and not resent", async () => {
  stack.simulator.setScenario({ noSubmitResponse: true, default: { receiptDelayMs: 60_000 } });
  try {
    const sent = await stack.dispatch();
    dispatched.push(sent);
    const [report] = await stack.waitForReports(sent.verificationId, "a report", (r) => r.length > 0);
    assert.equal(statusName(report!.report), "FAILED");
    assert.equal(classOf(report!.report), "UNKNOWN");
    assert.equal(report!.report.reason, "SMPP_RESPONSE_TIMEOUT");
    await sleep(2_500);
    assert.equal(stack.simulator.inbox.partCount(sent.phone), 1, "sent once, never again");
    assert.equal(stack.reportsOf(sent.verificationId).length, 1);
  } finally {
    stack.simulator.setScenario({ default: { receiptDelayMs: 100 } });
  }
});

it("metrics per bind: state, window, submits, latency, command_status and receipt counts", async () => {
  const snapshot = stack.gateways[0]!.snapshot();
  const [bind] = snapshot.binds;
  assert.ok(bind);
  assert.equal(bind.name, "sim-1");
  assert.equal(bind.state, "bound");
  assert.equal(bind.window, 10);
  assert.ok((bind.commandStatus["0x00000000"] ?? 0) >= 8);
  assert.equal(bind.commandStatus["0x0000000A"], 2);
  assert.equal(bind.commandStatus.timeout, 1);
  assert.ok(bind.submitLatencyMs.count >= 11);
  assert.ok((bind.receiptStatus.DELIVRD ?? 0) >= 6);
  assert.equal(bind.receiptStatus.UNDELIV, 1);
  assert.ok(bind.receiptLatencyMs.count >= 7);
  assert.ok(bind.submitsPerSecond > 0);
});

it("no code and no full phone number in the logs", async () => {
  await eventually("some logs", () => stack.logs.length > 10);
  const text = stack.logs.join("\n");
  for (const { phone, code } of dispatched) {
    assert.doesNotMatch(text, new RegExp(`(?<![0-9])${code}(?![0-9])`), "a code in the logs");
    assert.ok(!text.includes(phone), "a full phone number in the logs");
  }
  assert.ok(!text.includes("s3cret"), "the SMPP password in the logs");
  assert.match(text, /sms accepted by the SMSC/);
});
