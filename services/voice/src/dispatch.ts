/**
 * What the connector takes and gives: a dispatch already decoded from DispatchRequested (plain
 * phone and code, decrypted by the caller) and receipts shaped like DeliveryReported.
 */
import type { Channel, DeliveryStatus, FailureClass } from "../../../proto/gen/otp/v1/common";

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
  purpose?: string;
}

export interface ChannelReceipt {
  verificationId: string;
  attempt: number;
  channel: Channel;
  status: DeliveryStatus;
  failureClass: FailureClass;
  /** Stable reason code, e.g. "VOICE_BUSY"; "" when there is nothing to explain. */
  reason: string;
  /** The provider's call id (Twilio CallSid), "" when no call was placed. */
  providerMessageId: string;
  /** When the provider says it happened. */
  providerTime: Date;
  /** The voice provider that placed the call. */
  route: string;
  district: string;
}

export type ReceiptSink = (receipt: ChannelReceipt) => Promise<void>;
