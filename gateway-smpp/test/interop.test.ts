/**
 * Interoperability with an SMPP implementation we did not write: Perl's Net::SMPP (Debian
 * package libnet-smpp-perl). Fails with a clear message when it is not installed.
 */
import assert from "node:assert/strict";
import { it } from "node:test";
import type { DeliveryReceipt } from "../src/delivery-receipt";
import { parseReceiptText } from "../src/delivery-receipt";
import { encodeSms } from "../src/sms-encoding";
import { createSmscSession } from "../src/smsc-session";
import { PASSWORD, SYSTEM_ID, eventually, randomPhone, startSimulator } from "./harness";
import { requireNetSmpp, runPerl } from "./interop/perl";

it("a Net::SMPP ESME binds to our simulator, submits and gets its receipt", async () => {
  requireNetSmpp();
  const simulator = await startSimulator({ default: { receiptDelayMs: 20 } });
  try {
    const phone = randomPhone();
    const perl = runPerl("net-smpp-esme.pl", [
      String(simulator.port),
      SYSTEM_ID,
      PASSWORD,
      phone,
      "Perl code 424242",
    ]);
    const code = await perl.exited;
    assert.equal(code, 0, `perl ESME failed: ${perl.stderr()}`);
    const response = perl.lines.find((l) => l.startsWith("submit_sm_resp "))?.split(" ");
    assert.equal(response?.[1], "0");
    const messageId = response?.[2];
    const receipt = perl.lines.find((l) => l.startsWith("receipt "));
    assert.match(receipt ?? "", /esm_class=4 /);
    assert.equal(parseReceiptText(receipt ?? "").id, messageId);
    assert.equal(parseReceiptText(receipt ?? "").stat, "DELIVRD");
    assert.deepEqual(
      simulator.inbox.messages(phone).map((m) => [m.from, m.text]),
      [["PerlBank", "Perl code 424242"]],
    );
    assert.equal(simulator.stats().receiptsAcked, 1);
  } finally {
    await simulator.close();
  }
});

it("our session binds to a Net::SMPP SMSC, submits and matches its receipt", async () => {
  requireNetSmpp();
  const perl = runPerl("net-smpp-smsc.pl", []);
  await eventually("perl SMSC listening", () => perl.lines.some((l) => l.startsWith("listening ")), 10_000);
  const port = Number(perl.lines.find((l) => l.startsWith("listening "))?.split(" ")[1]);
  const receipts: DeliveryReceipt[] = [];
  const session = createSmscSession({
    name: "perl-smsc",
    host: "127.0.0.1",
    port,
    bind: { mode: "transceiver", systemId: "otp-router", password: "pw" },
    messagesPerSecond: 10,
    window: 2,
    onReceipt: (receipt) => receipts.push(receipt),
  });
  try {
    const text = "Your code is 424242 [5 min]";
    const result = await session.submit({
      source: "MyBank",
      destination: "+6281234567",
      text,
      validityPeriodSeconds: 300,
    });
    assert.deepEqual(result.messageIds, ["ABC123"]);
    await eventually("receipt from the Perl SMSC", () => receipts.length === 1);
    assert.equal(receipts[0]?.status, "delivered");
    assert.equal(receipts[0]?.messageId, "ABC123");
    const submit = perl.lines.find((l) => l.startsWith("submit_sm "));
    const expectedBytes = encodeSms(text, { reference: 0 }).parts[0]?.toString("hex");
    assert.equal(
      submit,
      `submit_sm ton=5 npi=0 src=MyBank dst=6281234567 dcs=0 esm=0 validity=000000000500000R sm=${expectedBytes}`,
    );
    assert.ok(perl.lines.includes("bind otp-router pw"));
  } finally {
    await session.close();
    await perl.exited;
    perl.child.kill();
  }
  assert.ok(perl.lines.includes("unbind"), "graceful unbind reached the Perl SMSC");
});

it("a Net::SMPP SMSC speaks first: enquire_link, alert_notification, an MO message, unbind; we answer and rebind", async () => {
  requireNetSmpp();
  const perl = runPerl("net-smpp-smsc-initiated.pl", []);
  await eventually("perl SMSC listening", () => perl.lines.some((l) => l.startsWith("listening ")), 10_000);
  const port = Number(perl.lines.find((l) => l.startsWith("listening "))?.split(" ")[1]);
  const receipts: DeliveryReceipt[] = [];
  const logged: string[] = [];
  const record = (message: string, fields?: Record<string, unknown>) =>
    void logged.push(`${message} ${JSON.stringify(fields ?? {})}`);
  const session = createSmscSession({
    name: "perl-smsc-initiated",
    logger: { info: record, warn: record },
    host: "127.0.0.1",
    port,
    bind: { mode: "transceiver", systemId: "otp-router", password: "pw" },
    messagesPerSecond: 10,
    window: 2,
    reconnect: { initialMs: 50, maxMs: 500 },
    onReceipt: (receipt) => receipts.push(receipt),
  });
  try {
    await eventually(
      `bound twice (the Perl SMSC printed: ${perl.lines.join(" | ")}; ${perl.stderr()})`,
      () => perl.lines.filter((l) => l === "bound").length === 2,
      15_000,
    );
    await session.waitUntilBound(5_000);
    assert.ok(perl.lines.includes("enquire_link_resp 0"), "enquire_link answered");
    assert.ok(perl.lines.includes("deliver_sm_resp 0"), "the MO deliver_sm answered");
    assert.ok(perl.lines.includes("unbind_resp 0"), "the SMSC's unbind answered");
    const { counters } = session.stats();
    assert.equal(counters.mobileOriginated, 1, "the MO message is counted as one");
    assert.equal(counters.receipts + counters.unparsedReceipts, 0, "not mistaken for a receipt");
    assert.equal(receipts.length, 0);
    assert.equal(counters.binds, 2, "bound again after the SMSC's unbind");
    assert.equal(counters.alertNotifications, 1, "the alert_notification is counted");
    const alert = logged.find((line) => line.startsWith("smpp alert_notification "));
    assert.match(alert ?? "", /"handset":"\+62812\*\*\*\*7890"/, "logged with the number masked");
    assert.ok(!logged.some((line) => line.includes("6281234567890")), "the full number is never logged");
  } finally {
    await session.close();
    await perl.exited;
    perl.child.kill();
  }
  assert.ok(perl.lines.includes("unbind"), "graceful unbind of the second bind");
  assert.equal(perl.stderr(), "", "the Perl SMSC saw no protocol error (alert_notification left unanswered)");
});
