/**
 * What an SMSC sends on its own, read the same way on every bind we open and on every bind an
 * SMSC asks for with outbind: deliver_sm / data_sm are receipts only when esm_class says so
 * (a mobile-originated message whose text looks like a receipt stays an MO message), and
 * alert_notification is counted and logged with the handset's number masked.
 */
import { maskPhone } from "@domain/privacy";
import { isReceipt, parseDeliveryReceipt, type DeliveryReceipt } from "./delivery-receipt";
import type { SessionCounters } from "./session-counters";
import { STATUS } from "./smpp-status";
import type { WirePdu } from "./smpp-wire";

export interface SmppLogger {
  info(message: string, fields?: Record<string, string | number | boolean>): void;
  warn(message: string, fields?: Record<string, string | number | boolean>): void;
}

export interface InboundHandlers {
  /** deliver_sm / data_sm: returns the command_status to answer with. */
  onInbound: (pdu: WirePdu) => number;
  /** alert_notification (answered with nothing: SMPP defines no response). */
  onAlertNotification: (pdu: WirePdu) => void;
}

export interface InboundOptions {
  /** The bind, in logs and in what the callbacks get. */
  name: string;
  counters: SessionCounters;
  log: SmppLogger;
  onReceipt?: (receipt: DeliveryReceipt, bindName: string) => void;
  onAlertNotification?: (bindName: string) => void;
  now?: () => number;
}

/** ms_availability_status (SMPP 3.4 §5.3.2.30): what the SMSC says about the handset. */
const AVAILABILITY: Readonly<Record<number, string>> = { 0: "available", 1: "denied", 2: "unavailable" };

export function createInboundHandlers(options: InboundOptions): InboundHandlers {
  const { counters, log, name } = options;
  const now = options.now ?? Date.now;
  return {
    onInbound: (pdu) => {
      const shortMessage = pdu.shortMessage();
      const esmClass = pdu.number("esm_class") ?? 0;
      const receipt = parseDeliveryReceipt({
        esmClass,
        receiptedMessageId: pdu.string("receipted_message_id"),
        messageState: pdu.number("message_state"),
        text: shortMessage?.text ?? shortMessage?.bytes?.toString("latin1"),
      });
      if (receipt !== undefined) {
        counters.receipts++;
        options.onReceipt?.({ ...receipt, receivedAtMs: now() }, name);
      } else if (isReceipt(esmClass)) {
        counters.unparsedReceipts++;
        log.warn("unparsable delivery receipt", { session: name });
      } else {
        counters.mobileOriginated++;
      }
      return STATUS.OK;
    },
    onAlertNotification: (pdu) => {
      counters.alertNotifications++;
      const status = pdu.number("ms_availability_status");
      // The handset's number only masked: it is a person's number, like any destination.
      log.info("smpp alert_notification", {
        session: name,
        handset: maskPhone(pdu.string("source_addr") ?? ""),
        availability:
          status === undefined ? "not given" : (AVAILABILITY[status] ?? `0x${status.toString(16)}`),
      });
      options.onAlertNotification?.(name);
    },
  };
}
