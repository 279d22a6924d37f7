/**
 * What one caller may hold on a server: request metadata is capped, each connection advertises
 * a cap on concurrent streams, and WatchVerification streams are capped per tenant, each refusal
 * RESOURCE_EXHAUSTED with a message that says which limit.
 */
import assert from "node:assert/strict";
import { connect as connectHttp2 } from "node:http2";
import { after, before, describe, it } from "node:test";
import * as grpc from "@grpc/grpc-js";
import { StartVerificationRequest } from "@proto/otp/v1/issuance";
import { callUnary } from "@platform/grpc/client";
import { decodeStatusDetails } from "@platform/grpc/status";
import { startLifecycle, TOKENS, type LifecycleHarness } from "./lifecycle-harness";

let h: LifecycleHarness;
let phoneSeq = 0;

const startPending = async (token: string): Promise<string> => {
  const request = StartVerificationRequest.fromPartial({
    phone: `+62812${String(30_000_000 + phoneSeq++).padStart(8, "0")}`,
    purpose: "login",
    locale: "id",
  });
  return (await callUnary(h.issuance(token), "startVerification", request)).verification!.verificationId;
};

/** Opens a watch; resolves with it once the first update came, or with the error that ended it. */
const watch = (token: string, verificationId: string) =>
  new Promise<{ stream: grpc.ClientReadableStream<unknown> } | { error: grpc.ServiceError }>((resolve) => {
    const stream = h.issuance(token).watchVerification({ verificationId });
    stream.once("data", () => resolve({ stream }));
    stream.on("error", (error: grpc.ServiceError) => resolve({ error }));
  });

describe("gRPC limits", () => {
  before(async () => {
    h = await startLifecycle({ maxWatchesPerTenant: 2 });
  });
  after(() => h.close());

  it("refuses a WatchVerification past the tenant's cap, and only that tenant's", async () => {
    const ids = await Promise.all([1, 2, 3].map(() => startPending(TOKENS.acme)));
    const open = [await watch(TOKENS.acme, ids[0]!), await watch(TOKENS.acme, ids[1]!)];
    for (const w of open) assert.ok("stream" in w, "the first two are served");
    const third = await watch(TOKENS.acme, ids[2]!);
    assert.ok("error" in third);
    assert.equal(third.error.code, grpc.status.RESOURCE_EXHAUSTED);
    assert.equal(decodeStatusDetails(third.error).reason, "OTP_LIMIT_EXCEEDED");
    assert.match(third.error.details, /already has 2 WatchVerification streams open/);
    // Another tenant has its own places.
    const other = await watch(TOKENS.tight, await startPending(TOKENS.tight));
    assert.ok("stream" in other);
    // A closed stream gives its place back.
    const first = open[0] as { stream: grpc.ClientReadableStream<unknown> };
    first.stream.cancel();
    let again = await watch(TOKENS.acme, ids[2]!);
    for (let i = 0; "error" in again && i < 100; i++) {
      await new Promise((r) => setTimeout(r, 20)); // the server hears of the cancel a moment later
      again = await watch(TOKENS.acme, ids[2]!);
    }
    assert.ok("stream" in again, "a place freed by a cancel is taken");
    for (const w of [open[1], other, again]) if (w && "stream" in w) w.stream.cancel();
  });

  it("refuses request metadata over the cap, naming its size and the limit", async () => {
    const metadata = new grpc.Metadata();
    metadata.set("x-padding", "p".repeat(9_000));
    const err = await callUnary(
      h.issuance(TOKENS.acme),
      "getVerification",
      { verificationId: "ver_x" },
      { metadata },
    ).then(
      () => assert.fail("expected RESOURCE_EXHAUSTED"),
      (e: grpc.ServiceError) => e,
    );
    assert.equal(err.code, grpc.status.RESOURCE_EXHAUSTED);
    assert.match(err.details, /^request metadata is \d+ bytes, over this server's limit of 8192 bytes$/);
  });

  it("advertises its cap on concurrent streams per connection", async () => {
    const session = connectHttp2(`http://${h.address}`);
    try {
      const settings = await new Promise<{ maxConcurrentStreams?: number }>((resolve, reject) => {
        session.once("remoteSettings", resolve);
        session.once("error", reject);
      });
      assert.equal(settings.maxConcurrentStreams, 100);
    } finally {
      session.close();
    }
  });
});
