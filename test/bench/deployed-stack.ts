/**
 * The SMS platform as it is deployed: issuance, verification, routing (one or more replicas)
 * and gateway-smpp each in its own process, started from its main.ts with the environment a
 * deployment gives it (Kafka and Redis addresses, sealing keys and code hash secret, mTLS for
 * gRPC with callers identified by their client certificate, its /metrics listener, an SMPP
 * account on the SMSC simulator), and the SMSC simulator in its own process too, from its own
 * main. Topics, consumer groups and store keys carry a prefix of their own. The bench process
 * is the load generator: it calls over mTLS as the bench tenant and reads each code from the
 * simulator's streamed inbox.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { IssuanceServiceClient } from "@proto/otp/v1/issuance";
import { VerificationServiceClient } from "@proto/otp/v1/verification";
import { type ClientTls, createClient, type GrpcClientOptions } from "@platform/grpc/client";
import { createTestCa } from "../certs";
import type { UserEndpoints } from "./bench-users";
import { connectHandsetFeed, type HandsetFeed } from "./handset-feed";
import { startServiceProcess, type ServiceProcess } from "./service-processes";
import { BENCH_POLICY, SMSC_ACCOUNT, type Warnings } from "./sms-platform";
import { freshEventKeysVariable } from "@platform/crypto/event-keys";

export type ServiceName = "issuance" | "verification" | "routing" | "gateway-smpp";

export interface DeployedStackOptions {
  brokers: string;
  redisUrl: string;
  /** Routing's group session timeout: how long a killed replica's partitions wait for a new owner. */
  routingSessionTimeoutMs: number;
  /** Extra environment for the issuance process (admission settings). */
  issuanceEnv?: Record<string, string>;
}

export interface DeployedStack extends UserEndpoints {
  prefix: string;
  /** Topic and consumer groups whose lag tells whether the pipeline is drained. */
  verificationsTopic: string;
  simulator: ServiceProcess;
  services: Record<ServiceName, ServiceProcess>;
  /** Routing replicas started with addRoutingReplica, besides services.routing. */
  extraRouting: ServiceProcess[];
  /** Every service's /metrics base URL (routing replicas included), by process name. */
  metricsUrls(): Record<string, string>;
  feed: HandsetFeed;
  /** An issuance client with a connection of its own (the bench tenant's certificate). */
  issuanceOnOwnConnection(): IssuanceServiceClient;
  /** Clients calling as the second tenant ("calm", its own certificate). */
  calmIssuance(): IssuanceServiceClient;
  calmVerification(): VerificationServiceClient;
  addRoutingReplica(): Promise<ServiceProcess>;
  warnings(): Warnings;
  close(): Promise<void>;
}

const SIMULATOR_LINE = /SMPP on ([\d.]+):(\d+), control API on (http:\/\/[\d.]+:\d+)/;
const GRPC_LISTENING = /"grpc server listening".*"port":(\d+)/;
const METRICS_LISTENING = /"metrics listening".*"url":"([^"]+)\/metrics"/;

/** http://host:port of a process's /metrics listener, from its log line. */
const metricsBase = async (p: ServiceProcess): Promise<string> => (await p.waitFor(METRICS_LISTENING))[1]!;

export async function startDeployedStack(o: DeployedStackOptions): Promise<DeployedStack> {
  const run = randomUUID().slice(0, 8);
  const prefix = `bench-deployed-${run}`;
  const dir = mkdtempSync(path.join(tmpdir(), `${prefix}-`));
  const file = (name: string, content: string | Buffer): string => {
    const at = path.join(dir, name);
    writeFileSync(at, content, { mode: 0o600 });
    return at;
  };
  const { ca, server, client, calmClient } = benchCertificates();
  const processes: ServiceProcess[] = [];
  const cleanup = async (): Promise<void> => {
    await Promise.allSettled(processes.map((p) => p.stop("SIGTERM")));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    // SMPP 3.4 passwords are at most 8 characters.
    const smsc = { systemId: "bench", password: randomBytes(4).toString("hex") };
    const simulator = startServiceProcess("SMSC simulator", "gateway-smpp/src/simulator/main.ts", {}, [
      ...["--host", "127.0.0.1", "--smpp-port", "0", "--http-port", "0"],
      ...["--system-id", smsc.systemId, "--password", smsc.password],
      // Receipts at once: a handset reads the code as soon as the submit_sm is answered.
      ...["--scenario", file("smsc-scenario.json", JSON.stringify({ default: { receiptDelayMs: 0 } }))],
    ]);
    processes.push(simulator);
    const [, smscHost, smscPort, controlUrl] = await simulator.waitFor(SIMULATOR_LINE);

    const common = commonEnv(o, prefix, file);
    const grpc = grpcEnv(file, ca.ca, server);
    const routingEnv = {
      ...common,
      ...grpc,
      ROUTING_GROUP_ID: `${prefix}-routing`,
      ROUTING_SESSION_TIMEOUT_MS: String(o.routingSessionTimeoutMs),
    };
    const smppConfig = file("smpp.json", smppConfigJson(prefix, smsc, smscHost!, Number(smscPort)));
    const start = (name: string, entry: string, env: Record<string, string>): ServiceProcess => {
      const p = startServiceProcess(name, entry, env);
      processes.push(p);
      return p;
    };

    // Issuance first: it creates the topics the others subscribe to.
    const issuance = start("issuance", "services/issuance/src/main.ts", {
      ...common,
      ...grpc,
      // The pipeline behind issuance is this run's routing and gateway groups.
      ADMISSION_BACKLOG_GROUPS: `${prefix}-routing,${prefix}-gateway`,
      ...o.issuanceEnv,
    });
    const issuancePort = (await issuance.waitFor(GRPC_LISTENING))[1]!;
    const verification = start("verification", "services/verification/src/main.ts", { ...common, ...grpc });
    const routing = start("routing", "services/routing/src/main.ts", routingEnv);
    const gateway = start("gateway-smpp", "gateway-smpp/src/main.ts", { ...common, SMPP_CONFIG: smppConfig });
    const verificationPort = (await verification.waitFor(GRPC_LISTENING))[1]!;
    await routing.waitFor(/"routing started"/);
    await waitForBinds(gateway, SMSC_ACCOUNT.binds);
    const services = { issuance, verification, routing, "gateway-smpp": gateway };
    const metricsUrls = new Map<ServiceProcess, string>();
    for (const p of Object.values(services)) metricsUrls.set(p, await metricsBase(p));

    const feed = await connectHandsetFeed(controlUrl!);
    // The server certificate names localhost; the address stays 127.0.0.1 (no resolver in the way).
    const tls = { ca: ca.ca, cert: client.cert, key: client.key, serverName: "localhost" };
    const clients: { close(): void }[] = [];
    const calmTls = { ...tls, cert: calmClient.cert, key: calmClient.key };
    const options = (port: string, as = tls, own = false) => clientOptions(port, as, own);
    const extraRouting: ServiceProcess[] = [];
    return {
      prefix,
      verificationsTopic: `${prefix}.otp.verifications.v1`,
      simulator,
      services,
      extraRouting,
      metricsUrls: () => Object.fromEntries([...metricsUrls].map(([p, url]) => [p.name, url])),
      feed,
      issuance: () => track(clients, createClient(IssuanceServiceClient, options(issuancePort))),
      issuanceOnOwnConnection: () =>
        track(clients, createClient(IssuanceServiceClient, options(issuancePort, tls, true))),
      verification: () => track(clients, createClient(VerificationServiceClient, options(verificationPort))),
      onHandset: (listener) => feed.onHandset(listener),
      calmIssuance: () => track(clients, createClient(IssuanceServiceClient, options(issuancePort, calmTls))),
      calmVerification: () =>
        track(clients, createClient(VerificationServiceClient, options(verificationPort, calmTls))),
      async addRoutingReplica() {
        const replica = start(
          `routing ${extraRouting.length + 2}`,
          "services/routing/src/main.ts",
          routingEnv,
        );
        await replica.waitFor(/"routing started"/);
        metricsUrls.set(replica, await metricsBase(replica));
        extraRouting.push(replica);
        return replica;
      },
      warnings: () => mergeWarnings(processes.map((p) => p.warnings())),
      async close() {
        feed.close();
        for (const c of clients) c.close();
        await cleanup();
      },
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** A CA that lives only for the certificates: the server's and two tenants'. */
function benchCertificates() {
  const ca = createTestCa("otp-router bench CA");
  const server = ca.issue("localhost", {
    usage: "server",
    dnsNames: ["localhost"],
    ipAddresses: ["127.0.0.1"],
  });
  const client = ca.issue("tenant:bench", { usage: "client" });
  const calmClient = ca.issue("tenant:calm", { usage: "client" });
  ca.remove();
  return { ca, server, client, calmClient };
}

/** The gRPC services' listener: any port, TLS with client certificates, no tokens. */
function grpcEnv(
  file: (name: string, content: string | Buffer) => string,
  ca: string | Buffer,
  server: { cert: string | Buffer; key: string | Buffer },
): Record<string, string> {
  return {
    GRPC_ADDRESS: "127.0.0.1:0",
    OTP_TLS_CA: file("ca.crt", ca),
    OTP_TLS_CERT: file("server.crt", server.cert),
    OTP_TLS_KEY: file("server.key", server.key),
    OTP_TOKENS: "[]",
  };
}

function clientOptions(port: string, tls: ClientTls, ownConnection: boolean): GrpcClientOptions {
  return { address: `127.0.0.1:${port}`, tls, defaultDeadlineMs: 10_000, ownConnection };
}

/** What every service of the run shares: the backends, its prefixes, its keys and policy. */
function commonEnv(
  o: DeployedStackOptions,
  prefix: string,
  file: (name: string, content: string) => string,
): Record<string, string> {
  return {
    KAFKA_BROKERS: o.brokers,
    REDIS_URL: o.redisUrl,
    OTP_TOPIC_PREFIX: `${prefix}.`,
    OTP_STORE_PREFIX: `${prefix}:`,
    OTP_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString("base64")}`,
    OTP_EVENT_KEYS: freshEventKeysVariable(),
    OTP_CODE_HASH_SECRET: randomBytes(32).toString("base64"),
    OTP_POLICY_FILE: file("policy.json", JSON.stringify(BENCH_POLICY)),
    OTP_RETENTION_HOURS: "1",
    LOG_LEVEL: "info",
    METRICS_LISTEN: "127.0.0.1:0",
    // A setting to compare runs by, passed on when the bench is given it.
    ...(process.env.KAFKA_FETCH_LINGER_MS === undefined
      ? {}
      : { KAFKA_FETCH_LINGER_MS: process.env.KAFKA_FETCH_LINGER_MS }),
  };
}

/** The gateway's SMPP_CONFIG: one account on the simulated SMSC. */
function smppConfigJson(
  prefix: string,
  smsc: { systemId: string; password: string },
  host: string,
  port: number,
): string {
  return JSON.stringify({
    accounts: {
      simulator: {
        host,
        port,
        ...smsc,
        bindMode: "transceiver",
        ...SMSC_ACCOUNT,
        responseTimeoutMs: 10_000,
        enquireLinkIntervalMs: 30_000,
      },
    },
    routes: { "sms-default": ["simulator"] },
    defaultRoute: "sms-default",
    dispatch: { consumerGroup: `${prefix}-gateway` },
  });
}

function track<C extends { close(): void }>(clients: { close(): void }[], c: C): C {
  clients.push(c);
  return c;
}

/** Resolves once `binds` SMPP sessions of the gateway have bound. */
async function waitForBinds(gateway: ServiceProcess, binds: number): Promise<void> {
  const bound = (): number =>
    gateway.recent().filter((l) => l.includes('"smpp session state"') && l.includes('"state":"bound"'))
      .length;
  const deadline = Date.now() + 30_000;
  while (bound() < binds) {
    if (!gateway.running() || Date.now() > deadline) {
      throw new Error(
        `gateway-smpp bound ${bound()} of ${binds} binds:\n${gateway.recent().slice(-20).join("\n")}`,
      );
    }
    await sleep(50);
  }
}

function mergeWarnings(all: Warnings[]): Warnings {
  const merged: Warnings = { count: 0, byMessage: {} };
  for (const w of all) {
    merged.count += w.count;
    for (const [msg, n] of Object.entries(w.byMessage))
      merged.byMessage[msg] = (merged.byMessage[msg] ?? 0) + n;
  }
  return merged;
}
