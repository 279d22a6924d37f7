/**
 * `npm start` gives out its public development tokens and the handset inbox only on a
 * development platform (embedded bus and store, loopback): with a real backend or an open
 * address and no credentials it refuses to start and says what to set; with OTP_TOKENS its banner
 * shows those tokens, and the development ones do not work.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { describe, it } from "node:test";
import { status as GrpcStatus, type ServiceError } from "@grpc/grpc-js";
import { IssuanceServiceClient } from "@proto/otp/v1/issuance";
import { DEV_TOKENS } from "@platform/development/tokens";
import { callUnary, createClient } from "@platform/grpc/client";
import { ANY_FREE_PORTS, NPM_START_ARGS, ROOT } from "../support/npm-start";

const PORTS = { ...ANY_FREE_PORTS, LOG_LEVEL: "warn" };

function startProcess(over: Record<string, string>) {
  const env: NodeJS.ProcessEnv = { ...process.env, ...PORTS, ...over };
  for (const name of ["KAFKA_BROKERS", "REDIS_URL", "OTP_TOKENS", "OTP_TLS_CA"]) {
    if (!(name in over)) delete env[name];
  }
  const child = spawn(process.execPath, NPM_START_ARGS, {
    cwd: ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const out: string[] = [];
  let err = "";
  createInterface({ input: child.stdout }).on("line", (l) => out.push(l));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
  return { child, out, stderr: () => err, exited };
}

describe("npm start outside development", () => {
  for (const [what, over, why] of [
    ["a real Kafka", { KAFKA_BROKERS: "127.0.0.1:1" }, "KAFKA_BROKERS is set"],
    ["an address off loopback", { GRPC_ADDRESS: "0.0.0.0:0" }, "GRPC_ADDRESS listens on 0.0.0.0"],
  ] as const) {
    it(`refuses to start with ${what} and no credentials, saying what to set`, async () => {
      const p = startProcess(over);
      assert.equal(await p.exited, 2);
      assert.match(p.stderr(), new RegExp(why));
      assert.match(p.stderr(), /Set OTP_TOKENS/);
      assert.ok(!p.out.some((l) => l.includes("dev-token")), "no development token printed");
    });
  }

  it("with OTP_TOKENS shows those tokens, and the development ones are refused", async () => {
    const tokens = [
      { token: "own-token-bank-0123456789", principal: "tenant:bank", tenant: "bank", roles: ["tenant"] },
      { token: "own-token-shop-0123456789", principal: "tenant:shop", tenant: "shop", roles: ["tenant"] },
    ];
    const p = startProcess({ OTP_TOKENS: JSON.stringify(tokens) });
    try {
      const grpc = await new Promise<string>((resolve, reject) => {
        const poll = setInterval(() => {
          const m = p.out.map((l) => /gRPC\s+(\S+:\d+)/.exec(l)).find(Boolean);
          if (m) resolve((clearInterval(poll), m[1]!));
        }, 100);
        void p.exited.then(() => reject(new Error(`exited: ${p.stderr()}`)));
      });
      const banner = p.out.join("\n");
      assert.match(banner, /tenant bank: own-token-bank-0123456789; tenant shop: own-token-shop-0123456789/);
      assert.ok(!banner.includes("dev-token"), banner);
      const client = (token: string) =>
        createClient(IssuanceServiceClient, {
          address: grpc,
          insecure: true,
          token,
          defaultDeadlineMs: 5_000,
        });
      const dev = client(DEV_TOKENS[0]!.token);
      const own = client(tokens[0]!.token);
      try {
        const refused = await callUnary(dev, "getVerification", { verificationId: "ver_none" }).catch(
          (e: ServiceError) => e,
        );
        assert.equal((refused as ServiceError).code, GrpcStatus.UNAUTHENTICATED);
        const missing = await callUnary(own, "getVerification", { verificationId: "ver_none" }).catch(
          (e: ServiceError) => e,
        );
        assert.notEqual((missing as ServiceError).code, GrpcStatus.UNAUTHENTICATED);
      } finally {
        dev.close();
        own.close();
      }
    } finally {
      p.child.kill("SIGTERM");
      await p.exited;
    }
  });
});
