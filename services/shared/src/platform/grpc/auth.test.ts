/**
 * Caller identity over real grpc-js connections on loopback: mTLS with certificates made at
 * test time, static tokens, and the admin role.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { TLSSocket } from "node:tls";
import { status as GrpcCode, type ServiceError } from "@grpc/grpc-js";
import {
  CancelVerificationRequest,
  IssuanceServiceClient,
  IssuanceServiceService,
  StartVerificationRequest,
} from "@proto/otp/v1/issuance";
import { createTestCertificates, type KeyPair, type TestCertificates } from "@test/certs";
import { silentLogger } from "../log";
import { callUnary, createClient } from "./client";
import { identityFromCommonName, createIdentityResolver } from "./identity";
import { createGrpcServer, type GrpcServer } from "./server";
import { decodeStatusDetails } from "./status";
import { createTestIssuance } from "@test/support/grpc-test-service";

const TOKENS = {
  tenant: "dev-token-tenant-0123456789",
  admin: "dev-token-admin-0123456789ab",
};

async function rejection(promise: Promise<unknown>): Promise<ServiceError> {
  try {
    await promise;
  } catch (err) {
    return err as ServiceError;
  }
  assert.fail("expected the call to fail");
}

describe("caller identity over mTLS", () => {
  let certs: TestCertificates;
  let server: GrpcServer;
  let address: string;
  const { handlers, probe } = createTestIssuance();
  const clients: IssuanceServiceClient[] = [];

  const client = (pair?: KeyPair, token?: string): IssuanceServiceClient => {
    const serverName = "localhost"; // the name in the server certificate; we dial 127.0.0.1
    const tls = pair
      ? { ca: certs.ca, cert: pair.cert, key: pair.key, serverName }
      : { ca: certs.ca, serverName };
    const created = createClient(IssuanceServiceClient, { address, tls, ...(token ? { token } : {}) });
    clients.push(created);
    return created;
  };
  const start = (c: IssuanceServiceClient) =>
    callUnary(
      c,
      "startVerification",
      StartVerificationRequest.fromPartial({ phone: "+6281234567890", purpose: "login" }),
    );

  before(async () => {
    certs = createTestCertificates("acme-bank");
    server = createGrpcServer({
      address: "127.0.0.1:0",
      tls: { ca: certs.ca, cert: certs.server.cert, key: certs.server.key },
      tokens: [{ token: TOKENS.admin, principal: "admin:ops-tool", roles: ["admin"] }],
      logger: silentLogger(),
    });
    server.addService(IssuanceServiceService, handlers, { adminMethods: ["cancelVerification"] });
    const { port } = await server.start();
    address = `127.0.0.1:${port}`;
  });

  after(async () => {
    for (const c of clients) c.close();
    await server.shutdown(1000);
    certs.remove();
  });

  it("takes the tenant from a tenant certificate", async () => {
    const res = await start(client(certs.tenant));
    assert.equal(res.verification?.purpose, "tenant:acme-bank");
    assert.equal(res.verification?.district, "acme-bank");
    assert.equal(probe.lastContext?.identity.via, "mtls");
    assert.deepEqual([...probe.lastContext.identity.roles], ["tenant"]);
  });

  it("reads a connection's certificate once, at the handshake, not on every call", async (t) => {
    const reads = t.mock.method(TLSSocket.prototype, "getPeerCertificate");
    const c = client(certs.tenant);
    for (let i = 0; i < 5; i++) {
      const res = await start(c);
      assert.equal(res.verification?.purpose, "tenant:acme-bank");
    }
    const serverPort = Number(address.split(":")[1]);
    // The server's side of the connection is the socket whose local port is the server's.
    const byServer = reads.mock.calls.filter((call) => (call.this as TLSSocket).localPort === serverPort);
    assert.equal(
      byServer.length,
      1,
      `the server read the client's certificate ${byServer.length} times for 5 calls`,
    );
  });

  it("gives two connections of different tenants each its own identity, call after call", async () => {
    const tenant = client(certs.tenant);
    const service = client(certs.service);
    for (let i = 0; i < 3; i++) {
      const [a, b] = await Promise.all([start(tenant), start(service)]);
      assert.equal(a.verification?.purpose, "tenant:acme-bank");
      assert.equal(b.verification?.purpose, "service:routing");
    }
  });

  it("gives a service certificate no tenant, so tenant-scoped calls are refused", async () => {
    const c = client(certs.service);
    const res = await start(c);
    assert.equal(res.verification?.purpose, "service:routing");
    assert.equal(res.verification?.district, "");
    const err = await rejection(callUnary(c, "resendCode", { verificationId: "v-1", channel: 0 }));
    assert.equal(err.code, GrpcCode.PERMISSION_DENIED);
  });

  it("rejects a client without a certificate before any handler runs", async () => {
    const calls = probe.calls;
    const err = await rejection(start(client()));
    assert.equal(err.code, GrpcCode.UNAVAILABLE);
    assert.equal(probe.calls, calls);
  });

  it("rejects a certificate from an unknown CA before any handler runs", async () => {
    const calls = probe.calls;
    const err = await rejection(start(client(certs.foreignTenant)));
    assert.equal(err.code, GrpcCode.UNAVAILABLE);
    assert.equal(probe.calls, calls);
  });

  it("rejects a server certificate used as a client certificate", async () => {
    const err = await rejection(start(client(certs.server)));
    assert.equal(err.code, GrpcCode.UNAVAILABLE); // no clientAuth in its extended key usage
  });

  it("refuses a client certificate of our CA whose name is not an identity", async () => {
    const err = await rejection(start(client(certs.issueClient("billing-app"))));
    assert.equal(err.code, GrpcCode.UNAUTHENTICATED);
    assert.equal(decodeStatusDetails(err).reason, "OTP_UNAUTHENTICATED");
  });

  it("fails a call whose token is wrong even when the certificate is good", async () => {
    const err = await rejection(start(client(certs.tenant, "not-a-valid-token-at-all")));
    assert.equal(err.code, GrpcCode.UNAUTHENTICATED);
  });

  it("allows admin methods only to the admin role", async () => {
    const cancel = (c: IssuanceServiceClient) =>
      callUnary(c, "cancelVerification", { verificationId: "v-9", reason: "support" });
    const denied = await rejection(cancel(client(certs.tenant)));
    assert.equal(denied.code, GrpcCode.PERMISSION_DENIED);
    assert.equal(decodeStatusDetails(denied).reason, "OTP_PERMISSION_DENIED");
    assert.equal((await cancel(client(certs.admin))).verification?.purpose, "admin:alice");
    const byToken = await cancel(client(certs.service, TOKENS.admin));
    assert.equal(byToken.verification?.purpose, "admin:ops-tool");
  });
});

describe("caller identity from static tokens", () => {
  let server: GrpcServer;
  let address: string;
  const { handlers, probe } = createTestIssuance();
  const clients: IssuanceServiceClient[] = [];

  const client = (token?: string): IssuanceServiceClient => {
    const created = createClient(IssuanceServiceClient, {
      address,
      insecure: true,
      ...(token ? { token } : {}),
    });
    clients.push(created);
    return created;
  };
  const start = (c: IssuanceServiceClient) =>
    callUnary(c, "startVerification", StartVerificationRequest.fromPartial({ phone: "+6281234567890" }));

  before(async () => {
    server = createGrpcServer({
      address: "127.0.0.1:0",
      insecure: true,
      tokens: [
        { token: TOKENS.tenant, principal: "app:acme-web", tenant: "acme-bank", roles: ["tenant"] },
        { token: TOKENS.admin, principal: "admin:ops-tool", roles: ["admin"] },
      ],
      logger: silentLogger(),
    });
    server.addService(IssuanceServiceService, handlers, { adminMethods: ["cancelVerification"] });
    address = `127.0.0.1:${(await server.start()).port}`;
  });

  after(async () => {
    for (const c of clients) c.close();
    await server.shutdown(1000);
  });

  it("maps a valid token to its identity and hides the token from handlers", async () => {
    const res = await start(client(TOKENS.tenant));
    assert.equal(res.verification?.purpose, "app:acme-web");
    assert.equal(res.verification?.district, "acme-bank");
    assert.equal(res.verification?.locale, "", "authorization header reached the handler");
    assert.equal(probe.lastContext?.identity.via, "token");
  });

  it("answers UNAUTHENTICATED to a wrong, a truncated or a missing token", async () => {
    for (const token of ["wrong-token-wrong-token", TOKENS.tenant.slice(0, -1), undefined]) {
      const calls = probe.calls;
      const err = await rejection(start(client(token)));
      assert.equal(err.code, GrpcCode.UNAUTHENTICATED, String(token));
      assert.equal(err.details, "caller identity required");
      assert.equal(probe.calls, calls);
    }
  });

  it("enforces the admin role for tokens too", async () => {
    const cancel = (c: IssuanceServiceClient) =>
      callUnary(c, "cancelVerification", CancelVerificationRequest.fromPartial({ verificationId: "v" }));
    assert.equal((await rejection(cancel(client(TOKENS.tenant)))).code, GrpcCode.PERMISSION_DENIED);
    assert.equal((await cancel(client(TOKENS.admin))).verification?.purpose, "admin:ops-tool");
  });
});

describe("identity rules", () => {
  it("parses only <tenant|service|admin>:<name> common names", () => {
    assert.deepEqual(identityFromCommonName("tenant:acme-bank")?.tenant, "acme-bank");
    assert.equal(identityFromCommonName("service:routing")?.tenant, undefined);
    assert.equal(identityFromCommonName("admin:alice@bank.example")?.principal, "admin:alice@bank.example");
    for (const cn of [
      "localhost",
      "tenant:",
      "root:alice",
      "tenant:acme bank",
      "tenant:a:b",
      `tenant:${"x".repeat(65)}`,
    ]) {
      assert.equal(identityFromCommonName(cn), undefined, cn);
    }
  });

  it("refuses unsafe token configuration", () => {
    const valid = { token: TOKENS.tenant, principal: "p", tenant: "acme", roles: ["tenant" as const] };
    assert.doesNotThrow(() => createIdentityResolver([valid]));
    assert.throws(() => createIdentityResolver([{ ...valid, token: "short" }]), /CONFIG_INVALID|shorter/);
    assert.throws(() => createIdentityResolver([{ ...valid, roles: [] }]), /roles/);
    assert.throws(() => createIdentityResolver([{ ...valid, tenant: undefined }]), /tenant/);
  });
});
