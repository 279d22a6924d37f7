/**
 * For `npm start` and tests: every tenant's policy gets gateways on the Open Gateway simulator for
 * the simulated operators, and a `login_silent` purpose (the `silent_first` workflow) to try it
 * with, unless the policy already names one. The client secret is sealed as a real policy file
 * would carry it.
 */
import type { Sealer } from "@platform/crypto/sealer";
import { createPolicyBook, type PolicyBook } from "@domain/policy/policy-book";
import type { SilentGateway, TenantPolicy } from "@domain/policy/types";
import { sealGatewaySecret } from "@platform/silent/gateway-secret";

const SIMULATED_OPERATORS = ["id-telkomsel", "id-indosat", "id-xl"];
const SIMULATED_GATEWAY = "simulated-og";

export function withSimulatedGateway(
  book: PolicyBook,
  o: { sealer: Sealer; simulatorUrl: string; callbackUrl: string; clientId: string; clientSecret: string },
): PolicyBook {
  const gateway: SilentGateway = {
    operators: SIMULATED_OPERATORS,
    authorizeUrl: `${o.simulatorUrl}/authorize`,
    tokenUrl: `${o.simulatorUrl}/token`,
    verifyUrl: `${o.simulatorUrl}/number-verification/v0/verify`,
    clientId: o.clientId,
    clientSecret: sealGatewaySecret(o.sealer, SIMULATED_GATEWAY, o.clientSecret),
    redirectUri: o.callbackUrl,
    hashPhoneNumber: false,
  };
  const extend = (policy: TenantPolicy): TenantPolicy => {
    const login = policy.purposes.login;
    const purposes =
      login && !policy.purposes.login_silent && policy.workflows.silent_first
        ? { ...policy.purposes, login_silent: { ...login, workflow: "silent_first" } }
        : policy.purposes;
    const taken = new Set(Object.values(policy.silent.gateways).flatMap((g) => g.operators));
    const own = { ...gateway, operators: gateway.operators.filter((op) => !taken.has(op)) };
    const gateways =
      own.operators.length > 0
        ? { ...policy.silent.gateways, [SIMULATED_GATEWAY]: own }
        : policy.silent.gateways;
    return { ...policy, purposes, silent: { gateways } };
  };
  return createPolicyBook(
    extend(book.defaultPolicy),
    Object.fromEntries(book.tenants.map((t) => [t, extend(book.policyFor(t))])),
  );
}
