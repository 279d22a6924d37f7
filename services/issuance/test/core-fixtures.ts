/**
 * Plain data for issuance's core tests: requests, policies, facts and the made values a
 * handler would pass in (sealing that shows what it sealed, a code that shows its length).
 */
import type { EncryptedValue } from "@proto/otp/events/v1/events";
import { StartVerificationRequest } from "@proto/otp/v1/issuance";
import { evolve, initialState, type VerificationState } from "@domain/verification";
import { envelope } from "@platform/events/envelope";
import { DEFAULT_POLICY, type TenantPolicy } from "@domain/policy";
import { startedEvent, type StartFacts, type StartMade, type StartPlan } from "../src/core/start";
import { validateStart, type StartInput } from "../src/start-request";

export const T0 = 1_767_225_600_000; // 2026-01-01T00:00:00Z
const TENANT = "bank-a";

/** A seal that keeps the field and the value readable, so a test can see what was sealed. */
export const sealed = (value: string, field = "code"): EncryptedValue => ({
  keyId: "test",
  iv: Buffer.alloc(12),
  ciphertext: Buffer.from(`${field}:${value}`),
  tag: Buffer.alloc(16),
});

export const opened = (v: EncryptedValue | undefined): string => (v ? v.ciphertext.toString() : "");

export function input(request: Partial<StartVerificationRequest> = {}): StartInput {
  return validateStart(
    StartVerificationRequest.fromPartial({ phone: "+6281234567890", purpose: "login", ...request }),
  );
}

export function facts(overrides: Partial<StartFacts["number"]> = {}, incidentActive = false): StartFacts {
  return {
    number: { country: "ID", type: "mobile", operator: "id-telkomsel", ...overrides },
    incidentActive,
  };
}

/** The default policy with a silent gateway for Telkomsel. */
export function silentPolicy(purposeWorkflow = "silent_first"): TenantPolicy {
  return {
    ...DEFAULT_POLICY,
    purposes: {
      ...DEFAULT_POLICY.purposes,
      login: { ...DEFAULT_POLICY.purposes.login!, workflow: purposeWorkflow },
    },
    silent: {
      gateways: {
        tsel: {
          operators: ["id-telkomsel"],
          authorizeUrl: "https://tsel.example/authorize",
          tokenUrl: "https://tsel.example/token",
          verifyUrl: "https://tsel.example/verify",
          clientId: "otp",
          clientSecret: "sealed:k1:x",
          redirectUri: "https://otp.example/silent/callback",
          hashPhoneNumber: false,
        },
      },
    },
  };
}

export function made(overrides: Partial<StartMade> = {}): StartMade {
  return {
    at: T0,
    seal: (value, field) => sealed(value, field),
    newCode: (length) => "7".repeat(length),
    idempotencyKeyHash: "",
    idempotencyFingerprint: "",
    ...overrides,
  };
}

/** The state a planned start projects to, as the handler's projection would hold it. */
export function startedState(
  plan: StartPlan,
  id = "ver_1",
  policy: TenantPolicy = DEFAULT_POLICY,
): VerificationState {
  const { body } = startedEvent(input(), policy, facts(), plan, made());
  return evolve(
    initialState(id, TENANT),
    envelope({ verificationId: id, tenant: TENANT, at: new Date(T0) }, body),
  );
}
