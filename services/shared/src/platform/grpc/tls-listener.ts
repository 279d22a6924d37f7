/**
 * The gRPC servers' mutual-TLS listener. Node's TLS server verifies a client's certificate once,
 * at the handshake, and hands the connection to grpc-js through its connection injector; the
 * identity the certificate names is kept for the connection's life. grpc-js's own TLS listener
 * leaves the certificate to each call: its getAuthContext converts the whole certificate,
 * fingerprints included, on every call (about 60 µs, a fifth of what a refused call costs).
 *
 * A call finds its connection by the connection's four addresses, which no two open TCP
 * connections share; the entry goes when the socket closes. Two sockets seen with the same
 * addresses at once (one closing, one new) are both left out, and their calls read the
 * certificate the slow way, so a call can never borrow another connection's identity.
 */
import * as tls from "node:tls";
import * as grpc from "@grpc/grpc-js";
import type { Metadata } from "@grpc/grpc-js";
import { type CallerIdentity, identityFromCertificate } from "./identity";

/** What grpc-js tells an interceptor of a call's connection. */
interface ConnectionAddresses {
  localAddress?: string | undefined;
  localPort?: number | undefined;
  remoteAddress?: string | undefined;
  remotePort?: number | undefined;
}

/**
 * Identities of the open connections, and of the calls an interceptor has matched to them.
 * `null`: the connection's certificate verified but names no identity.
 */
export interface ConnectionIdentities {
  byAddresses: Map<string, { socket: tls.TLSSocket; identity: CallerIdentity | null } | "ambiguous">;
  byCall: WeakMap<Metadata, CallerIdentity | null>;
}

export const connectionIdentities = (): ConnectionIdentities => ({
  byAddresses: new Map(),
  byCall: new WeakMap(),
});

const keyOf = (c: ConnectionAddresses): string =>
  `${c.localAddress}|${c.localPort}|${c.remoteAddress}|${c.remotePort}`;

/**
 * The identity of a call's connection, as the interceptor matched it: undefined when the call is
 * not on a connection this listener verified (the resolver then reads the certificate itself).
 */
export function identityOfCall(
  ids: ConnectionIdentities,
  metadata: Metadata,
): CallerIdentity | null | undefined {
  return ids.byCall.get(metadata);
}

/**
 * A server interceptor that matches each call to its connection when the request's headers
 * arrive, so the call's handler finds the identity without touching the certificate.
 */
export function connectionIdentityInterceptor(ids: ConnectionIdentities): grpc.ServerInterceptor {
  return (_method, call) =>
    new grpc.ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMetadata(metadata, nextMetadata) {
            const entry = ids.byAddresses.get(keyOf(call.getConnectionInfo()));
            if (entry !== undefined && entry !== "ambiguous") ids.byCall.set(metadata, entry.identity);
            nextMetadata(metadata);
          },
        });
      },
    });
}

export interface TlsListener {
  port: number;
  /** Stops accepting connections; grpc-js's shutdown closes the ones it holds. */
  close(): void;
}

export interface ServerTlsFiles {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

/** Listens on `host:port` (port 0: any free port) with mutual TLS, feeding grpc-js. */
export function listenTls(
  server: grpc.Server,
  address: string,
  files: ServerTlsFiles,
  ids: ConnectionIdentities,
): Promise<TlsListener> {
  const { host, port } = splitAddress(address);
  // The TLS is ours; grpc-js gets connections already decrypted, so its side is plain HTTP/2.
  const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
  const listener = tls.createServer(
    {
      ca: files.ca,
      cert: files.cert,
      key: files.key,
      requestCert: true,
      rejectUnauthorized: true,
      ALPNProtocols: ["h2"],
    },
    (socket) => {
      remember(ids, socket);
      injector.injectConnection(socket);
    },
  );
  // A failed handshake (no certificate, another CA) is the client's problem, not the server's.
  listener.on("tlsClientError", (_err, socket) => socket.destroy());
  return new Promise((resolve, reject) => {
    listener.once("error", reject);
    listener.listen(port, host, () => {
      listener.off("error", reject);
      const bound = listener.address();
      resolve({
        port: typeof bound === "object" && bound !== null ? bound.port : port,
        close() {
          listener.close();
          injector.destroy();
        },
      });
    });
  });
}

function remember(ids: ConnectionIdentities, socket: tls.TLSSocket): void {
  // Errors after the handshake belong to grpc-js's HTTP/2 session; without a listener they throw.
  socket.on("error", () => undefined);
  const key = keyOf(socket);
  const cert = socket.getPeerCertificate();
  const identity = cert.raw === undefined ? null : (identityFromCertificate(cert) ?? null);
  ids.byAddresses.set(key, ids.byAddresses.has(key) ? "ambiguous" : { socket, identity });
  socket.once("close", () => {
    const entry = ids.byAddresses.get(key);
    if (entry === "ambiguous" || entry?.socket === socket) ids.byAddresses.delete(key);
  });
}

/** `host:port`, `[v6]:port`; a missing host listens everywhere. */
function splitAddress(address: string): { host: string | undefined; port: number } {
  const at = address.lastIndexOf(":");
  const port = Number(address.slice(at + 1));
  if (at < 0 || !Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`grpc address ${address}: expected host:port`);
  }
  const host = address.slice(0, at).replace(/^\[(.*)\]$/, "$1");
  return { host: host === "" ? undefined : host, port };
}
