/**
 * What an HTTP channel connector (WhatsApp, voice) takes and gives: a dispatch already decoded
 * from DispatchRequested (plain phone and code, opened by the caller) and receipts shaped like
 * DeliveryReported. dispatch-envelopes.ts converts both from and to events.
 */
import type { Channel, DeliveryStatus, FailureClass } from "@proto/otp/v1/common";

export interface ChannelDispatch {
  verificationId: string;
  attempt: number;
  tenant: string;
  /** E.164, with or without "+". */
  phone: string;
  code: string;
  /** BCP 47, e.g. "id-ID". */
  locale: string;
  /** The code's expiry: nothing is sent after it. */
  expiresAt: Date;
  district: string;
  /** Operator guessed from the number prefix, copied into receipts ("" when unknown). */
  operator?: string;
  purpose?: string;
}

export interface ChannelReceipt {
  verificationId: string;
  attempt: number;
  tenant: string;
  channel: Channel;
  status: DeliveryStatus;
  failureClass: FailureClass;
  /** Stable reason code, e.g. "WHATSAPP_131026", "VOICE_BUSY"; "" when there is nothing to explain. */
  reason: string;
  /** The provider's id for the message or call (wamid, CallSid), "" when nothing was accepted. */
  providerMessageId: string;
  /** When the provider says it happened. */
  providerTime: Date;
  /** The sender or provider that carried it, "" if none. */
  route: string;
  district: string;
  operator: string;
}

export type ReceiptSink = (receipt: ChannelReceipt) => Promise<void>;
