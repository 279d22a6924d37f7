/**
 * A gRPC server configured from the environment:
 *   GRPC_ADDRESS   host:port (default 127.0.0.1:50051)
 *   OTP_TLS_CA, OTP_TLS_CERT, OTP_TLS_KEY   PEM files: mutual TLS (clients need a certificate
 *                  from OTP_TLS_CA); without them the server is plaintext (development only)
 *   OTP_TOKENS     JSON list of static tokens: [{"token","principal","tenant","roles":["tenant"]}]
 *   GRPC_MAX_METADATA_BYTES      request metadata a call may carry (default 8192)
 *   GRPC_MAX_CONCURRENT_STREAMS  calls open at once per connection (default 100)
 */
import { readFileSync } from "node:fs";
import { address, checkTogether, int, optionalStr, readConfig, type Env } from "../config";
import { OtpError } from "@domain/errors";
import type { AdmissionGate } from "../admission/gate";
import { createGrpcServer, type GrpcServer } from "../grpc/server";
import { ROLES, type Role, type TokenGrant } from "../grpc/identity";
import type { Logger } from "../log";

const SPEC = {
  GRPC_ADDRESS: address("127.0.0.1:50051"),
  OTP_TLS_CA: optionalStr(),
  OTP_TLS_CERT: optionalStr(),
  OTP_TLS_KEY: optionalStr(),
  OTP_TOKENS: optionalStr(),
  GRPC_MAX_METADATA_BYTES: int(8 * 1024, { min: 1024, max: 1024 * 1024 }),
  GRPC_MAX_CONCURRENT_STREAMS: int(100, { min: 1, max: 10_000 }),
};

export function parseTokens(json: string): TokenGrant[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new OtpError("CONFIG_INVALID", "OTP_TOKENS must be a JSON list");
  }
  if (!Array.isArray(parsed)) throw new OtpError("CONFIG_INVALID", "OTP_TOKENS must be a JSON list");
  return parsed.map((entry: unknown, i) => {
    const e = entry as Partial<Record<keyof TokenGrant, unknown>>;
    const roles = Array.isArray(e.roles) ? e.roles : [];
    if (
      typeof e.token !== "string" ||
      typeof e.principal !== "string" ||
      !roles.every((r) => ROLES.includes(r as Role))
    ) {
      throw new OtpError(
        "CONFIG_INVALID",
        `OTP_TOKENS[${i}]: needs token, principal and roles from ${ROLES.join(", ")}`,
      );
    }
    return {
      token: e.token,
      principal: e.principal,
      ...(typeof e.tenant === "string" ? { tenant: e.tenant } : {}),
      roles: roles as Role[],
    };
  });
}

/** Every problem of the gRPC server's settings (tokens, TLS files) without starting it. */
export function checkGrpcConfig(env: Env): void {
  const tls = { OTP_TLS_CA: env.OTP_TLS_CA, OTP_TLS_CERT: env.OTP_TLS_CERT, OTP_TLS_KEY: env.OTP_TLS_KEY };
  checkTogether([
    () => readConfig(SPEC, env),
    () => (env.OTP_TOKENS ? parseTokens(env.OTP_TOKENS) : undefined),
    () => {
      const given = Object.values(tls).filter(Boolean).length;
      if (given > 0 && given < 3)
        throw new OtpError("CONFIG_INVALID", "OTP_TLS_CA, OTP_TLS_CERT and OTP_TLS_KEY go together");
    },
    ...Object.entries(tls).map(([name, file]) => () => {
      if (!file) return;
      try {
        readFileSync(file);
      } catch {
        throw new OtpError("CONFIG_INVALID", `${name}=${file}: cannot be read`);
      }
    }),
  ]);
}

export interface GrpcFromEnv {
  server: GrpcServer;
  address: string;
  tls: boolean;
}

export function grpcServerFromEnv(
  env: Env,
  logger: Logger,
  fallbackTokens: TokenGrant[] = [],
  admission?: AdmissionGate,
): GrpcFromEnv {
  const cfg = readConfig(SPEC, env);
  const tokens = cfg.OTP_TOKENS ? parseTokens(cfg.OTP_TOKENS) : fallbackTokens;
  const tlsFiles = [cfg.OTP_TLS_CA, cfg.OTP_TLS_CERT, cfg.OTP_TLS_KEY];
  if (tlsFiles.some(Boolean) && !tlsFiles.every(Boolean)) {
    throw new OtpError("CONFIG_INVALID", "OTP_TLS_CA, OTP_TLS_CERT and OTP_TLS_KEY go together");
  }
  const common = {
    address: cfg.GRPC_ADDRESS,
    tokens,
    logger: logger.child({ component: "grpc" }),
    admission,
    maxMetadataBytes: cfg.GRPC_MAX_METADATA_BYTES,
    maxConcurrentStreams: cfg.GRPC_MAX_CONCURRENT_STREAMS,
  };
  if (cfg.OTP_TLS_CA && cfg.OTP_TLS_CERT && cfg.OTP_TLS_KEY) {
    const tls = {
      ca: readFileSync(cfg.OTP_TLS_CA),
      cert: readFileSync(cfg.OTP_TLS_CERT),
      key: readFileSync(cfg.OTP_TLS_KEY),
    };
    return { server: createGrpcServer({ ...common, tls }), address: cfg.GRPC_ADDRESS, tls: true };
  }
  logger.warn("gRPC without TLS: development only (set OTP_TLS_CA, OTP_TLS_CERT, OTP_TLS_KEY)");
  return { server: createGrpcServer({ ...common, insecure: true }), address: cfg.GRPC_ADDRESS, tls: false };
}
