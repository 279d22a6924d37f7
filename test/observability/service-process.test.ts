/**
 * A service's own main, as deployed: the issuance process started with the standard OTEL_*
 * variables exports its spans over OTLP (http/json here, to an in-test receiver) under its
 * service name, with the gRPC server span parenting the Kafka-bus producer span — which only
 * holds if instrumentation.ts was loaded before grpc-js — and serves /metrics. It runs on the
 * embedded bus and store, so it needs no Kafka or Redis.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { StartVerificationRequest } from "@proto/otp/v1/issuance";
import { IssuanceServiceClient } from "@proto/otp/v1/issuance";
import { callUnary, createClient } from "@platform/grpc/client";

const ROOT = path.resolve(__dirname, "../..");
const TOKEN = "tok-process-test-0123456789";

interface OtlpSpan {
  service: string;
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId: string;
}

const received: OtlpSpan[] = [];
let receiver: Server;
let child: ChildProcess;
const lines: string[] = [];

function collect(body: string): void {
  const payload = JSON.parse(body) as {
    resourceSpans?: Array<{
      resource?: { attributes?: Array<{ key: string; value: { stringValue?: string } }> };
      scopeSpans?: Array<{ spans?: Array<Omit<OtlpSpan, "service">> }>;
    }>;
  };
  for (const rs of payload.resourceSpans ?? []) {
    const service = rs.resource?.attributes?.find((a) => a.key === "service.name")?.value.stringValue ?? "";
    for (const ss of rs.scopeSpans ?? []) for (const s of ss.spans ?? []) received.push({ ...s, service });
  }
}

async function logged(pattern: RegExp, timeoutMs = 30_000): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const line of lines) {
      const match = pattern.exec(line);
      if (match) return match;
    }
    if (Date.now() > deadline || child.exitCode !== null) {
      throw new Error(`the issuance process never logged ${pattern}:\n${lines.join("\n")}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

before(async () => {
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (c: Buffer) => chunks.push(c));
    request.on("end", () => {
      if (request.url === "/v1/traces") collect(Buffer.concat(chunks).toString("utf8"));
      response.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  receiver.listen(0, "127.0.0.1");
  await once(receiver, "listening");
  const { port } = receiver.address() as { port: number };
  child = spawn(process.execPath, ["--import", "tsx", "services/issuance/src/main.ts"], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      OTEL_BSP_SCHEDULE_DELAY: "100",
      GRPC_ADDRESS: "127.0.0.1:0",
      METRICS_LISTEN: "127.0.0.1:0",
      OTP_TOKENS: JSON.stringify([
        { token: TOKEN, principal: "tenant:acme", tenant: "acme", roles: ["tenant"] },
      ]),
      LOG_LEVEL: "info",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  for (const stream of [child.stdout!, child.stderr!]) {
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => lines.push(...chunk.split("\n").filter(Boolean)));
  }
});

after(async () => {
  if (child.exitCode === null) {
    child.kill("SIGKILL");
    await once(child, "exit");
  }
  receiver.close();
});

describe("a service process with the standard OTEL_* variables", () => {
  it("exports its spans over OTLP under its name, serves /metrics, and flushes on SIGTERM", async () => {
    const grpcPort = (await logged(/"grpc server listening".*"port":(\d+)/))[1]!;
    const metricsUrl = (await logged(/"metrics listening".*"url":"([^"]+)"/))[1]!;
    const client = createClient(IssuanceServiceClient, {
      address: `127.0.0.1:${grpcPort}`,
      insecure: true,
      token: TOKEN,
    });
    const response = await callUnary(
      client,
      "startVerification",
      StartVerificationRequest.fromPartial({ phone: "+6281234567890", purpose: "login", locale: "id" }),
    );
    client.close();
    assert.match(response.verification!.verificationId, /^ver_/);

    const metrics = await (await fetch(metricsUrl)).text();
    assert.match(
      metrics,
      /otp_start_requests_total\{purpose="login",outcome="started",service="issuance"\} 1/,
    );
    assert.match(metrics, /otp_grpc_requests_total\{method="IssuanceService\/StartVerification",code="ok"/);

    child.kill("SIGTERM");
    const [code] = (await once(child, "exit")) as [number | null];
    assert.equal(code, 0, lines.join("\n"));
    const server = received.find(
      (s) => s.name === "grpc.otp.v1.IssuanceService/StartVerification" && s.kind === 2,
    );
    assert.ok(server, `no StartVerification server span among ${received.map((s) => s.name).join(", ")}`);
    assert.equal(server.service, "issuance");
    const publish = received.find(
      (s) => s.name === "send otp.verifications.v1" && s.parentSpanId === server.spanId,
    );
    assert.ok(publish, "the VerificationStarted publish is a child of the gRPC server span");
    assert.equal(publish.traceId, server.traceId);
  });
});
