/**
 * Typed handlers for service implementations. A service is written as
 *
 *   server.addService(IssuanceServiceService, {
 *     startVerification: unary(async (req, ctx) => issuance.start(requireTenant(ctx.identity), req)),
 *     watchVerification: serverStream(async (req, ctx, send) => { ... await send(update) ... }),
 *     ...
 *   });
 *
 * and the request / response types come from the generated service definition.
 */
import type { Metadata, MethodDefinition } from "@grpc/grpc-js";
import type { CallerIdentity } from "./identity";

export interface CallContext {
  identity: CallerIdentity;
  /** When the call must be answered: the client's deadline, or the server's default budget. */
  deadline: Date;
  /** Request metadata without the authorization header. */
  metadata: Metadata;
  /** Aborted when the client cancels or the deadline passes. */
  signal: AbortSignal;
}

export interface UnaryHandler<Req, Res> {
  readonly kind: "unary";
  readonly handle: (request: Req, ctx: CallContext) => Promise<Res>;
}

/** Writes one message, waiting while the transport is full; rejects once the call is over. */
export type Send<Res> = (response: Res) => Promise<void>;

export interface ServerStreamHandler<Req, Res> {
  readonly kind: "serverStream";
  /** The stream ends when the promise resolves, and fails with its error when it rejects. */
  readonly handle: (request: Req, ctx: CallContext, send: Send<Res>) => Promise<void>;
}

export function unary<Req, Res>(
  handle: (request: Req, ctx: CallContext) => Promise<Res>,
): UnaryHandler<Req, Res> {
  return { kind: "unary", handle };
}

export function serverStream<Req, Res>(
  handle: (request: Req, ctx: CallContext, send: Send<Res>) => Promise<void>,
): ServerStreamHandler<Req, Res> {
  return { kind: "serverStream", handle };
}

type HandlerFor<M> =
  M extends MethodDefinition<infer Req, infer Res>
    ? M["requestStream"] extends true
      ? never // client and bidi streaming are not used by our APIs
      : M["responseStream"] extends true
        ? ServerStreamHandler<Req, Res>
        : UnaryHandler<Req, Res>
    : never;

/** One typed handler per method of the definition. */
export type ServiceHandlers<S> = { [K in keyof S]: HandlerFor<S[K]> };
