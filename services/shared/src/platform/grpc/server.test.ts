/**
 * The server wrapper over real grpc-js on loopback: errors in the richer error model, message
 * limits, deadlines, streaming, health, reflection and shutdown.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { BinaryReader } from "@bufbuild/protobuf/wire";
import { protoPath as healthProtoPath } from "grpc-health-check";
import {
  IssuanceServiceClient,
  IssuanceServiceService,
  StartVerificationRequest,
  type WatchVerificationResponse,
} from "@proto/otp/v1/issuance";
import { createLogger, type LogFields } from "../log";
import { callUnary, createClient } from "./client";
import { createGrpcServer, type GrpcServer } from "./server";
import { decodeStatusDetails } from "./status";
import { createTestIssuance } from "@test/support/grpc-test-service";

const TOKEN = "dev-token-tenant-0123456789";
const BODY_MARKER = "idem-BODY-MARKER-42";

async function rejection(promise: Promise<unknown>): Promise<grpc.ServiceError> {
  try {
    await promise;
  } catch (err) {
    return err as grpc.ServiceError;
  }
  assert.fail("expected the call to fail");
}

async function eventually(check: () => boolean, what: string, withinMs = 10_000): Promise<void> {
  const until = Date.now() + withinMs;
  while (!check()) {
    if (Date.now() > until) assert.fail(`not within ${withinMs} ms: ${what}`);
    await sleep(20);
  }
}

function unaryCall<Res>(
  client: grpc.Client,
  method: protoLoader.MethodDefinition<object, object>,
  request: object,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      method.path,
      method.requestSerialize,
      method.responseDeserialize,
      request,
      (err, res) => (err ? reject(err) : resolve(res as Res)),
    );
  });
}

describe("grpc server", () => {
  let server: GrpcServer;
  let address: string;
  let client: IssuanceServiceClient;
  const logLines: LogFields[] = [];
  const { handlers, probe } = createTestIssuance();
  const start = (purpose: string, options: { deadlineMs?: number } = {}) =>
    callUnary(
      client,
      "startVerification",
      StartVerificationRequest.fromPartial({ phone: "+6281234567890", purpose, idempotencyKey: BODY_MARKER }),
      options,
    );

  before(async () => {
    server = createGrpcServer({
      address: "127.0.0.1:0",
      insecure: true,
      tokens: [{ token: TOKEN, principal: "app:acme-web", tenant: "acme-bank", roles: ["tenant"] }],
      defaultDeadlineMs: 400,
      logger: createLogger({ write: (line) => logLines.push(JSON.parse(line) as LogFields) }),
    });
    server.addService(IssuanceServiceService, handlers);
    address = `127.0.0.1:${(await server.start()).port}`;
    client = createClient(IssuanceServiceClient, { address, insecure: true, token: TOKEN });
  });

  after(async () => {
    client.close();
    await server.shutdown(1000);
  });

  describe("errors", () => {
    it("sends a rate limit as RESOURCE_EXHAUSTED with ErrorInfo and RetryInfo", async () => {
      const err = await rejection(start("rate-limited"));
      assert.equal(err.code, grpc.status.RESOURCE_EXHAUSTED);
      assert.deepEqual(decodeStatusDetails(err), {
        code: grpc.status.RESOURCE_EXHAUSTED,
        message: "too many verifications for this number",
        reason: "OTP_RATE_LIMITED",
        retryable: true,
        retryAfterMs: 1500,
        violations: [],
      });
    });

    it("sends field violations as BadRequest", async () => {
      const err = await rejection(start("invalid"));
      assert.equal(err.code, grpc.status.INVALID_ARGUMENT);
      const details = decodeStatusDetails(err);
      assert.equal(details.reason, "OTP_INVALID_ARGUMENT");
      assert.deepEqual(details.violations, [{ field: "phone", description: "must be E.164" }]);
      assert.equal(details.retryAfterMs, undefined);
    });

    it("sends an unexpected error as INTERNAL without its message, and logs it once", async () => {
      const before = logLines.length;
      const err = await rejection(start("crash"));
      assert.equal(err.code, grpc.status.INTERNAL);
      assert.equal(err.details, "internal error");
      assert.equal(decodeStatusDetails(err).reason, "OTP_INTERNAL");
      const trailers =
        JSON.stringify(err.metadata.toJSON()) + err.metadata.get("grpc-status-details-bin").toString();
      assert.ok(!/hunter2|redis-secret/.test(err.message + trailers));

      const lines = logLines.slice(before);
      assert.equal(lines.length, 1);
      assert.equal(lines[0]!.level, "error");
      assert.equal(lines[0]!.method, "/otp.v1.IssuanceService/StartVerification");
      assert.equal(lines[0]!.principal, "app:acme-web");
      assert.equal(lines[0]!.tenant, "acme-bank");
      assert.match(JSON.stringify(lines[0]), /ECONNREFUSED/);
    });

    it("never logs request bodies", () => {
      assert.ok(logLines.length > 0);
      assert.ok(!JSON.stringify(logLines).includes(BODY_MARKER));
    });
  });

  it("rejects a request over the receive limit with RESOURCE_EXHAUSTED before the handler", async () => {
    const big = createClient(IssuanceServiceClient, {
      address,
      insecure: true,
      token: TOKEN,
      maxSendMessageBytes: 1024 * 1024, // let it leave the client; the server must refuse it
    });
    try {
      const calls = probe.calls;
      const request = StartVerificationRequest.fromPartial({ phone: "+62812", purpose: "x".repeat(100_000) });
      const err = await rejection(callUnary(big, "startVerification", request));
      assert.equal(err.code, grpc.status.RESOURCE_EXHAUSTED);
      assert.equal(probe.calls, calls);
    } finally {
      big.close();
    }
  });

  describe("deadlines", () => {
    it("gives a call without a deadline the server's budget, then DEADLINE_EXCEEDED", async () => {
      const raw = new IssuanceServiceClient(address, grpc.credentials.createInsecure());
      try {
        const metadata = new grpc.Metadata();
        metadata.set("authorization", `Bearer ${TOKEN}`);
        const aborts = probe.aborts.length;
        const request = StartVerificationRequest.fromPartial({ purpose: "hang" });
        const err = await rejection(
          new Promise((resolve, reject) =>
            raw.startVerification(request, metadata, (e, res) => (e ? reject(e) : resolve(res))),
          ),
        );
        assert.equal(err.code, grpc.status.DEADLINE_EXCEEDED);
        assert.equal(decodeStatusDetails(err).reason, "OTP_DEADLINE_EXCEEDED");
        const deadline = probe.lastContext!.deadline.getTime();
        assert.ok(deadline < Date.now() + 1000, "budget applied");
        await eventually(() => probe.aborts.length > aborts, "handler signal aborted");
      } finally {
        raw.close();
      }
    });

    it("passes the client's deadline to the handler and aborts it when it passes", async () => {
      const aborts = probe.aborts.length;
      const err = await rejection(start("hang", { deadlineMs: 150 }));
      assert.equal(err.code, grpc.status.DEADLINE_EXCEEDED);
      await eventually(() => probe.aborts.length > aborts, "handler signal aborted");
    });

    it("puts a deadline on every client call", async () => {
      const before = Date.now();
      await start("login");
      const deadline = probe.lastContext!.deadline.getTime();
      assert.ok(deadline > before && deadline <= Date.now() + 5_000, "the client's default 5 s deadline");
    });
  });

  describe("server streaming", () => {
    it("streams every update in order, then ends", async () => {
      const received: WatchVerificationResponse[] = [];
      for await (const update of client.watchVerification({ verificationId: "v-7" })) {
        received.push(update as WatchVerificationResponse);
      }
      assert.deepEqual(
        received.map((r) => r.event),
        ["update 1", "update 2", "update 3"],
      );
      assert.equal(received[0]!.verification?.district, "acme-bank");
    });

    it("aborts the handler when the client cancels", async () => {
      const aborts = probe.aborts.length;
      const stream = client.watchVerification({ verificationId: "forever" });
      stream.on("error", () => undefined); // the CANCELLED status after cancel()
      await new Promise((resolve) => stream.once("data", resolve));
      stream.cancel();
      await eventually(() => probe.aborts.length > aborts, "handler signal aborted");
    });
  });

  describe("health", () => {
    const definition = protoLoader.loadSync(healthProtoPath, { enums: String })["grpc.health.v1.Health"];
    const check = (healthClient: grpc.Client, service: string) =>
      unaryCall<{ status: string }>(healthClient, (definition as protoLoader.ServiceDefinition)["Check"]!, {
        service,
      }).then((r) => r.status);

    it("reports SERVING and NOT_SERVING per service, and NOT_FOUND for unknown ones", async () => {
      const healthClient = new grpc.Client(address, grpc.credentials.createInsecure());
      try {
        assert.equal(await check(healthClient, ""), "SERVING");
        assert.equal(await check(healthClient, "otp.v1.IssuanceService"), "SERVING");
        server.setServing("otp.v1.IssuanceService", false);
        assert.equal(await check(healthClient, "otp.v1.IssuanceService"), "NOT_SERVING");
        server.setServing("otp.v1.IssuanceService", true);
        assert.equal(await check(healthClient, "otp.v1.IssuanceService"), "SERVING");
        const err = await rejection(check(healthClient, "otp.v1.NoSuchService"));
        assert.equal(err.code, grpc.status.NOT_FOUND);
      } finally {
        healthClient.close();
      }
    });
  });

  describe("reflection", () => {
    it("lists and describes our services over the reflection protocol", async () => {
      const reflectionProto = path.resolve(
        path.dirname(require.resolve("@grpc/reflection")),
        "../proto/grpc/reflection/v1/reflection.proto",
      );
      const definition = protoLoader.loadSync(reflectionProto, { keepCase: true })[
        "grpc.reflection.v1.ServerReflection"
      ] as protoLoader.ServiceDefinition;
      const method = definition["ServerReflectionInfo"]!;
      const reflectionClient = new grpc.Client(address, grpc.credentials.createInsecure());
      try {
        const stream = reflectionClient.makeBidiStreamRequest(
          method.path,
          method.requestSerialize,
          method.responseDeserialize,
        );
        const responses: ReflectionResponse[] = [];
        const done = new Promise<void>((resolve, reject) => {
          stream.on("data", (r: ReflectionResponse) => responses.push(r));
          stream.on("end", resolve);
          stream.on("error", reject);
        });
        stream.write({ list_services: "" });
        stream.write({ file_containing_symbol: "otp.v1.IssuanceService" });
        stream.end();
        await done;

        const names = responses[0]?.list_services_response?.service.map((s) => s.name) ?? [];
        assert.ok(names.includes("otp.v1.IssuanceService"), names.join(","));
        assert.ok(names.includes("grpc.health.v1.Health"), names.join(","));
        assert.ok(!names.includes("otp.v1.RoutingService"), "only services this server hosts");

        const files = responses[1]?.file_descriptor_response?.file_descriptor_proto ?? [];
        const described = files.map(describeFile).find((f) => f.services.includes("IssuanceService"));
        // proto-loader (protobufjs) names descriptor files after their package: otp_v1.proto.
        assert.equal(described?.package, "otp.v1");
      } finally {
        reflectionClient.close();
      }
    });
  });
});

describe("grpc server shutdown", () => {
  it("lets calls finish within the grace period, then cancels the rest", async () => {
    const { handlers } = createTestIssuance();
    const server = createGrpcServer({
      address: "127.0.0.1:0",
      insecure: true,
      tokens: [{ token: TOKEN, principal: "p", tenant: "t", roles: ["tenant"] }],
      logger: createLogger({ write: () => undefined }),
    });
    server.addService(IssuanceServiceService, handlers);
    const address = `127.0.0.1:${(await server.start()).port}`;
    const client = createClient(IssuanceServiceClient, { address, insecure: true, token: TOKEN });
    try {
      const stream = client.watchVerification({ verificationId: "forever" });
      const ended = new Promise<grpc.ServiceError | undefined>((resolve) => {
        stream.on("error", resolve);
        stream.on("end", () => resolve(undefined));
        stream.on("data", () => undefined);
      });
      await new Promise((resolve) => stream.once("data", resolve));
      await server.shutdown(200);
      const err = await ended;
      assert.ok(err, "the stream failed instead of ending normally");
      assert.notEqual(err.code, grpc.status.OK);
    } finally {
      client.close();
    }
  });
});

interface ReflectionResponse {
  list_services_response?: { service: { name: string }[] };
  file_descriptor_response?: { file_descriptor_proto: Buffer[] };
}

/** Reads name (1), package (2) and service names (6 → 1) of a FileDescriptorProto. */
function describeFile(bytes: Buffer): { name: string; package: string; services: string[] } {
  const file = { name: "", package: "", services: [] as string[] };
  const reader = new BinaryReader(bytes);
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 1) file.name = reader.string();
    else if (field === 2) file.package = reader.string();
    else if (field === 6) file.services.push(firstStringField(reader.bytes()));
    else reader.skip(wireType);
  }
  return file;
}

function firstStringField(bytes: Uint8Array): string {
  const reader = new BinaryReader(bytes);
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 1) return reader.string();
    reader.skip(wireType);
  }
  return "";
}
