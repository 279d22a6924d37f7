/**
 * gRPC clients for our services (and tools such as the CLI). Every call gets a deadline (the
 * caller's, else a default per kind of call) and, when configured, the bearer token.
 */
import * as grpc from "@grpc/grpc-js";
import { OtpError } from "@domain/errors";

export interface ClientTls {
  /** PEM of the CA that signed the server's certificate. */
  ca: Buffer;
  /** PEM client certificate chain and key, for mTLS. */
  cert?: Buffer;
  key?: Buffer;
  /** Name to check the server certificate against when it differs from the address host. */
  serverName?: string;
}

interface CommonClientOptions {
  address: string;
  token?: string;
  /** Deadline for unary calls made without one. */
  defaultDeadlineMs?: number;
  /** Deadline for server streams opened without one. */
  defaultStreamDeadlineMs?: number;
  maxReceiveMessageBytes?: number;
  maxSendMessageBytes?: number;
  /** Ping an idle connection this often (keep it under the server's idle limits). */
  keepaliveTimeMs?: number;
  /**
   * A connection of this client's own. grpc-js otherwise shares one connection between the
   * clients of a process that dial the same address with the same credentials, and a connection
   * carries at most the server's concurrent-stream limit of calls at once.
   */
  ownConnection?: boolean;
}

export type GrpcClientOptions = CommonClientOptions &
  ({ tls: ClientTls; insecure?: undefined } | { insecure: true; tls?: undefined });

export type ClientConstructor<C extends grpc.Client> = new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: Partial<grpc.ClientOptions>,
) => C;

const DEFAULTS = {
  defaultDeadlineMs: 5_000,
  defaultStreamDeadlineMs: 15 * 60_000,
  maxReceiveMessageBytes: 1024 * 1024,
  maxSendMessageBytes: 64 * 1024,
  keepaliveTimeMs: 60_000,
} as const;

export function createClient<C extends grpc.Client>(
  ClientCtor: ClientConstructor<C>,
  options: GrpcClientOptions,
): C {
  const clientOptions: Partial<grpc.ClientOptions> = {
    "grpc.max_receive_message_length": options.maxReceiveMessageBytes ?? DEFAULTS.maxReceiveMessageBytes,
    "grpc.max_send_message_length": options.maxSendMessageBytes ?? DEFAULTS.maxSendMessageBytes,
    "grpc.keepalive_time_ms": options.keepaliveTimeMs ?? DEFAULTS.keepaliveTimeMs,
    ...(options.ownConnection === true ? { "grpc.use_local_subchannel_pool": 1 } : {}),
    interceptors: [
      deadlineInterceptor(
        options.defaultDeadlineMs ?? DEFAULTS.defaultDeadlineMs,
        options.defaultStreamDeadlineMs ?? DEFAULTS.defaultStreamDeadlineMs,
      ),
      ...(options.token === undefined ? [] : [tokenInterceptor(options.token)]),
    ],
  };
  if (options.tls?.serverName !== undefined)
    clientOptions["grpc.ssl_target_name_override"] = options.tls.serverName;
  return new ClientCtor(options.address, credentialsOf(options), clientOptions);
}

function credentialsOf(options: GrpcClientOptions): grpc.ChannelCredentials {
  if (options.tls) {
    const { ca, cert, key } = options.tls;
    if ((cert === undefined) !== (key === undefined)) {
      throw new OtpError("CONFIG_INVALID", "client tls needs both cert and key, or neither");
    }
    return grpc.credentials.createSsl(ca, key ?? null, cert ?? null);
  }
  if (options.insecure === true) return grpc.credentials.createInsecure();
  throw new OtpError("CONFIG_INVALID", "grpc client needs tls or an explicit insecure: true");
}

/** grpc-js has no default deadline: a call to a hung server would wait forever. */
function deadlineInterceptor(unaryMs: number, streamMs: number): grpc.Interceptor {
  return (options, nextCall) => {
    if (options.deadline !== undefined) return new grpc.InterceptingCall(nextCall(options));
    const budget = options.method_definition.responseStream ? streamMs : unaryMs;
    return new grpc.InterceptingCall(nextCall({ ...options, deadline: Date.now() + budget }));
  };
}

function tokenInterceptor(token: string): grpc.Interceptor {
  return (options, nextCall) =>
    new grpc.InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        if (metadata.get("authorization").length === 0) metadata.set("authorization", `Bearer ${token}`);
        next(metadata, listener);
      },
    });
}

/** The request and response types of a generated unary client method (its last overload). */
type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: grpc.Metadata,
  options: Partial<grpc.CallOptions>,
  callback: (error: grpc.ServiceError | null, response: Res) => void,
) => grpc.ClientUnaryCall;

type UnaryMethodNames<C> = {
  [K in keyof C]: C[K] extends UnaryMethod<infer _Req, infer _Res> ? K : never;
}[keyof C];
type RequestOf<M> = M extends UnaryMethod<infer Req, infer _Res> ? Req : never;
type ResponseOf<M> = M extends UnaryMethod<infer _Req, infer Res> ? Res : never;

export interface UnaryCallOptions {
  /** Overrides the client's default deadline for this call. */
  deadlineMs?: number;
  metadata?: grpc.Metadata;
}

/** Calls a unary method and resolves with its response; rejects with the grpc ServiceError. */
export function callUnary<C extends grpc.Client, K extends UnaryMethodNames<C>>(
  client: C,
  method: K,
  request: RequestOf<C[K]>,
  options: UnaryCallOptions = {},
): Promise<ResponseOf<C[K]>> {
  const invoke = client[method] as UnaryMethod<RequestOf<C[K]>, ResponseOf<C[K]>>;
  const callOptions: Partial<grpc.CallOptions> =
    options.deadlineMs === undefined ? {} : { deadline: Date.now() + options.deadlineMs };
  return new Promise((resolve, reject) => {
    invoke.call(client, request, options.metadata ?? new grpc.Metadata(), callOptions, (error, response) => {
      if (error) reject(error);
      else resolve(response);
    });
  });
}
