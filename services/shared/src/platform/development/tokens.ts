/**
 * The development platform's public tokens: granted by `npm start` only as a development platform
 * (the embedded bus and store, every listener on loopback, no OTP_TOKENS or mutual TLS; see
 * services/all-in-one/src/dev-mode.ts), printed in its banner, and the CLI's default. They are
 * public, two admins among them, so nothing that runs in production imports them: the linter lets
 * only the all-in-one, the tools and tests reach this folder (eslint/fences.mjs).
 */
import type { TokenGrant } from "../grpc/identity";

export const DEV_TOKENS: TokenGrant[] = [
  {
    token: "dev-token-tenant-demo-bank",
    principal: "tenant:demo-bank",
    tenant: "demo-bank",
    roles: ["tenant"],
  },
  { token: "dev-token-admin-alice-0001", principal: "admin:alice", roles: ["admin"] },
  { token: "dev-token-admin-bob-000002", principal: "admin:bob", roles: ["admin"] },
  // For otp.v1.SupportService (service principals only), as the assistant calls it.
  { token: "dev-token-service-assistant", principal: "service:assistant", roles: ["service"] },
  // A second tenant, so tenant isolation can be tried at once.
  {
    token: "dev-token-tenant-demo-shop",
    principal: "tenant:demo-shop",
    tenant: "demo-shop",
    roles: ["tenant"],
  },
];
