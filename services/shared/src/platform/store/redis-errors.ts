/**
 * The one place where Redis failures become OtpErrors. Anything that means "the state is not
 * reachable right now" is OTP_STATE_UNAVAILABLE (retryable), so callers fail closed and a
 * client may retry; error replies that mean our command or script is wrong are OTP_INTERNAL.
 */
import { OtpError, isOtpError } from "@domain/errors";

// Error replies that a healthy command gets from an unhealthy server or cluster.
const TRANSIENT_REPLY = /^(LOADING|BUSY|READONLY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|NOREPLICAS|OOM|MOVED|ASK)\b/;

function isErrorReply(err: unknown): err is Error {
  return err instanceof Error && err.name === "ReplyError";
}

export function toStoreError(err: unknown, operation: string): OtpError {
  if (isOtpError(err)) return err;
  if (isErrorReply(err) && !TRANSIENT_REPLY.test(err.message)) {
    return new OtpError("OTP_INTERNAL", `${operation} failed`, { cause: err });
  }
  // Connection refused or closed, command timeout, offline client, cluster down... A Redis
  // Cluster fails a master over within a few seconds: clients are told to wait about one.
  return new OtpError("OTP_STATE_UNAVAILABLE", "hot state store unavailable", {
    cause: err,
    retryAfterMs: 1_000,
  });
}
