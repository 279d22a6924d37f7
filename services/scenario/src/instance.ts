/**
 * One strategy's platform: a whole all-in-one process's services (in this process) with its own
 * simulators, policy, topics and key prefix, so strategies never share health windows. On the
 * embedded bus and store, or on Kafka / Redis when KAFKA_BROKERS / REDIS_URL are set.
 */
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEV_TOKENS } from "@platform/development/tokens";
import { createAllInOne, type AllInOne } from "@services/all-in-one/src/all-in-one";
import { createGrpcServer, type GrpcServer } from "@platform/grpc/server";
import { admissionFromEnv } from "@platform/runtime/admission-from-env";
import { platformFromEnv, type Platform } from "@platform/runtime/platform";
import type { ScenarioFile, Strategy } from "./scenario-file";
import { tenantPolicy } from "./scaled-policy";
import { EVENT_ROLES } from "@domain/events/ownership";
import { freshEventKeysVariable } from "@platform/crypto/event-keys";

export interface StrategyInstance {
  strategy: Strategy;
  app: AllInOne;
  platform: Platform;
  address: string;
  /** The tenant token of the all-in-one development tenant, whose policy the run set. */
  token: string;
  /** The token of the scenario's second tenant (same policy). */
  secondToken: string;
  stop(): Promise<void>;
}

/** The tenant beside the main one (scenario.secondTenant). */
const SECOND_TENANT = {
  token: "scenario-token-second-tenant",
  principal: "tenant:second-tenant",
  tenant: "second-tenant",
  roles: ["tenant" as const],
};

/** Throwaway keys for Kafka / Redis runs that did not bring their own: the data is synthetic. */
function runSecrets(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return {
    ...(env.OTP_ENCRYPTION_KEYS === undefined
      ? {
          OTP_ENCRYPTION_KEYS: `scenario:${randomBytes(32).toString("base64")}`,
          OTP_CODE_HASH_SECRET: randomBytes(32).toString("base64"),
        }
      : {}),
    ...(env.OTP_EVENT_KEYS === undefined ? { OTP_EVENT_KEYS: freshEventKeysVariable() } : {}),
  };
}

export async function startStrategyInstance(
  s: ScenarioFile,
  strategy: Strategy,
  scale: number,
  runId: string,
  logWrite: (line: string) => void,
): Promise<StrategyInstance> {
  const dir = mkdtempSync(join(tmpdir(), "otp-scenario-"));
  const policyFile = join(dir, "policy.json");
  const tenant = DEV_TOKENS[0]!.tenant ?? "demo-bank";
  const policy = tenantPolicy(s, strategy, scale);
  writeFileSync(
    policyFile,
    JSON.stringify({ tenants: { [tenant]: policy, [SECOND_TENANT.tenant]: policy } }),
  );
  const env = {
    ...process.env,
    ...runSecrets(process.env),
    OTP_POLICY_FILE: policyFile,
    OTP_TOPIC_PREFIX: `scenario.${runId}.${strategy.id}.`,
    OTP_STORE_PREFIX: `scenario:${runId}:${strategy.id}:`,
    LOG_LEVEL: process.env.LOG_LEVEL ?? "error",
  };
  const platform = await platformFromEnv({
    events: EVENT_ROLES["all-in-one"],
    service: `scenario-${strategy.id}`,
    env,
    logWrite,
  });
  const admission = admissionFromEnv({
    env: {
      ...env,
      ADMISSION_MAX_IN_FLIGHT: String(s.maxInFlight),
      // This strategy's pipeline: its own consumer groups on its own topics.
      ADMISSION_BACKLOG_GROUPS: `${env.OTP_TOPIC_PREFIX}routing,${env.OTP_TOPIC_PREFIX}gateway-smpp`,
    },
    platform,
    service: `scenario-${strategy.id}`,
  });
  const server: GrpcServer = createGrpcServer({
    address: "127.0.0.1:0",
    insecure: true,
    tokens: [...DEV_TOKENS, SECOND_TENANT],
    logger: platform.logger,
    admission: admission.gate,
  });
  const ms = (seconds: number): number => Math.round(seconds * 1000 * scale);
  const app = await createAllInOne(platform, server, {
    host: "127.0.0.1",
    // Each strategy's services consume their own topics: their groups must be their own too.
    groupPrefix: env.OTP_TOPIC_PREFIX,
    ports: {
      inbox: 0,
      smpp: 0,
      smscControl: 0,
      whatsapp: 0,
      voice: 0,
      whatsappWebhook: await freePort(),
      // The voice provider calls back on a URL built from this port: it must be known up front.
      voiceWebhook: await freePort(),
    },
    retentionMs: 3_600_000,
    routing: {
      health: {
        minSamples: s.health.minSamples,
        windowMs: ms(s.health.windowSeconds),
        bucketMs: Math.max(100, ms(s.health.bucketSeconds)),
        minDwellMs: ms(s.health.minDwellSeconds),
      },
    },
  });
  await app.start();
  const { port } = await server.start();
  return {
    strategy,
    app,
    platform,
    address: `127.0.0.1:${port}`,
    token: DEV_TOKENS[0]!.token,
    secondToken: SECOND_TENANT.token,
    async stop() {
      await server.shutdown(1_000);
      await app.stop();
      await admission.close();
      await platform.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
