/**
 * Whether `npm start` runs as a development platform. Development tokens (public, two admins
 * among them) and the handset inbox (every code in clear) are only safe where nobody else can
 * reach them and nothing real is at stake: no real backend configured (KAFKA_BROKERS,
 * REDIS_URL) and every listener on loopback. Anywhere else the process needs real credentials
 * (OTP_TOKENS or mutual TLS) and runs without the inbox; without them it refuses to start and
 * says what to set. Pure: the environment and the listener hosts are passed in.
 */
import type { TokenGrant } from "@platform/grpc/identity";

export interface DevModeInput {
  env: Record<string, string | undefined>;
  /** Every listener of the process, by the variable that sets it and its host. */
  listeners: { variable: string; host: string }[];
}

export type DevMode =
  /** The handset inbox runs; `devTokens` unless OTP_TOKENS or mutual TLS give credentials. */
  | { kind: "development"; devTokens: boolean }
  /** Real credentials, no inbox. */
  | { kind: "deployed" }
  | { kind: "refused"; message: string };

/** 127.0.0.0/8, ::1 and localhost: nothing outside the machine reaches them. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127(\.\d{1,3}){3}$/.test(h);
}

export function decideDevMode({ env, listeners }: DevModeInput): DevMode {
  const set = (name: string): boolean => (env[name] ?? "") !== "";
  const credentials = set("OTP_TOKENS") || set("OTP_TLS_CA");
  const reasons = [
    ...["KAFKA_BROKERS", "REDIS_URL"].filter(set).map((name) => `${name} is set (a real backend)`),
    ...listeners
      .filter((l) => !isLoopback(l.host))
      .map((l) => `${l.variable} listens on ${l.host}, which is not loopback`),
  ];
  if (reasons.length === 0) return { kind: "development", devTokens: !credentials };
  if (credentials) return { kind: "deployed" };
  return {
    kind: "refused",
    message:
      "invalid configuration:\n" +
      `  - OTP_TOKENS: development tokens are only for a development platform, and ${reasons.join("; ")}.\n` +
      "    Set OTP_TOKENS (a JSON list of static tokens) or OTP_TLS_CA, OTP_TLS_CERT and OTP_TLS_KEY\n" +
      "    (mutual TLS), or run on the embedded bus and store with every address on 127.0.0.1.",
  };
}

/** The banner's credentials: tokens that work, at most two tenants and the admins and services. */
export function bannerTokens(grants: readonly TokenGrant[]): string {
  const tenants = grants.filter((g) => g.roles.includes("tenant")).slice(0, 2);
  const others = grants.filter((g) => !g.roles.includes("tenant"));
  const line = (g: TokenGrant) => `${g.tenant ? `tenant ${g.tenant}` : g.principal}: ${g.token}`;
  return [...tenants, ...others].map(line).join("; ");
}
