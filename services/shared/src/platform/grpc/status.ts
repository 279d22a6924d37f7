/**
 * The one place where OtpError codes become gRPC statuses, using gRPC's richer error model:
 * the status message is the OtpError's message (safe by construction) and the
 * `grpc-status-details-bin` trailer holds a google.rpc.Status whose details are
 * google.protobuf.Any values: ErrorInfo (reason = the stable code), RetryInfo when the client
 * should wait, BadRequest when request fields were invalid.
 * See https://grpc.io/docs/guides/error/ and https://google.aip.dev/193.
 */
import { Metadata, status as GrpcCode, type ServiceError, type StatusObject } from "@grpc/grpc-js";
import { Any } from "@proto/google/protobuf/any";
import { BadRequest, ErrorInfo, RetryInfo } from "@proto/google/rpc/error_details";
import { Status as RpcStatus } from "@proto/google/rpc/status";
import { type ErrorCode, type FieldViolation, OtpError, toOtpError } from "@domain/errors";
import type { LogFields, Logger } from "../log";

const ERROR_DOMAIN = "otp-router";
export const STATUS_DETAILS_TRAILER = "grpc-status-details-bin";

const TYPE_URL = {
  errorInfo: "type.googleapis.com/google.rpc.ErrorInfo",
  retryInfo: "type.googleapis.com/google.rpc.RetryInfo",
  badRequest: "type.googleapis.com/google.rpc.BadRequest",
} as const;

/** A Record over every ErrorCode, so adding a code without a status fails to compile. */
const GRPC_CODE_BY_ERROR: Record<ErrorCode, GrpcCode> = {
  OTP_INVALID_ARGUMENT: GrpcCode.INVALID_ARGUMENT,
  OTP_INVALID_PHONE: GrpcCode.INVALID_ARGUMENT,
  OTP_UNAUTHENTICATED: GrpcCode.UNAUTHENTICATED,
  OTP_PERMISSION_DENIED: GrpcCode.PERMISSION_DENIED,
  OTP_NOT_FOUND: GrpcCode.NOT_FOUND,
  OTP_ALREADY_EXISTS: GrpcCode.ALREADY_EXISTS,
  OTP_FAILED_PRECONDITION: GrpcCode.FAILED_PRECONDITION,
  // The request is well formed, but the system is not in a state to serve it (this number, this
  // device's connection, this purpose's channel class): retrying unchanged will not help.
  OTP_NO_ALLOWED_CHANNEL: GrpcCode.FAILED_PRECONDITION,
  OTP_IDEMPOTENCY_MISMATCH: GrpcCode.FAILED_PRECONDITION,
  // Quota of this caller / number: the client must slow down (RetryInfo says how long).
  OTP_RATE_LIMITED: GrpcCode.RESOURCE_EXHAUSTED,
  // A limit the caller must stay under (not a quota that refills): retrying unchanged does not help.
  OTP_LIMIT_EXCEEDED: GrpcCode.RESOURCE_EXHAUSTED,
  // Load shedding is transient and not the caller's fault: UNAVAILABLE is what retry policies retry.
  OTP_OVERLOADED: GrpcCode.UNAVAILABLE,
  // Policy refusals, not malformed requests: the caller may not send to this destination.
  OTP_FRAUD_BLOCKED: GrpcCode.PERMISSION_DENIED,
  OTP_DESTINATION_BLOCKED: GrpcCode.PERMISSION_DENIED,
  OTP_STATE_UNAVAILABLE: GrpcCode.UNAVAILABLE,
  OTP_DEPENDENCY_UNAVAILABLE: GrpcCode.UNAVAILABLE,
  OTP_DEADLINE_EXCEEDED: GrpcCode.DEADLINE_EXCEEDED,
  OTP_INTERNAL: GrpcCode.INTERNAL,
  CONFIG_INVALID: GrpcCode.INTERNAL,
  SMPP_THROTTLED: GrpcCode.UNAVAILABLE,
  SMPP_QUEUE_FULL: GrpcCode.UNAVAILABLE,
  // The submit may have happened: DEADLINE_EXCEEDED is gRPC's "outcome unknown".
  SMPP_RESPONSE_TIMEOUT: GrpcCode.DEADLINE_EXCEEDED,
  SMPP_SUBMIT_FAILED: GrpcCode.INTERNAL,
  SMPP_NOT_BOUND: GrpcCode.UNAVAILABLE,
  CHANNEL_PROVIDER_ERROR: GrpcCode.UNAVAILABLE,
  EVENT_DECODE_FAILED: GrpcCode.INTERNAL,
  EVENT_SCHEMA_UNSUPPORTED: GrpcCode.INTERNAL,
  EVENT_UNAUTHENTICATED: GrpcCode.INTERNAL,
  EVENT_NOT_OWNED: GrpcCode.INTERNAL,
};

/** Server faults: the client learns nothing but "internal error"; the log gets the cause. */
const SERVER_FAULTS: ReadonlySet<GrpcCode> = new Set([
  GrpcCode.INTERNAL,
  GrpcCode.UNKNOWN,
  GrpcCode.DATA_LOSS,
]);
const REFUSALS: ReadonlySet<string> = new Set(["OTP_OVERLOADED", "OTP_RATE_LIMITED"]);
const SERVER_PRESSURE: ReadonlySet<GrpcCode> = new Set([
  GrpcCode.UNAVAILABLE,
  GrpcCode.DEADLINE_EXCEEDED,
  GrpcCode.RESOURCE_EXHAUSTED,
]);
const INTERNAL_MESSAGE = "internal error";

export function grpcCodeFor(code: ErrorCode): GrpcCode {
  return GRPC_CODE_BY_ERROR[code];
}

/** The status (code, message, details trailer) a client receives for this error. */
export function statusFromError(err: OtpError): StatusObject {
  const code = grpcCodeFor(err.code);
  const message = SERVER_FAULTS.has(code) ? INTERNAL_MESSAGE : err.message;
  const details = RpcStatus.encode({ code, message, details: detailsOf(err) }).finish();
  const metadata = new Metadata();
  metadata.set(STATUS_DETAILS_TRAILER, Buffer.from(details));
  return { code, details: message, metadata };
}

/**
 * What admission answers a refused call: OTP_OVERLOADED (UNAVAILABLE) with RetryInfo. Built once
 * per delay by the gate, never per refusal; grpc-js copies the trailers it sends.
 */
export function overloadedStatus(retryAfterMs: number): StatusObject {
  return statusFromError(
    new OtpError("OTP_OVERLOADED", "server overloaded, retry after the delay given", { retryAfterMs }),
  );
}

/**
 * Maps anything a handler threw to the status to send, and writes one log line for the failed
 * call: error level with the cause for server faults, warn for pressure, info for caller errors,
 * debug for shedding and rate limits.
 */
export function toGrpcStatus(thrown: unknown, logger: Logger, fields: LogFields = {}): StatusObject {
  const err = toOtpError(thrown);
  const status = statusFromError(err);
  const line: LogFields = { ...fields, grpcCode: GrpcCode[status.code], reason: err.code };
  if (SERVER_FAULTS.has(status.code)) {
    logger.error("grpc call failed", { ...line, err: describeCause(err, thrown) });
  } else if (REFUSALS.has(err.code)) {
    // Shedding and rate limits are the platform working: in a surge there are thousands a
    // second, which the request metrics count by reason; a log line each would cost more CPU
    // than the refusal itself.
    logger.debug("grpc call refused", line);
  } else if (SERVER_PRESSURE.has(status.code)) {
    // What was unavailable (a Redis node mid-failover, a Kafka leader moving) is the first thing
    // an SRE asks; the cause's message only, no stack, at this volume.
    const cause = err.cause instanceof Error ? err.cause.message : undefined;
    logger.warn("grpc call failed", cause === undefined ? line : { ...line, cause });
  } else {
    logger.info("grpc call failed", line);
  }
  return status;
}

function describeCause(err: OtpError, thrown: unknown): unknown {
  const original = thrown === err && err.cause !== undefined ? err.cause : thrown;
  if (original instanceof Error)
    return { type: original.name, detail: original.message, stack: original.stack };
  return { type: typeof original };
}

/**
 * A dependency away for a moment (Redis, Kafka, a verification still being written) is
 * UNAVAILABLE and retryable: the client is told when to come back even where the error did not
 * say, so a well-behaved client waits instead of retrying at once.
 */
const DEPENDENCY_RETRY_MS = 1_000;

function defaultRetryAfterMs(err: OtpError): number | undefined {
  return err.retryable && grpcCodeFor(err.code) === GrpcCode.UNAVAILABLE ? DEPENDENCY_RETRY_MS : undefined;
}

function detailsOf(err: OtpError): Any[] {
  const details: Any[] = [
    pack(
      TYPE_URL.errorInfo,
      ErrorInfo.encode({
        reason: err.code,
        domain: ERROR_DOMAIN,
        metadata: { retryable: String(err.retryable) },
      }).finish(),
    ),
  ];
  const retryAfterMs = err.retryAfterMs ?? defaultRetryAfterMs(err);
  if (retryAfterMs !== undefined) {
    details.push(
      pack(TYPE_URL.retryInfo, RetryInfo.encode({ retryDelay: durationOf(retryAfterMs) }).finish()),
    );
  }
  if (err.violations.length > 0) {
    const fieldViolations = err.violations.map(({ field, description }) => ({ field, description }));
    details.push(pack(TYPE_URL.badRequest, BadRequest.encode({ fieldViolations }).finish()));
  }
  return details;
}

function pack(typeUrl: string, value: Uint8Array): Any {
  return { typeUrl, value: Buffer.from(value) };
}

function durationOf(ms: number): { seconds: number; nanos: number } {
  const whole = Math.max(0, Math.round(ms));
  return { seconds: Math.floor(whole / 1000), nanos: (whole % 1000) * 1_000_000 };
}

export interface DecodedStatus {
  code: GrpcCode;
  message: string;
  /** ErrorInfo.reason, the stable OtpError code, when the server sent one. */
  reason: string | undefined;
  retryable: boolean | undefined;
  retryAfterMs: number | undefined;
  violations: FieldViolation[];
}

/** Client side: reads the richer error model back from a failed call. */
export function decodeStatusDetails(err: Pick<ServiceError, "code" | "details" | "metadata">): DecodedStatus {
  const decoded: DecodedStatus = {
    code: err.code,
    message: err.details,
    reason: undefined,
    retryable: undefined,
    retryAfterMs: undefined,
    violations: [],
  };
  const raw = err.metadata.get(STATUS_DETAILS_TRAILER)[0];
  if (!Buffer.isBuffer(raw)) return decoded;
  let status: RpcStatus;
  try {
    status = RpcStatus.decode(raw);
  } catch {
    return decoded; // a garbled trailer must not hide the status code itself
  }
  for (const any of status.details) readDetail(any, decoded);
  return decoded;
}

function readDetail(any: Any, into: DecodedStatus): void {
  switch (any.typeUrl) {
    case TYPE_URL.errorInfo: {
      const info = ErrorInfo.decode(any.value);
      if (info.domain !== ERROR_DOMAIN) return;
      into.reason = info.reason;
      const retryable = info.metadata["retryable"];
      if (retryable !== undefined) into.retryable = retryable === "true";
      return;
    }
    case TYPE_URL.retryInfo: {
      const delay = RetryInfo.decode(any.value).retryDelay;
      if (delay) into.retryAfterMs = delay.seconds * 1000 + Math.round(delay.nanos / 1_000_000);
      return;
    }
    case TYPE_URL.badRequest:
      into.violations = BadRequest.decode(any.value).fieldViolations.map(({ field, description }) => ({
        field,
        description,
      }));
      return;
    default:
      return; // details of types we do not know are ignored, as the richer error model allows
  }
}
