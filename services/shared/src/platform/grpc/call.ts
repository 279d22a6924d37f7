/**
 * Runs one typed handler inside a grpc-js call: resolves the caller, enforces the admin role,
 * gives the handler a deadline and an abort signal, and maps whatever it throws through
 * status.ts (which writes the one log line of a failed call). Request bodies are never logged.
 */
import { once } from "node:events";
import type {
  handleServerStreamingCall,
  handleUnaryCall,
  ServerErrorResponse,
  ServerUnaryCall,
  ServerWritableStream,
  StatusObject,
} from "@grpc/grpc-js";
import type { AdmissionGate } from "../admission/gate";
import type { CallClass } from "@domain/admission/decide";
import { OtpError } from "@domain/errors";
import type { LogFields, Logger } from "../log";
import type { CallContext, ServerStreamHandler, UnaryHandler } from "./handlers";
import { type CallerIdentity, hasRole, type IdentityResolver } from "./identity";
import { toGrpcStatus } from "./status";

export interface CallPolicy {
  identities: IdentityResolver;
  logger: Logger;
  /** Budget for unary calls that arrive without a deadline. */
  defaultDeadlineMs: number;
  /** Budget for server streams that arrive without a deadline. */
  defaultStreamDeadlineMs: number;
  /** Consulted first for methods that have an admission class. */
  gate?: AdmissionGate;
  /** Largest request metadata (names and values, in bytes) a call may carry. */
  maxMetadataBytes: number;
}

export interface MethodInfo {
  /** `/otp.v1.IssuanceService/StartVerification`. */
  path: string;
  adminOnly: boolean;
  /** How admission treats the method; none: never refused for load. */
  admission?: CallClass;
}

export function wrapUnary<Req, Res>(
  method: MethodInfo,
  handler: UnaryHandler<Req, Res>,
  policy: CallPolicy,
): handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const admitted = admit(call, method, policy);
    if (admitted.refusal) {
      callback(admitted.refusal);
      return;
    }
    const scope = openScope(call, method, policy, policy.defaultDeadlineMs, admitted.identity);
    const run = async (): Promise<void> => {
      try {
        const ctx = scope.authorize();
        const response = await Promise.race([handler.handle(call.request, ctx), scope.aborted]);
        callback(null, response);
      } catch (err) {
        const status = scope.fail(err);
        if (status) callback(status);
      } finally {
        scope.close();
        if (admitted.gated) policy.gate?.leave();
      }
    };
    void run();
  };
}

export function wrapServerStream<Req, Res>(
  method: MethodInfo,
  handler: ServerStreamHandler<Req, Res>,
  policy: CallPolicy,
): handleServerStreamingCall<Req, Res> {
  return (call) => {
    const admitted = admit(call, method, policy);
    if (admitted.refusal) {
      call.emit("error", asServerError(admitted.refusal));
      return;
    }
    const scope = openScope(call, method, policy, policy.defaultStreamDeadlineMs, admitted.identity);
    const run = async (): Promise<void> => {
      try {
        const ctx = scope.authorize();
        const send = sender(call, ctx.signal);
        await Promise.race([handler.handle(call.request, ctx, send), scope.aborted]);
        call.end();
      } catch (err) {
        const status = scope.fail(err);
        if (status) call.emit("error", asServerError(status));
      } finally {
        scope.close();
        if (admitted.gated) policy.gate?.leave();
      }
    };
    void run();
  };
}

/** What unary calls and server streams share (grpc-js does not export this type). */
type ServerSurfaceCall = Omit<ServerUnaryCall<unknown, unknown>, "request">;

interface Admitted {
  /** Set when the gate refused: answer with it and do nothing else. */
  refusal?: StatusObject;
  /** The gate counted the call in flight: it must hear when the call ends. */
  gated: boolean;
  /** Resolved for the gate's tenant share; reused so the call does not resolve it twice. */
  identity?: CallerIdentity;
}

/**
 * Admission comes before the call's scope (abort controller, deadline timer, listeners) and
 * before any log line: a refused call costs the identity lookup that names its tenant, one
 * decision and one prebuilt status. A caller without a valid identity is not gated here; the
 * scope refuses it as usual.
 */
function admit(call: ServerSurfaceCall, method: MethodInfo, policy: CallPolicy): Admitted {
  if (policy.gate === undefined || method.admission === undefined) return { gated: false };
  let identity: CallerIdentity;
  try {
    identity = policy.identities.resolve(call);
  } catch {
    return { gated: false };
  }
  const refusal = policy.gate.enter(method.admission, identity.tenant ?? identity.principal);
  return refusal === undefined ? { gated: true, identity } : { refusal, gated: false };
}

interface CallScope {
  /** Resolves the identity and role; throws OtpError when the caller may not make this call. */
  authorize(): CallContext;
  /** Rejects when the client cancels or the deadline passes; never resolves. */
  aborted: Promise<never>;
  /** The status to send for a failure, or undefined when the client is gone. */
  fail(err: unknown): StatusObject | undefined;
  close(): void;
}

function openScope(
  call: ServerSurfaceCall,
  method: MethodInfo,
  policy: CallPolicy,
  budgetMs: number,
  resolved?: CallerIdentity,
): CallScope {
  const startedAt = Date.now();
  const deadline = effectiveDeadline(call, startedAt + budgetMs);
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new OtpError("OTP_DEADLINE_EXCEEDED", "deadline exceeded")),
    Math.max(0, deadline.getTime() - Date.now()),
  );
  timer.unref();
  const onCancelled = (): void => controller.abort(new OtpError("OTP_DEADLINE_EXCEEDED", "call cancelled"));
  call.on("cancelled", onCancelled);
  const aborted = new Promise<never>((_, reject) => {
    controller.signal.addEventListener("abort", () => reject(controller.signal.reason as Error), {
      once: true,
    });
  });
  aborted.catch(() => undefined); // observed through Promise.race; never an unhandled rejection
  let identity: CallerIdentity | undefined;

  const logFields = (): LogFields => ({
    method: method.path,
    principal: identity?.principal,
    tenant: identity?.tenant,
    peer: call.getPeer(),
    durationMs: Date.now() - startedAt,
  });

  return {
    aborted,
    authorize() {
      const metadataBytes = metadataSize(call);
      if (metadataBytes > policy.maxMetadataBytes) {
        throw new OtpError(
          "OTP_LIMIT_EXCEEDED",
          `request metadata is ${metadataBytes} bytes, over this server's limit of ${policy.maxMetadataBytes} bytes`,
        );
      }
      identity = resolved ?? policy.identities.resolve(call);
      if (method.adminOnly && !hasRole(identity, "admin")) {
        throw new OtpError("OTP_PERMISSION_DENIED", "admin role required");
      }
      return { identity, deadline, metadata: withoutCredentials(call), signal: controller.signal };
    },
    fail(err) {
      if (call.cancelled) {
        policy.logger.info("grpc call cancelled", logFields());
        return undefined;
      }
      return toGrpcStatus(err, policy.logger, logFields());
    },
    close() {
      clearTimeout(timer);
      call.removeListener("cancelled", onCancelled);
    },
  };
}

/** The client's deadline when it sent one, else the server's default budget. */
function effectiveDeadline(call: ServerSurfaceCall, fallback: number): Date {
  const sent = call.getDeadline();
  const ms = sent instanceof Date ? sent.getTime() : sent;
  return new Date(Number.isFinite(ms) ? ms : fallback);
}

/** Bytes of the request's custom metadata: every key and value (binary values as sent). */
function metadataSize(call: ServerSurfaceCall): number {
  let bytes = 0;
  for (const [key, values] of Object.entries(call.metadata.toJSON())) {
    for (const value of values)
      bytes += key.length + (typeof value === "string" ? Buffer.byteLength(value) : value.length);
  }
  return bytes;
}

function withoutCredentials(call: ServerSurfaceCall): CallContext["metadata"] {
  const metadata = call.metadata.clone();
  metadata.remove("authorization");
  return metadata;
}

function sender<Req, Res>(
  call: ServerWritableStream<Req, Res>,
  signal: AbortSignal,
): (response: Res) => Promise<void> {
  return async (response) => {
    signal.throwIfAborted();
    if (call.write(response)) return;
    await once(call, "drain", { signal }); // backpressure: a slow client must not grow our memory
  };
}

function asServerError(status: StatusObject): ServerErrorResponse {
  return Object.assign(new Error(status.details), status);
}
