/**
 * The store loses every key (what a Redis restarted without persistence looks like) while
 * verifications are live: the verification service notices by itself and rebuilds the projection
 * from the Kafka log. Live verifications verify afterwards; a code used before the loss stays used.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { status as GrpcStatus, type ServiceError } from "@grpc/grpc-js";
import { StartVerificationRequest } from "@proto/otp/v1/issuance";
import { CheckCodeRequest, CheckResult } from "@proto/otp/v1/verification";
import { callUnary } from "@platform/grpc/client";
import { eventually } from "../support/channel-fixture";
import { TOKENS, startLifecycle, type LifecycleHarness } from "./lifecycle-harness";

let h: LifecycleHarness;
before(async () => {
  h = await startLifecycle();
});
after(async () => {
  await h?.close();
});

const phone = (i: number): string => `+6281377${String(Date.now() % 100_000).padStart(5, "0")}${i}`;

async function readable(id: string): Promise<boolean> {
  try {
    await callUnary(h.issuance(TOKENS.acme), "getVerification", { verificationId: id });
    return true;
  } catch (err) {
    if ((err as ServiceError).code === GrpcStatus.NOT_FOUND) return false;
    throw err;
  }
}

const check = (id: string, code: string) =>
  callUnary(
    h.verification(TOKENS.acme),
    "checkCode",
    CheckCodeRequest.fromPartial({ target: { $case: "verificationId", value: id }, code }),
  );

describe("store loss", () => {
  it("is noticed and the projection rebuilt from the log, single use included", async () => {
    // A new store is replayed into at start; that replay must be over before the loss, or it
    // would repair the loss itself.
    await eventually(
      "the start-time replay done",
      async () => h.logs.some((l) => l.includes("projection rebuilt from the log")),
      60_000,
    );
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await callUnary(
        h.issuance(TOKENS.acme),
        "startVerification",
        StartVerificationRequest.fromPartial({ phone: phone(i), purpose: "login", locale: "en" }),
      );
      ids.push(res.verification?.verificationId ?? "");
    }
    const codes = await Promise.all(ids.map((id) => h.codeOf(id)));
    const [used, ...live] = ids;
    assert.ok(used);
    assert.equal((await check(used, codes[0] ?? "")).result, CheckResult.CHECK_RESULT_VERIFIED);
    // The check's outcome is on the log before its answer; let the projector see it too.
    await eventually(
      "the check outcome on the log",
      async () => h.eventsOf(used).some((e) => e.event?.$case === "codeChecked"),
      60_000,
    );

    await h.platform.store.clear();
    assert.equal(await readable(ids[1] ?? ""), false, "the store really lost the verification");

    await eventually(
      "every verification readable again",
      async () => {
        for (const id of ids) if (!(await readable(id))) return false;
        return true;
      },
      60_000,
    );
    const rebuilds = () => h.logs.filter((l) => l.includes("rebuilding the projection from the log")).length;
    await eventually("the loss seen", async () => rebuilds() > 0, 60_000);
    assert.equal(rebuilds(), 1, "one rebuild for one loss");

    assert.equal(
      (await check(used, codes[0] ?? "")).result,
      CheckResult.CHECK_RESULT_ALREADY_USED,
      "a code used before the loss is still used after it",
    );
    for (const [i, id] of live.entries()) {
      assert.equal((await check(id, codes[i + 1] ?? "")).result, CheckResult.CHECK_RESULT_VERIFIED);
    }
  });
});
