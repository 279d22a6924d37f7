/**
 * The voice provider port. An adapter places a call that reads the code, ends it on request,
 * and turns the provider's signed callbacks into provider-neutral events. Statuses use the
 * common vocabulary of voice APIs (Twilio's names).
 */
import type { IncomingHttpHeaders } from "node:http";
import type { FailureClass } from "@proto/otp/v1/common";
import { OtpError } from "@domain/errors";

export const CALL_STATUSES = [
  "queued",
  "initiated",
  "ringing",
  "in-progress",
  "completed",
  "busy",
  "no-answer",
  "failed",
  "canceled",
] as const;
export type CallStatus = (typeof CALL_STATUSES)[number];

export const FINAL_CALL_STATUSES: ReadonlySet<CallStatus> = new Set([
  "completed",
  "busy",
  "no-answer",
  "failed",
  "canceled",
]);

export interface PlaceCallRequest {
  /** E.164. */
  to: string;
  /** Caller id, E.164. */
  from: string;
  locale: string;
  code: string;
  verificationId: string;
  attempt: number;
  /** Absolute URL for status callbacks. */
  statusCallbackUrl: string;
  /** When set, the call asks for a key press first and reads the code only after it (posted here). */
  gatherUrl?: string;
}

export interface PlacedCall {
  callId: string;
  status: CallStatus;
}

/** A callback as received: the public URL it was sent to, headers and the raw form body. */
export interface SignedRequest {
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface CallStatusEvent {
  callId: string;
  status: CallStatus;
  timestamp: Date;
  /** Order of callbacks for one call (they may arrive out of order). */
  sequence: number;
  durationSeconds: number | undefined;
}

export interface KeyPressEvent {
  callId: string;
  digits: string;
}

export interface CallDocument {
  contentType: string;
  body: string;
}

export interface VoiceProvider {
  /** Route name for receipts, e.g. "twilio". */
  readonly name: string;
  placeCall(request: PlaceCallRequest): Promise<PlacedCall>;
  /** Ends a call: cancels it while queued or ringing, hangs up once answered. */
  cancelCall(callId: string, options: { answered: boolean }): Promise<void>;
  /** Verifies the signature (OTP_UNAUTHENTICATED when wrong) and reads a status callback. */
  parseStatusCallback(request: SignedRequest): CallStatusEvent;
  /** Verifies and reads the key-press callback of the "press 1" prompt. */
  parseKeyPress(request: SignedRequest): KeyPressEvent;
  /** What to play after the key press: the code, or a goodbye when `code` is undefined. */
  keyPressAnswer(locale: string, code: string | undefined): CallDocument;
}

/** A call the provider refused or could not be asked for. */
export class VoiceProviderError extends OtpError {
  constructor(
    readonly reason: string,
    readonly failureClass: FailureClass,
    retryable: boolean,
    readonly httpStatus?: number,
    cause?: unknown,
  ) {
    super("CHANNEL_PROVIDER_ERROR", `voice provider refused the call: ${reason}`, { retryable, cause });
    this.name = "VoiceProviderError";
  }
}
