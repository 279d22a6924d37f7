/**
 * The gRPC server every service runs: mTLS (or insecure for local development), caller
 * identity on every call, an admin role for admin RPCs, deadlines, small message limits,
 * keepalive, health checking and reflection.
 *
 * Health: `start()` marks the whole server ("") and every added service SERVING, and
 * `shutdown()` marks them NOT_SERVING first, so load balancers drain before connections close.
 * A service's main can flip one with `setServing(name, false)` while a dependency is down.
 * Health and reflection answer without caller identity (probes rarely carry one); with mTLS
 * the connection itself still needs a certificate from our CA.
 */
import * as grpc from "@grpc/grpc-js";
import type { CallClass } from "@domain/admission/decide";
import type { AdmissionGate } from "../admission/gate";
import { OtpError } from "@domain/errors";
import type { Logger } from "../log";
import { type CallPolicy, wrapServerStream, wrapUnary } from "./call";
import type { ServiceHandlers } from "./handlers";
import { createIdentityResolver, type TokenGrant } from "./identity";
import {
  connectionIdentities,
  connectionIdentityInterceptor,
  identityOfCall,
  listenTls,
  type TlsListener,
} from "./tls-listener";
import {
  addReflection,
  createHealthRegistry,
  defaultProtoRoot,
  HEALTH_SERVICE,
  WHOLE_SERVER,
} from "./introspection";

export interface ServerTls {
  /** PEM of the CA that signs client certificates. */
  ca: Buffer;
  /** PEM of this server's certificate chain and key. */
  cert: Buffer;
  key: Buffer;
}

interface KeepaliveOptions {
  /** Ping an idle connection this often, to notice clients that vanished (power cuts, NAT). */
  timeMs?: number;
  timeoutMs?: number;
  /** Close connections after this age so clients reconnect and spread over new replicas. */
  maxConnectionAgeMs?: number;
  /** How long calls already running on an aged connection may continue. */
  maxConnectionAgeGraceMs?: number;
  maxConnectionIdleMs?: number;
}

interface CommonServerOptions {
  /** host:port; port 0 picks a free port (see `start()`'s result). */
  address: string;
  /** Static bearer tokens (development and tools). */
  tokens?: readonly TokenGrant[];
  maxReceiveMessageBytes?: number;
  maxSendMessageBytes?: number;
  /** Largest request metadata a call may carry (default 8 KiB); more answers RESOURCE_EXHAUSTED. */
  maxMetadataBytes?: number;
  /** Calls open at once on one connection (HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS; default 100). */
  maxConcurrentStreams?: number;
  keepalive?: KeepaliveOptions;
  /** Budget for unary calls sent without a deadline. */
  defaultDeadlineMs?: number;
  /** Budget for server streams sent without a deadline. */
  defaultStreamDeadlineMs?: number;
  /** Serve reflection (default true). */
  reflection?: boolean;
  /** Directory holding otp/v1/*.proto, for reflection. */
  protoRoot?: string;
  logger: Logger;
  /**
   * Load admission for the methods services mark with a class (see AddServiceOptions); started
   * and stopped with the server. None: nothing is refused for load.
   */
  admission?: AdmissionGate;
}

export type GrpcServerOptions = CommonServerOptions &
  ({ tls: ServerTls; insecure?: undefined } | { insecure: true; tls?: undefined });

export interface AddServiceOptions<S> {
  /** Methods (as named in the definition, e.g. "declareIncident") that need the admin role. */
  adminMethods?: readonly (keyof S & string)[];
  /** Admission class per method; methods not named are never refused for load. */
  admission?: Partial<Record<keyof S & string, CallClass>>;
}

export interface GrpcServer {
  addService<S extends grpc.ServiceDefinition>(
    definition: S,
    handlers: ServiceHandlers<S>,
    options?: AddServiceOptions<S>,
  ): void;
  setServing(service: string, serving: boolean): void;
  /** Binds and starts serving; returns the real port (useful with port 0). */
  start(): Promise<{ port: number }>;
  /** Stops accepting calls, lets running ones finish for up to `graceMs`, then cancels the rest. */
  shutdown(graceMs: number): Promise<void>;
}

const DEFAULTS = {
  maxReceiveMessageBytes: 64 * 1024, // our requests are a few hundred bytes
  maxSendMessageBytes: 1024 * 1024,
  // A bearer token, a trace context and a few custom keys fit in a tenth of it.
  maxMetadataBytes: 8 * 1024,
  // Enough for a client multiplexing its calls on one connection; a client past it waits for a
  // free stream instead of making the server hold unbounded calls per connection.
  maxConcurrentStreams: 100,
  defaultDeadlineMs: 10_000,
  defaultStreamDeadlineMs: 15 * 60_000, // a verification lives at most 10 minutes
  keepalive: {
    timeMs: 60_000,
    timeoutMs: 20_000,
    maxConnectionAgeMs: 5 * 60_000,
    maxConnectionAgeGraceMs: 15 * 60_000,
    maxConnectionIdleMs: 15 * 60_000,
  },
} as const;

export function createGrpcServer(options: GrpcServerOptions): GrpcServer {
  const ids = connectionIdentities();
  const server = new grpc.Server({
    ...channelOptions(options),
    ...(options.tls ? { interceptors: [connectionIdentityInterceptor(ids)] } : {}),
  });
  const health = createHealthRegistry();
  let tlsListener: TlsListener | undefined;
  const policy: CallPolicy = {
    identities: createIdentityResolver(options.tokens ?? [], (metadata) => identityOfCall(ids, metadata)),
    logger: options.logger,
    defaultDeadlineMs: options.defaultDeadlineMs ?? DEFAULTS.defaultDeadlineMs,
    defaultStreamDeadlineMs: options.defaultStreamDeadlineMs ?? DEFAULTS.defaultStreamDeadlineMs,
    gate: options.admission,
    maxMetadataBytes: options.maxMetadataBytes ?? DEFAULTS.maxMetadataBytes,
  };
  const serviceNames: string[] = [];
  health.addToServer(server);

  return {
    addService(definition, handlers, serviceOptions = {}) {
      const adminMethods = new Set<string>(serviceOptions.adminMethods ?? []);
      const classes: Partial<Record<string, CallClass>> = serviceOptions.admission ?? {};
      server.addService(definition, implementationOf(definition, handlers, adminMethods, classes, policy));
      const name = serviceNameOf(definition);
      serviceNames.push(name);
      health.setServing(name, false);
    },
    setServing: (service, serving) => health.setServing(service, serving),
    async start() {
      if (options.reflection ?? true) {
        addReflection(server, options.protoRoot ?? defaultProtoRoot(), [...serviceNames, HEALTH_SERVICE]);
      }
      let port: number;
      if (options.tls) {
        tlsListener = await listenTls(server, options.address, options.tls, ids);
        port = tlsListener.port;
      } else {
        port = await bindInsecure(server, options);
      }
      options.admission?.start();
      for (const name of [WHOLE_SERVER, ...serviceNames]) health.setServing(name, true);
      options.logger.info("grpc server listening", {
        address: options.address,
        port,
        services: serviceNames,
      });
      return { port };
    },
    async shutdown(graceMs) {
      for (const name of [WHOLE_SERVER, ...serviceNames]) health.setServing(name, false);
      tlsListener?.close();
      await shutdownGracefully(server, graceMs);
      options.admission?.stop();
    },
  };
}

function implementationOf<S extends grpc.ServiceDefinition>(
  definition: S,
  handlers: ServiceHandlers<S>,
  adminMethods: ReadonlySet<string>,
  classes: Partial<Record<string, CallClass>>,
  policy: CallPolicy,
): grpc.UntypedServiceImplementation {
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const key of Object.keys(definition)) {
    const method = definition[key]!;
    const handler = handlers[key];
    const info = { path: method.path, adminOnly: adminMethods.has(key), admission: classes[key] };
    if (handler === undefined) throw new OtpError("CONFIG_INVALID", `${method.path}: no handler`);
    if (method.requestStream)
      throw new OtpError("CONFIG_INVALID", `${method.path}: client streaming is unsupported`);
    if (handler.kind === "serverStream" && method.responseStream) {
      implementation[key] = wrapServerStream(info, handler, policy);
    } else if (handler.kind === "unary" && !method.responseStream) {
      implementation[key] = wrapUnary(info, handler, policy);
    } else {
      throw new OtpError("CONFIG_INVALID", `${method.path}: handler kind ${handler.kind} does not match`);
    }
  }
  return implementation;
}

/** `/otp.v1.IssuanceService/StartVerification` → `otp.v1.IssuanceService`. */
function serviceNameOf(definition: grpc.ServiceDefinition): string {
  const first = Object.values(definition)[0];
  const name = first?.path.split("/")[1];
  if (!name) throw new OtpError("CONFIG_INVALID", "service definition without methods");
  return name;
}

function channelOptions(options: GrpcServerOptions): grpc.ServerOptions {
  const keepalive = { ...DEFAULTS.keepalive, ...options.keepalive };
  return {
    "grpc.max_receive_message_length": options.maxReceiveMessageBytes ?? DEFAULTS.maxReceiveMessageBytes,
    "grpc.max_send_message_length": options.maxSendMessageBytes ?? DEFAULTS.maxSendMessageBytes,
    "grpc.max_concurrent_streams": options.maxConcurrentStreams ?? DEFAULTS.maxConcurrentStreams,
    "grpc.keepalive_time_ms": keepalive.timeMs,
    "grpc.keepalive_timeout_ms": keepalive.timeoutMs,
    "grpc.max_connection_age_ms": keepalive.maxConnectionAgeMs,
    "grpc.max_connection_age_grace_ms": keepalive.maxConnectionAgeGraceMs,
    "grpc.max_connection_idle_ms": keepalive.maxConnectionIdleMs,
  };
}

/** Without TLS grpc-js listens itself; with TLS, tls-listener.ts does (and reads each certificate once). */
function bindInsecure(server: grpc.Server, options: GrpcServerOptions): Promise<number> {
  if (options.insecure !== true) {
    throw new OtpError("CONFIG_INVALID", "grpc server needs tls or an explicit insecure: true");
  }
  return new Promise((resolve, reject) => {
    server.bindAsync(options.address, grpc.ServerCredentials.createInsecure(), (err, port) =>
      err ? reject(err) : resolve(port),
    );
  });
}

function shutdownGracefully(server: grpc.Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
}
