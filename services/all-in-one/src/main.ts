/**
 * `npm start`: the whole platform in one process with simulators of the outside networks.
 * Embedded bus and store unless KAFKA_BROKERS / REDIS_URL are set. Prints where everything is.
 */
// First: tracing patches grpc-js, http and ioredis before anything loads them.
import { telemetry } from "@platform/telemetry/instrumentation";
import { startServiceMetrics } from "@platform/telemetry/service-metrics";
import { address, type ConfigOf, int, readConfig } from "@platform/config";
import { admissionFromEnv, checkAdmissionConfig } from "@platform/runtime/admission-from-env";
import { OtpError } from "@domain/errors";
import type { TokenGrant } from "@platform/grpc/identity";
import { checkGrpcConfig, grpcServerFromEnv, parseTokens } from "@platform/runtime/grpc-from-env";
import { checkPlatformConfig, platformFromEnv } from "@platform/runtime/platform";
import { EVENT_ROLES } from "@domain/events/ownership";
import { runMain, runUntilSignalled } from "@platform/runtime/run-main";
import { DEV_TOKENS } from "@platform/development/tokens";
import { createAllInOne, type AllInOne, type AllInOneOptions } from "./all-in-one";
import { bannerTokens, decideDevMode } from "./dev-mode";

const SPEC = {
  GRPC_ADDRESS: address("127.0.0.1:50051"),
  INBOX_PORT: int(8025, { min: 0, max: 65535 }),
  SMSC_SIM_SMPP_PORT: int(2775, { min: 0, max: 65535 }),
  SMSC_SIM_HTTP_PORT: int(8775, { min: 0, max: 65535 }),
  WA_SIM_PORT: int(8780, { min: 0, max: 65535 }),
  VOICE_SIM_PORT: int(8790, { min: 0, max: 65535 }),
  WHATSAPP_WEBHOOK_PORT: int(8081, { min: 0, max: 65535 }),
  VOICE_WEBHOOK_PORT: int(8082, { min: 0, max: 65535 }),
  OPEN_GATEWAY_SIM_PORT: int(8795, { min: 0, max: 65535 }),
  SILENT_CALLBACK_PORT: int(8083, { min: 0, max: 65535 }),
  ISSUANCE_MAX_IN_FLIGHT: int(2000, { min: 1 }),
  OTP_RETENTION_HOURS: int(24, { min: 1 }),
};

runMain(main);

async function main(): Promise<void> {
  // Every configuration problem at once, before anything listens or connects.
  checkPlatformConfig(process.env, EVENT_ROLES["all-in-one"], [
    () => readConfig(SPEC),
    () => checkGrpcConfig(process.env),
    () => checkAdmissionConfig(process.env),
    () => {
      const refused = devModeOf();
      if (refused.kind === "refused") throw new OtpError("CONFIG_INVALID", refused.message);
    },
  ]);
  const cfg = readConfig(SPEC);
  const smppConfig = process.env.SMPP_CONFIG ?? "";
  const host = hostOf(cfg.GRPC_ADDRESS);
  const mode = devModeOf();
  if (mode.kind === "refused") throw new OtpError("CONFIG_INVALID", mode.message);
  const devTokens = mode.kind === "development" && mode.devTokens;
  const platform = await platformFromEnv({ service: "all-in-one", events: EVENT_ROLES["all-in-one"] });
  const grants: TokenGrant[] = devTokens
    ? DEV_TOKENS
    : process.env.OTP_TOKENS
      ? parseTokens(process.env.OTP_TOKENS)
      : [];
  const observed = await startServiceMetrics({
    service: "all-in-one",
    env: process.env,
    logger: platform.logger,
    kafkaRequests: platform.kafkaRequests,
    eventRejections: platform.eventRejections,
  });
  const admission = admissionFromEnv({
    env: process.env,
    platform,
    service: "all-in-one",
    maxInFlight: cfg.ISSUANCE_MAX_IN_FLIGHT,
    metrics: observed.metrics,
  });
  const { server } = grpcServerFromEnv(
    process.env,
    platform.logger,
    devTokens ? DEV_TOKENS : [],
    admission.gate,
  );
  const app = await createAllInOne(platform, server, {
    host,
    ports: portsOf(cfg),
    retentionMs: cfg.OTP_RETENTION_HOURS * 3_600_000,
    metrics: observed.metrics,
    smppConfigFile: smppConfig === "" ? undefined : smppConfig,
    env: process.env,
    handsetInbox: mode.kind === "development",
  });
  const service = {
    async start() {
      await app.start();
      const { port } = await server.start();
      process.stdout.write(
        banner({
          grpc: `${host}:${port}`,
          inbox: app.inboxUrl,
          metrics: observed.url,
          embedded: platform.embedded,
          grants,
          devTokens,
          whatsappSimulator: app.simulators.whatsapp.url,
          businessNumber: app.simulators.credentials.whatsapp.phoneNumberId,
          smscs: smppConfig === "" ? undefined : smscList(app),
        }),
      );
    },
    async stop() {
      await server.shutdown(3_000);
      await app.stop();
    },
  };
  const cleanup = async () => {
    await admission.close();
    await platform.close();
    await observed.close();
    await telemetry.shutdown();
  };
  await runUntilSignalled(service, cleanup, platform.logger);
}

/** Decided before anything connects: a refusal must not depend on Kafka or Redis answering. */
function devModeOf(): ReturnType<typeof decideDevMode> {
  const metricsListen = process.env.METRICS_LISTEN ?? "";
  return decideDevMode({
    env: process.env,
    listeners: [
      // The inbox, the simulators and the webhooks listen on the gRPC address's host too.
      { variable: "GRPC_ADDRESS", host: hostOf(readConfig(SPEC).GRPC_ADDRESS) },
      ...(metricsListen === "" ? [] : [{ variable: "METRICS_LISTEN", host: hostOf(metricsListen) }]),
    ],
  });
}

function portsOf(cfg: ConfigOf<typeof SPEC>): AllInOneOptions["ports"] {
  return {
    inbox: cfg.INBOX_PORT,
    smpp: cfg.SMSC_SIM_SMPP_PORT,
    smscControl: cfg.SMSC_SIM_HTTP_PORT,
    whatsapp: cfg.WA_SIM_PORT,
    voice: cfg.VOICE_SIM_PORT,
    whatsappWebhook: cfg.WHATSAPP_WEBHOOK_PORT,
    voiceWebhook: cfg.VOICE_WEBHOOK_PORT,
    openGateway: cfg.OPEN_GATEWAY_SIM_PORT,
    silentCallback: cfg.SILENT_CALLBACK_PORT,
  };
}

interface BannerFacts {
  grpc: string;
  inbox: string;
  metrics: string | undefined;
  embedded: boolean;
  /** Tokens that work: the development ones, or those of OTP_TOKENS. */
  grants: TokenGrant[];
  devTokens: boolean;
  whatsappSimulator: string;
  /** The simulated business number: it sends the codes and answers support questions. */
  businessNumber: string;
  /** The SMSC accounts of SMPP_CONFIG ("name host:port"), when it is set. */
  smscs: string[] | undefined;
}

function smscList(app: AllInOne): string[] {
  return Object.entries(app.gatewayConfig.accounts).map(
    ([name, account]) => `${name} ${account.host}:${account.port}`,
  );
}

/** "0.0.0.0:50051" → "0.0.0.0"; "[::1]:50051" → "::1". */
function hostOf(address: string): string {
  const colon = address.lastIndexOf(":");
  return (colon < 0 ? address : address.slice(0, colon)).replace(/^\[|\]$/g, "") || "127.0.0.1";
}

function banner(f: BannerFacts): string {
  const tenants = f.grants.filter((g) => g.roles.includes("tenant"));
  const token = tenants[0]?.token ?? "<tenant token>";
  const tenant = tenants[0]?.tenant ?? "<tenant>";
  const service = f.grants.find((g) => g.roles.includes("service"))?.token ?? "<service token>";
  const tokens =
    f.grants.length === 0
      ? "  callers     authenticate with client certificates from OTP_TLS_CA\n"
      : `  ${f.devTokens ? "dev tokens" : "tokens    "}  ${bannerTokens(f.grants)}\n`;
  const isolation =
    tenants.length > 1
      ? `  (tenant isolation: a verification started with one tenant's token is NOT_FOUND with the other's)\n`
      : "";
  const readInbox =
    f.inbox === ""
      ? "  (the handset inbox runs on a development platform only: embedded bus and store, loopback)\n"
      : `  curl -s '${f.inbox}/inbox?phone=%2B6281234567890'\n`;
  return `
otp-router is running (${f.embedded ? "embedded bus and store" : "Kafka and Redis"})
  gRPC        ${f.grpc}  (otp.v1.IssuanceService, VerificationService, RoutingService, SupportService; reflection on)
${f.inbox === "" ? "" : `  inbox       ${f.inbox}  (what the simulated phones received${f.smscs ? "; SMS goes to the SMSCs below, not here" : ""})\n`}${f.smscs ? `  SMSCs       ${f.smscs.join(", ")}  (SMPP_CONFIG)\n` : ""}${f.metrics ? `  metrics     ${f.metrics}/metrics  (Prometheus)\n` : ""}${tokens}${isolation}
Try it:
  grpcurl -plaintext -H 'authorization: Bearer ${token}' \\
    -d '{"phone":"+6281234567890","purpose":"login","locale":"id","district_hint":"ID-JK-JKS"}' \\
    ${f.grpc} otp.v1.IssuanceService/StartVerification
${readInbox}  grpcurl -plaintext -H 'authorization: Bearer ${token}' \\
    -d '{"verification_id":"<id from the first call>","code":"<code from the inbox>"}' \\
    ${f.grpc} otp.v1.VerificationService/CheckCode

Silent network verification (purpose login_silent, device on mobile data): open the returned
silent_auth_url as the phone's data session would (the simulator reads the SIM from a header),
then Get shows VERIFICATION_METHOD_NETWORK; PUT ${f.inbox}/scenario/silent changes the network.
  grpcurl -plaintext -H 'authorization: Bearer ${token}' \\
    -d '{"phone":"+6281234567890","purpose":"login_silent","mobile_data":true,"district_hint":"ID-JK-JKS"}' \\
    ${f.grpc} otp.v1.IssuanceService/StartVerification
  curl -sL -H 'X-Simulated-Device: +6281234567890' '<silent_auth_url>'

The support assistant answers on WhatsApp: write as the user, then read its reply in the inbox.
  curl -s -X POST ${f.whatsappSimulator}/inbound \\
    -d '{"from":"+6281234567890","text":"belum terima kode","phoneNumberId":"${f.businessNumber}"}'
${readInbox}  grpcurl -plaintext -H 'authorization: Bearer ${service}' \\
    -d '{"tenant":"${tenant}","phone":"+6281234567890"}' \\
    ${f.grpc} otp.v1.SupportService/FindActiveVerification
Ctrl-C stops everything.
`;
}
