/**
 * Builds the submit_sm PDUs of one message (pure): addresses with their TON/NPI, encoding and
 * concatenation, validity period and receipt request.
 */
import { invalidArgument } from "@domain/errors";
import { encodeSms } from "./sms-encoding";
import type { PduFields } from "./smpp-wire";

export interface SubmitRequest {
  /** Alphanumeric sender ("MyBank", ≤ 11 characters) or a number ("+6281234567890"). */
  source: string;
  /** E.164 number, with or without "+". */
  destination: string;
  text: string;
  /** Becomes a relative validity_period; the SMSC drops the message after it. */
  validityPeriodSeconds?: number;
  /** Ask for a final delivery receipt (default true). */
  registeredDelivery?: boolean;
}

export interface Address {
  ton: number;
  npi: number;
  addr: string;
}

export const TON = { international: 1, alphanumeric: 5 } as const;
export const NPI = { unknown: 0, isdn: 1 } as const;

const NUMERIC = /^\+?[0-9]{1,15}$/;
const ALPHANUMERIC = /^[A-Za-z0-9 .&_-]{1,11}$/;
const MAX_VALIDITY_SECONDS = 30 * 24 * 3600;

export function sourceAddress(source: string): Address {
  if (NUMERIC.test(source)) return { ton: TON.international, npi: NPI.isdn, addr: source.replace("+", "") };
  if (ALPHANUMERIC.test(source) && /[A-Za-z]/.test(source)) {
    return { ton: TON.alphanumeric, npi: NPI.unknown, addr: source };
  }
  throw invalidArgument("source", "must be a number or 1-11 letters, digits, spaces or . & _ -");
}

function destinationAddress(destination: string): Address {
  if (!/^\+?[0-9]{6,15}$/.test(destination)) {
    throw invalidArgument("destination", "must be an E.164 number");
  }
  return { ton: TON.international, npi: NPI.isdn, addr: destination.replace("+", "") };
}

/** Relative SMPP time "YYMMDDhhmmss000R" (here only days, hours, minutes and seconds). */
export function relativeValidity(seconds: number): string {
  if (!Number.isInteger(seconds) || seconds <= 0 || seconds > MAX_VALIDITY_SECONDS) {
    throw invalidArgument("validityPeriodSeconds", `must be an integer in 1..${MAX_VALIDITY_SECONDS}`);
  }
  const two = (n: number): string => String(n).padStart(2, "0");
  const days = Math.floor(seconds / 86400);
  const hours = Math.floor((seconds % 86400) / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  return `0000${two(days)}${two(hours)}${two(minutes)}${two(seconds % 60)}000R`;
}

export interface SubmitSmOptions {
  /** Concatenation reference for this message (0–255). */
  reference: number;
  maxParts?: number;
  serviceType?: string;
}

/** The submit_sm fields of each part, in order. Throws OTP_INVALID_ARGUMENT on bad input. */
export function buildSubmitSms(request: SubmitRequest, options: SubmitSmOptions): PduFields[] {
  const source = sourceAddress(request.source);
  const destination = destinationAddress(request.destination);
  if (request.text.length === 0) throw invalidArgument("text", "must not be empty");
  let encoded;
  try {
    encoded = encodeSms(request.text, { reference: options.reference, maxParts: options.maxParts ?? 10 });
  } catch (err) {
    throw invalidArgument("text", err instanceof Error ? err.message : "cannot be encoded");
  }
  const validity =
    request.validityPeriodSeconds === undefined ? "" : relativeValidity(request.validityPeriodSeconds);
  return encoded.parts.map((shortMessage) => ({
    service_type: options.serviceType ?? "",
    source_addr_ton: source.ton,
    source_addr_npi: source.npi,
    source_addr: source.addr,
    dest_addr_ton: destination.ton,
    dest_addr_npi: destination.npi,
    destination_addr: destination.addr,
    esm_class: encoded.esmClass,
    registered_delivery: request.registeredDelivery === false ? 0 : 1,
    validity_period: validity,
    data_coding: encoded.dataCoding,
    short_message: shortMessage,
  }));
}
