/**
 * Typed errors with stable codes. Adapters map them in one place each:
 * gRPC status (services/shared/src/platform/grpc/status.ts), Kafka retry / dead-letter (bus).
 */
export const ERROR_CODES = {
  OTP_INVALID_ARGUMENT: { retryable: false },
  OTP_INVALID_PHONE: { retryable: false },
  OTP_UNAUTHENTICATED: { retryable: false },
  OTP_PERMISSION_DENIED: { retryable: false },
  OTP_NOT_FOUND: { retryable: false },
  OTP_ALREADY_EXISTS: { retryable: false },
  OTP_FAILED_PRECONDITION: { retryable: false },
  /** No channel the purpose allows can serve this number and device (BadRequest names the field). */
  OTP_NO_ALLOWED_CHANNEL: { retryable: false },
  /** An idempotency key reused with other parameters than its first request's. */
  OTP_IDEMPOTENCY_MISMATCH: { retryable: false },
  OTP_RATE_LIMITED: { retryable: true },
  /** A server limit on what one call or caller may hold: metadata size, open streams per tenant. */
  OTP_LIMIT_EXCEEDED: { retryable: false },
  OTP_OVERLOADED: { retryable: true },
  OTP_FRAUD_BLOCKED: { retryable: false },
  OTP_DESTINATION_BLOCKED: { retryable: false },
  OTP_STATE_UNAVAILABLE: { retryable: true },
  OTP_DEPENDENCY_UNAVAILABLE: { retryable: true },
  /** The call ran out of its time budget; the outcome may or may not have happened. */
  OTP_DEADLINE_EXCEEDED: { retryable: true },
  OTP_INTERNAL: { retryable: false },
  CONFIG_INVALID: { retryable: false },
  SMPP_THROTTLED: { retryable: true },
  SMPP_QUEUE_FULL: { retryable: true },
  SMPP_RESPONSE_TIMEOUT: { retryable: false },
  SMPP_SUBMIT_FAILED: { retryable: false },
  SMPP_NOT_BOUND: { retryable: true },
  CHANNEL_PROVIDER_ERROR: { retryable: true },
  EVENT_DECODE_FAILED: { retryable: false },
  EVENT_SCHEMA_UNSUPPORTED: { retryable: false },
  /** An event without a valid MAC of a known producer key (ADR 0010). */
  EVENT_UNAUTHENTICATED: { retryable: false },
  /** An event MACed by a service that does not own its type, or published by one. */
  EVENT_NOT_OWNED: { retryable: false },
} as const satisfies Record<string, { retryable: boolean }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface FieldViolation {
  field: string;
  description: string;
}

export interface OtpErrorOptions {
  cause?: unknown;
  /** When the client should retry (rate limits, shedding): becomes gRPC RetryInfo. */
  retryAfterMs?: number;
  /** Invalid request fields: becomes gRPC BadRequest. */
  violations?: FieldViolation[];
  /** Overrides the code's default. */
  retryable?: boolean;
}

/**
 * An error with a stable `code`. The message must be safe to show to a client: it never
 * contains a code, a full phone number or message text.
 */
export class OtpError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly violations: readonly FieldViolation[];

  constructor(code: ErrorCode, message: string, options: OtpErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "OtpError";
    this.code = code;
    this.retryable = options.retryable ?? ERROR_CODES[code].retryable;
    this.retryAfterMs = options.retryAfterMs;
    this.violations = options.violations ?? [];
  }
}

export function isOtpError(err: unknown): err is OtpError {
  return err instanceof OtpError;
}

/** Wraps anything thrown into an OtpError, keeping the original as `cause`. */
export function toOtpError(err: unknown, fallback: ErrorCode = "OTP_INTERNAL"): OtpError {
  if (err instanceof OtpError) return err;
  return new OtpError(fallback, fallback === "OTP_INTERNAL" ? "internal error" : String(fallback), {
    cause: err,
  });
}

export function invalidArgument(field: string, description: string): OtpError {
  return new OtpError("OTP_INVALID_ARGUMENT", `${field}: ${description}`, {
    violations: [{ field, description }],
  });
}
