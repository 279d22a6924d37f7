/**
 * How the simulated SMSC answers one connection: binds with credentials, submit_sm with the
 * scenario's (mis)behaviour, enquire_link, unbind, and generic_nack for what it cannot parse.
 * Strict as an SMSC: a malformed bind or submit_sm is answered with the status an SMSC gives
 * (pdu-check.ts) and never reaches the inbox; a bad command_length or a PDU left incomplete
 * gets generic_nack and the connection closed; a connection that does not bind in time is
 * closed.
 */
import type { BindMode } from "../smsc-connection";
import { concatInfo } from "../sms-encoding";
import { STATUS, commandStatusHex } from "../smpp-status";
import { GENERIC_NACK, WireFrameError, type PduFields, type WirePdu, type WireSession } from "../smpp-wire";
import { TON } from "../submit-sm";
import { normalisePhone } from "./inbox";
import { checkBind, checkEmptyBody, checkSubmitSm } from "./pdu-check";
import { activeOutage, pickStat, profileFor } from "./scenario";
import type { SimSession, SimulatorCore } from "./simulator-state";

const BIND_MODES: Readonly<Record<string, BindMode>> = {
  bind_transceiver: "transceiver",
  bind_transmitter: "transmitter",
  bind_receiver: "receiver",
};

export function attachSimulatorSession(core: SimulatorCore, wire: WireSession): SimSession {
  const session: SimSession = { wire, systemId: undefined, mode: undefined, unanswered: 0, muted: false };
  core.sessions.add(session);
  core.stats.connections++;
  core.later(core.bindTimeoutMs, () => {
    if (session.mode !== undefined || !core.sessions.has(session)) return;
    core.stats.bindTimeouts++;
    wire.destroy();
  });
  wire.onPdu((pdu) => onPdu(core, session, pdu));
  wire.onError((err) => {
    // A bad command_length or an incomplete PDU: the stream cannot be read any further, so say
    // why with a generic_nack, then close. Socket errors just close.
    if (err instanceof WireFrameError && !deaf(core, session)) {
      core.stats.genericNacksSent++;
      wire.nack(err.sequence, err.status);
    }
    wire.close();
  });
  wire.onClose(() => {
    core.stats.unanswered -= session.unanswered;
    core.sessions.delete(session);
  });
  return session;
}

/** A silent scenario, or a muted session, answers nothing. */
function deaf(core: SimulatorCore, session: SimSession): boolean {
  return core.scenario.silent === true || session.muted;
}

/** Answers a malformed PDU with `status`; true when it was malformed. */
function refusedMalformed(core: SimulatorCore, session: SimSession, pdu: WirePdu, status: number): boolean {
  if (status === STATUS.OK) return false;
  const label = commandStatusHex(status);
  core.stats.malformed[label] = (core.stats.malformed[label] ?? 0) + 1;
  respond(core, session, pdu, status);
  return true;
}

function respond(
  core: SimulatorCore,
  session: SimSession,
  pdu: WirePdu,
  status: number,
  fields: PduFields = {},
): void {
  if (deaf(core, session)) return;
  if (pdu.command === "submit_sm") {
    session.unanswered--;
    core.stats.unanswered--;
  }
  session.wire.reply(pdu, fields, status);
}

function onBind(core: SimulatorCore, session: SimSession, pdu: WirePdu, mode: BindMode): void {
  if (session.mode !== undefined) return respond(core, session, pdu, STATUS.ALREADY_BOUND);
  if (pdu.body !== undefined && refusedMalformed(core, session, pdu, checkBind(pdu.body))) {
    core.stats.bindFailures++;
    return;
  }
  const systemId = pdu.string("system_id") ?? "";
  const expected = core.credentials.get(systemId);
  const status =
    expected === undefined
      ? STATUS.INVALID_SYSTEM_ID
      : expected !== pdu.string("password")
        ? STATUS.INVALID_PASSWORD
        : STATUS.OK;
  if (status !== STATUS.OK) {
    core.stats.bindFailures++;
    return respond(core, session, pdu, status);
  }
  session.systemId = systemId;
  session.mode = mode;
  core.stats.binds++;
  respond(core, session, pdu, STATUS.OK, { system_id: "OTPSIM" });
}

function onSubmit(core: SimulatorCore, session: SimSession, pdu: WirePdu): void {
  if (session.mode === undefined || session.mode === "receiver") {
    session.wire.reply(pdu, {}, STATUS.INVALID_BIND_STATUS);
    return;
  }
  const scenario = core.scenario;
  const n = core.countSubmit();
  core.stats.submitsReceived++;
  session.unanswered++;
  core.stats.unanswered++;
  core.stats.maxUnansweredPerSession = Math.max(core.stats.maxUnansweredPerSession, session.unanswered);
  if (pdu.body !== undefined && refusedMalformed(core, session, pdu, checkSubmitSm(pdu.body))) return;
  if (every(scenario.dropConnectionOnSubmitEvery, n)) {
    core.stats.connectionsDropped++;
    return session.wire.destroy();
  }
  if (every(scenario.unbindOnSubmitEvery, n)) {
    core.stats.unbindsSent++;
    session.wire.send("unbind");
    return core.later(200, () => session.wire.destroy());
  }
  const refusal = refusalStatus(core, session, pdu, n);
  if (refusal !== STATUS.OK) return delayed(core, () => respond(core, session, pdu, refusal));
  accept(core, session, pdu);
}

function refusalStatus(core: SimulatorCore, session: SimSession, pdu: WirePdu, n: number): number {
  const scenario = core.scenario;
  const destination = pdu.string("destination_addr") ?? "";
  const queueFull = scenario.queueFull;
  if (queueFull !== undefined && queueFull.every > 0 && (n - 1) % queueFull.every < queueFull.burst) {
    core.stats.queueFull++;
    return STATUS.MESSAGE_QUEUE_FULL;
  }
  if (!core.withinRate(session.systemId ?? "", Date.now())) {
    core.stats.throttled++;
    return STATUS.THROTTLED;
  }
  const alphanumeric = pdu.number("source_addr_ton") === TON.alphanumeric;
  let status: number = STATUS.OK;
  if (alphanumeric && profileFor(scenario, destination).rejectAlphanumericSender) {
    status = STATUS.INVALID_SOURCE_ADDRESS;
  } else if (activeOutage(scenario, destination, Date.now())?.effect === "submit-fail") {
    status = STATUS.SUBMIT_FAILED;
  }
  if (status !== STATUS.OK) core.stats.refused++;
  return status;
}

function accept(core: SimulatorCore, session: SimSession, pdu: WirePdu): void {
  const scenario = core.scenario;
  const id = core.nextMessageId();
  const responseId = scenario.hexIds ? id.toString(16).toUpperCase() : String(id);
  const phone = normalisePhone(pdu.string("destination_addr") ?? "");
  const sender = {
    ton: pdu.number("source_addr_ton") ?? 0,
    npi: pdu.number("source_addr_npi") ?? 0,
    addr: pdu.string("source_addr") ?? "",
  };
  const shortMessage = pdu.shortMessage();
  const submittedAt = new Date();
  core.stats.accepted++;
  core.inbox.addPart({
    phone,
    from: sender.addr,
    systemId: session.systemId ?? "",
    messageId: responseId,
    text: shortMessage?.text ?? shortMessage?.bytes?.toString("latin1") ?? "",
    concat: concatInfo(shortMessage?.udh ?? []),
    at: submittedAt,
  });
  const profile = profileFor(scenario, phone);
  const outage = activeOutage(scenario, phone, submittedAt.getTime());
  const stat = outage?.effect === "undeliverable" ? "UNDELIV" : pickStat(profile.statusMix, core.random());
  const registered = (pdu.number("registered_delivery") ?? 0) & 0x03;
  const wantsReceipt = registered === 1 || (registered === 2 && stat !== "DELIVRD");
  const job = { systemId: session.systemId ?? "", phone, sender, receiptId: String(id), stat, submittedAt };
  const sendReceipt = (): void => core.sendReceipt(session, job);
  if (scenario.noSubmitResponse) {
    if (wantsReceipt) core.later(profile.receiptDelayMs, sendReceipt);
    return;
  }
  if (scenario.receiptsBeforeResponses) {
    if (wantsReceipt) sendReceipt();
    core.later(Math.max(scenario.responseDelayMs ?? 0, 50), () =>
      respond(core, session, pdu, STATUS.OK, { message_id: responseId }),
    );
    return;
  }
  delayed(core, () => respond(core, session, pdu, STATUS.OK, { message_id: responseId }));
  if (wantsReceipt) core.later(profile.receiptDelayMs, sendReceipt);
}

function delayed(core: SimulatorCore, action: () => void): void {
  const delay = core.scenario.responseDelayMs ?? 0;
  if (delay > 0) core.later(delay, action);
  else action();
}

function onPdu(core: SimulatorCore, session: SimSession, pdu: WirePdu): void {
  if (deaf(core, session)) return;
  if (pdu.isResponse || pdu.command === GENERIC_NACK) return onResponse(core, pdu);
  const bindMode = BIND_MODES[pdu.command];
  if (bindMode !== undefined) return onBind(core, session, pdu, bindMode);
  switch (pdu.command) {
    case "submit_sm":
      return onSubmit(core, session, pdu);
    case "enquire_link":
      core.stats.enquireLinks++;
      if (pdu.body !== undefined && refusedMalformed(core, session, pdu, checkEmptyBody(pdu.body))) return;
      return respond(core, session, pdu, STATUS.OK);
    case "unbind":
      if (pdu.body !== undefined && refusedMalformed(core, session, pdu, checkEmptyBody(pdu.body))) return;
      respond(core, session, pdu, STATUS.OK);
      return session.wire.close();
    case "unknown":
      core.stats.genericNacksSent++;
      session.wire.nack(pdu.sequence, STATUS.INVALID_COMMAND_ID);
      return;
    default:
      if (pdu.command !== "alert_notification" && pdu.command !== "outbind") {
        respond(core, session, pdu, STATUS.INVALID_COMMAND_ID);
      }
  }
}

function onResponse(core: SimulatorCore, pdu: WirePdu): void {
  if (pdu.command !== "deliver_sm_resp") return;
  if (pdu.status === STATUS.OK) core.stats.receiptsAcked++;
  else core.stats.receiptsRefused++;
}

function every(period: number | undefined, n: number): boolean {
  return period !== undefined && period > 0 && n % period === 0;
}
