/**
 * Outbind (SMPP 3.4 §2.2.1) against an SMSC we did not write: Perl's Net::SMPP opens the
 * connection to our listener and sends outbind; we bind on it, and a receipt for a message
 * submitted on one of the account's own binds (to our strict simulator) matches that message.
 */
import assert from "node:assert/strict";
import { it } from "node:test";
import type { DeliveryReceipt } from "../src/delivery-receipt";
import { startOutbindListener, type OutbindListenerOptions } from "../src/outbind-listener";
import { createSmscPool, type PartContext } from "../src/smsc-pool";
import { PASSWORD, SYSTEM_ID, eventually, startSimulator } from "./harness";
import { requireNetSmpp, runPerl } from "./interop/perl";

const SMSC = { systemId: "PERLSMSC", password: "perlpw" };

function listenerOptions(overrides: Partial<OutbindListenerOptions> = {}): OutbindListenerOptions {
  return {
    name: "perl-outbind",
    host: "127.0.0.1",
    port: 0,
    smsc: SMSC,
    bind: { mode: "receiver", systemId: SYSTEM_ID, password: PASSWORD },
    ...overrides,
  };
}

function capture(): { lines: string[]; logger: OutbindListenerOptions["logger"] } {
  const lines: string[] = [];
  const record = (message: string, fields?: Record<string, unknown>) =>
    void lines.push(`${message} ${JSON.stringify(fields ?? {})}`);
  return { lines, logger: { info: record, warn: record } };
}

it("the SMSC outbinds: we answer bind_receiver on its connection, and its receipt matches a message sent on our own bind", async () => {
  requireNetSmpp();
  // Our bind is a transmitter: the simulator has nowhere to send a receipt, the outbind brings it.
  const simulator = await startSimulator({ default: { receiptDelayMs: 20 } });
  const matched: Array<{ part: PartContext<string>; receipt: DeliveryReceipt }> = [];
  const pool = createSmscPool<string>({
    binds: [
      {
        name: "sim-tx",
        host: "127.0.0.1",
        port: simulator.port,
        bind: { mode: "transmitter", systemId: SYSTEM_ID, password: PASSWORD },
        messagesPerSecond: 10,
        window: 2,
      },
    ],
    onReceipt: (part, receipt) => matched.push({ part, receipt }),
  });
  const log = capture();
  const alerts: string[] = [];
  const listener = await startOutbindListener(
    listenerOptions({
      onReceipt: (receipt) => pool.receiptArrived(receipt),
      onAlertNotification: (bind) => alerts.push(bind),
      logger: log.logger,
    }),
  );
  try {
    const sent = await pool.submit({ source: "MyBank", destination: "6281234567890", text: "code 1" }, "v-1");
    const messageId = sent.messageIds[0] ?? "";
    const perl = runPerl("net-smpp-smsc-outbind.pl", [
      String(listener.port),
      SMSC.systemId,
      SMSC.password,
      "ok",
      messageId,
    ]);
    assert.equal(await perl.exited, 0, `Perl SMSC failed: ${perl.lines.join(" | ")} ${perl.stderr()}`);
    assert.ok(perl.lines.includes(`bind bind_receiver ${SYSTEM_ID} ${PASSWORD}`), perl.lines.join(" | "));
    assert.ok(perl.lines.includes("deliver_sm_resp 0"), "the receipt answered");
    assert.ok(perl.lines.includes("unbind_resp 0"), "the SMSC's unbind answered");
    assert.ok(perl.lines.includes("closed"), "we close after the unbind");
    await eventually("receipt matched", () => matched.length === 1);
    assert.equal(matched[0]?.part.context, "v-1");
    assert.equal(matched[0]?.receipt.status, "delivered");
    assert.deepEqual(alerts, ["perl-outbind-1"]);
    const stats = listener.stats();
    assert.equal(stats.counters.binds, 1);
    assert.equal(stats.counters.receipts, 1);
    assert.equal(stats.counters.alertNotifications, 1);
    assert.equal(stats.refused, 0);
    await eventually("the outbind bind is gone after the unbind", () => listener.stats().bound === 0);
    const alert = log.lines.find((line) => line.startsWith("smpp alert_notification "));
    assert.match(alert ?? "", /"handset":"\+62812\*\*\*\*7890".*"availability":"available"/);
    assert.ok(!log.lines.some((line) => line.includes("6281234567890")), "the full number is never logged");
    assert.ok(!log.lines.some((line) => line.includes(SMSC.password)), "the SMSC's password is never logged");
  } finally {
    await listener.close();
    await pool.close();
    await simulator.close();
  }
});

it("an account set to answer outbind with bind_transceiver does so", async () => {
  requireNetSmpp();
  const receipts: DeliveryReceipt[] = [];
  const listener = await startOutbindListener(
    listenerOptions({
      bind: { mode: "transceiver", systemId: SYSTEM_ID, password: PASSWORD },
      onReceipt: (receipt) => receipts.push(receipt),
    }),
  );
  try {
    const perl = runPerl("net-smpp-smsc-outbind.pl", [
      String(listener.port),
      SMSC.systemId,
      SMSC.password,
      "ok",
      "4F2A",
    ]);
    assert.equal(await perl.exited, 0, perl.stderr());
    assert.ok(perl.lines.includes(`bind bind_transceiver ${SYSTEM_ID} ${PASSWORD}`), perl.lines.join(" | "));
    assert.deepEqual(
      receipts.map((r) => [r.messageId, r.status]),
      [["4F2A", "delivered"]],
    );
  } finally {
    await listener.close();
  }
});

it("an outbind with the wrong password gets no bind: the connection is closed", async () => {
  requireNetSmpp();
  const onOutbind: boolean[] = [];
  const listener = await startOutbindListener(listenerOptions({ onOutbind: (ok) => onOutbind.push(ok) }));
  try {
    const perl = runPerl("net-smpp-smsc-outbind.pl", [
      String(listener.port),
      SMSC.systemId,
      SMSC.password,
      "wrong-password",
    ]);
    assert.equal(await perl.exited, 0, perl.stderr());
    assert.deepEqual(perl.lines, ["outbind sent", "closed"], "no bind came back");
    assert.equal(listener.stats().refused, 1);
    assert.equal(listener.stats().counters.binds, 0);
    assert.deepEqual(onOutbind, [false]);
  } finally {
    await listener.close();
  }
});

it("a request other than outbind on an unbound connection gets generic_nack 0x04 and the connection closed", async () => {
  requireNetSmpp();
  const listener = await startOutbindListener(listenerOptions());
  try {
    const perl = runPerl("net-smpp-smsc-outbind.pl", [
      String(listener.port),
      SMSC.systemId,
      SMSC.password,
      "enquire-first",
    ]);
    assert.equal(await perl.exited, 0, perl.stderr());
    assert.deepEqual(perl.lines, ["answer generic_nack 0x04", "closed"]);
    assert.equal(listener.stats().refused, 1);
  } finally {
    await listener.close();
  }
});
