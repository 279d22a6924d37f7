/**
 * Where the CLI talks to and as whom: `--address` / OTP_ADDRESS, `--token` / OTP_TOKEN (default
 * the all-in-one development tenant token), `--inbox` / OTP_INBOX_URL for the simulated handsets.
 */
import { readFileSync } from "node:fs";
import { IssuanceServiceClient } from "@proto/otp/v1/issuance";
import { RoutingServiceClient } from "@proto/otp/v1/routing";
import { VerificationServiceClient } from "@proto/otp/v1/verification";
import { DEV_TOKENS } from "@platform/development/tokens";
import { createClient, type GrpcClientOptions } from "@platform/grpc/client";
import { option, type ParsedArgs } from "./args";

export interface Connection {
  address: string;
  inboxUrl: string;
  issuance: IssuanceServiceClient;
  verification: VerificationServiceClient;
  routing: RoutingServiceClient;
  close(): void;
}

export function connect(args: ParsedArgs, env: NodeJS.ProcessEnv): Connection {
  const address = option(args, "address") ?? env.OTP_ADDRESS ?? "127.0.0.1:50051";
  const token = option(args, "token") ?? env.OTP_TOKEN ?? DEV_TOKENS[0]!.token;
  const inboxUrl = (option(args, "inbox") ?? env.OTP_INBOX_URL ?? "http://127.0.0.1:8025").replace(/\/$/, "");
  const common: GrpcClientOptions = { address, token, defaultDeadlineMs: 10_000, ...transport(env) };
  const issuance = createClient(IssuanceServiceClient, common);
  const verification = createClient(VerificationServiceClient, common);
  const routing = createClient(RoutingServiceClient, common);
  return {
    address,
    inboxUrl,
    issuance,
    verification,
    routing,
    close() {
      issuance.close();
      verification.close();
      routing.close();
    },
  };
}

/** Mutual TLS with OTP_TLS_CA / OTP_TLS_CERT / OTP_TLS_KEY (the caller's certificate), else plaintext. */
function transport(
  env: NodeJS.ProcessEnv,
): { tls: { ca: Buffer; cert?: Buffer; key?: Buffer } } | { insecure: true } {
  if (env.OTP_TLS_CA === undefined) return { insecure: true };
  return {
    tls: {
      ca: readFileSync(env.OTP_TLS_CA),
      ...(env.OTP_TLS_CERT === undefined ? {} : { cert: readFileSync(env.OTP_TLS_CERT) }),
      ...(env.OTP_TLS_KEY === undefined ? {} : { key: readFileSync(env.OTP_TLS_KEY) }),
    },
  };
}
