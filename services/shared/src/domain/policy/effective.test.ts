import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { OtpError } from "../errors";
import { effectivePurposeRules } from "./effective";
import type { TenantPolicy } from "./types";
import { validatePolicy } from "./validate";

function policyOf(json: unknown): TenantPolicy {
  const result = validatePolicy(json);
  assert.ok(result.ok, result.ok ? "" : result.problems.join("\n"));
  return result.policy;
}

const DURING_INCIDENT = { incidentActive: true };
const NORMAL = { incidentActive: false };

describe("effectivePurposeRules", () => {
  const policy = policyOf({});

  it("returns the purpose's rules outside incidents", () => {
    for (const purpose of Object.keys(policy.purposes)) {
      const rules = effectivePurposeRules(policy, purpose, NORMAL);
      assert.deepEqual(rules, {
        ...policy.purposes[purpose],
        resendWindowSeconds: policy.purposes[purpose]?.ttlSeconds,
        incidentRelief: false,
      });
    }
  });

  it("extends low-risk codes during an incident, never beyond 600 s", () => {
    const signup = effectivePurposeRules(policy, "signup", DURING_INCIDENT);
    assert.equal(signup.ttlSeconds, 600);
    assert.equal(signup.resendWindowSeconds, 600);
    assert.equal(signup.incidentRelief, true);
    const short = policyOf({
      purposes: { signup: { ttlSeconds: 120 } },
      incident: { extendTtlSeconds: 180 },
    });
    assert.equal(effectivePurposeRules(short, "signup", DURING_INCIDENT).ttlSeconds, 300);
  });

  it("keeps the resend window unless the policy extends it too", () => {
    const narrow = policyOf({ incident: { extendResendWindow: false } });
    const signup = effectivePurposeRules(narrow, "signup", DURING_INCIDENT);
    assert.equal(signup.ttlSeconds, 600);
    assert.equal(signup.resendWindowSeconds, 300);
  });

  it("leaves medium risk alone unless the policy lists it", () => {
    assert.equal(effectivePurposeRules(policy, "login", DURING_INCIDENT).incidentRelief, false);
    const relaxed = policyOf({ incident: { riskTiers: ["low", "medium"] } });
    assert.equal(effectivePurposeRules(relaxed, "login", DURING_INCIDENT).ttlSeconds, 600);
  });

  it("never loosens a high-risk purpose, whatever the policy", () => {
    const policyJson = fc.record(
      {
        ttlSeconds: fc.integer({ min: 30, max: 600 }),
        extendTtlSeconds: fc.integer({ min: 0, max: 570 }),
        extendResendWindow: fc.boolean(),
        riskTiers: fc.subarray(["low", "medium"]),
        codePerAttempt: fc.boolean(),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(policyJson, fc.boolean(), (json, incidentActive) => {
        const result = validatePolicy({
          purposes: {
            transaction: { ttlSeconds: json.ttlSeconds ?? 300, codePerAttempt: json.codePerAttempt ?? false },
          },
          workflows: { high_risk: [{ channel: "sms", timeoutSeconds: 20, advanceWhen: "not_verified" }] },
          incident: {
            extendTtlSeconds: json.extendTtlSeconds,
            extendResendWindow: json.extendResendWindow,
            riskTiers: json.riskTiers,
          },
        });
        assert.ok(result.ok, result.ok ? "" : result.problems.join("\n"));
        const rules = result.policy.purposes.transaction!;
        assert.deepEqual(effectivePurposeRules(result.policy, "transaction", { incidentActive }), {
          ...rules,
          resendWindowSeconds: rules.ttlSeconds,
          incidentRelief: false,
        });
      }),
      { numRuns: 300 },
    );
  });

  it("cannot be configured to loosen high risk: validation refuses it", () => {
    assert.equal(validatePolicy({ incident: { riskTiers: ["high"] } }).ok, false);
  });

  it("rejects a purpose the tenant does not define", () => {
    assert.throws(
      () => effectivePurposeRules(policy, "toString", NORMAL),
      (err: unknown) =>
        err instanceof OtpError && err.code === "OTP_INVALID_ARGUMENT" && /unknown purpose/.test(err.message),
    );
  });
});
