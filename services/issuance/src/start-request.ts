/**
 * Validation of StartVerification requests: every problem is reported at once, as field
 * violations (gRPC BadRequest), with messages that never echo a full phone number.
 */
import { isIP } from "node:net";
import { Channel } from "@proto/otp/v1/common";
import type { StartVerificationRequest } from "@proto/otp/v1/issuance";
import type { TransactionBindingInput } from "@platform/crypto/code-hash";
import { validateTransaction } from "@platform/crypto/transaction-binding";
import { OtpError, type FieldViolation } from "@domain/errors";
import { parseE164, type ParsedPhoneNumber } from "@domain/numbering";
import { createDistrictSet, type DistrictSet } from "@domain/districts";

export interface StartInput {
  phone: ParsedPhoneNumber;
  purpose: string;
  locale: string;
  district: string;
  channelPreference: Channel;
  transaction: TransactionBindingInput | undefined;
  idempotencyKey: string;
  clientIp: string;
  deviceId: string;
  resendIfActive: boolean;
  mobileData: boolean;
}

const PURPOSE = /^[a-z][a-z0-9_]{0,39}$/;
const LOCALE = /^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8}){0,3}$/;
const DISTRICT = /^[A-Za-z0-9._-]{1,64}$/;
const PRINTABLE = /^[\x20-\x7e]+$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
const KNOWN_CHANNELS = new Set<number>([
  Channel.CHANNEL_UNSPECIFIED,
  Channel.CHANNEL_WHATSAPP,
  Channel.CHANNEL_SMS,
  Channel.CHANNEL_VOICE,
]);
// Silent authentication is not a preference a user states: the workflow puts it first or not.

const DEFAULT_DISTRICT_SET = createDistrictSet();

/** The hint becomes one of the platform's districts (or `other` / `unknown`): see districts.ts. */
export function validateStart(
  req: StartVerificationRequest,
  districts: DistrictSet = DEFAULT_DISTRICT_SET,
): StartInput {
  const violations: FieldViolation[] = [];
  const phone = parseE164(req.phone);
  if (!phone.ok) violations.push({ field: "phone", description: phone.reason });
  if (!PURPOSE.test(req.purpose)) {
    violations.push({ field: "purpose", description: "must be a purpose name such as login or transaction" });
  }
  if (req.locale !== "" && (!LOCALE.test(req.locale) || req.locale.length > 35)) {
    violations.push({ field: "locale", description: "must be a BCP 47 tag such as id-ID or en" });
  }
  if (req.districtHint !== "" && !DISTRICT.test(req.districtHint)) {
    violations.push({
      field: "district_hint",
      description: "must be 1-64 of letters, digits, '.', '_' or '-'",
    });
  }
  if (!KNOWN_CHANNELS.has(req.channelPreference)) {
    violations.push({ field: "channel_preference", description: "unknown channel" });
  }
  const transaction = validateTransaction(req.transaction, "transaction", violations);
  if (req.idempotencyKey !== "" && (req.idempotencyKey.length > 128 || !PRINTABLE.test(req.idempotencyKey))) {
    violations.push({ field: "idempotency_key", description: "must be 1-128 printable ASCII characters" });
  }
  const clientIp = req.client?.ip ?? "";
  if (clientIp !== "" && isIP(clientIp) === 0)
    violations.push({ field: "client.ip", description: "must be an IP address" });
  const deviceId = req.client?.deviceId ?? "";
  if (deviceId.length > 128 || CONTROL.test(deviceId)) {
    violations.push({ field: "client.device_id", description: "must be at most 128 printable characters" });
  }

  if (violations.length > 0 || !phone.ok) {
    const code =
      violations.length === 1 && violations[0]?.field === "phone"
        ? "OTP_INVALID_PHONE"
        : "OTP_INVALID_ARGUMENT";
    const message = violations.map((v) => `${v.field}: ${v.description}`).join("; ");
    throw new OtpError(code, message, { violations });
  }
  return {
    phone,
    purpose: req.purpose,
    // Resolved against the tenant's policy (resolveLocale) once the tenant's policy is at hand.
    locale: req.locale,
    district: districts.bound(req.districtHint),
    channelPreference: req.channelPreference,
    transaction,
    idempotencyKey: req.idempotencyKey,
    clientIp,
    deviceId,
    resendIfActive: req.resendIfActive,
    mobileData: req.mobileData,
  };
}
