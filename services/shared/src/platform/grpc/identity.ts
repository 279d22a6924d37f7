/**
 * Who is calling. The tenant comes only from here, never from a request field.
 *
 * Two sources, in this order:
 * 1. A bearer token (`authorization: Bearer <token>`) from the static token list in config,
 *    meant for development and tools. When the header is present it must be valid, even on a
 *    connection that also presented a certificate: a bad token fails the call (fail closed).
 * 2. The client certificate of an mTLS connection, already verified by TLS against our
 *    internal CA. Its subject common name says who it is, as `<kind>:<name>`:
 *      CN=tenant:acme-bank   → principal "tenant:acme-bank", tenant "acme-bank", role tenant
 *      CN=service:routing    → principal "service:routing", role service (no tenant)
 *      CN=admin:alice        → principal "admin:alice", role admin (no tenant)
 *    Names are 1–64 characters of [A-Za-z0-9._@-]. Anything else is not an identity.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { PeerCertificate } from "node:tls";
import type { Metadata } from "@grpc/grpc-js";
import { OtpError } from "@domain/errors";

export const ROLES = ["tenant", "service", "admin"] as const;
export type Role = (typeof ROLES)[number];

export interface CallerIdentity {
  /** `<kind>:<name>` for certificates; the configured principal for tokens. */
  principal: string;
  tenant?: string;
  roles: ReadonlySet<Role>;
  via: "mtls" | "token";
}

/** One static token from config and the identity it stands for. */
export interface TokenGrant {
  token: string;
  principal: string;
  tenant?: string;
  roles: Role[];
}

/** What identity needs from a server call; grpc-js server calls provide both. */
export interface CallCredentialsSource {
  readonly metadata: Metadata;
  /** grpc-js sets `sslPeerCertificate` only for a TLS peer whose certificate verified. */
  getAuthContext(): { sslPeerCertificate?: PeerCertificate } | null;
}

export interface IdentityResolver {
  /** The caller's identity; throws OTP_UNAUTHENTICATED when there is none. */
  resolve(call: CallCredentialsSource): CallerIdentity;
}

const NAME = /^[A-Za-z0-9._@-]{1,64}$/;
const MIN_TOKEN_LENGTH = 16;
const AUTHORIZATION = "authorization";

/** A principal's or tenant's name: 1–64 characters of [A-Za-z0-9._@-]. */
export const isPrincipalName = (name: string): boolean => NAME.test(name);

/** Parses `<kind>:<name>` (the certificate CN scheme) into an identity. */
export function identityFromCommonName(commonName: string): CallerIdentity | undefined {
  const separator = commonName.indexOf(":");
  if (separator < 0) return undefined;
  const kind = commonName.slice(0, separator);
  const name = commonName.slice(separator + 1);
  if (!isPrincipalName(name) || !isRole(kind)) return undefined;
  return {
    principal: `${kind}:${name}`,
    ...(kind === "tenant" ? { tenant: name } : {}),
    roles: new Set([kind]),
    via: "mtls",
  };
}

export function identityFromCertificate(cert: PeerCertificate): CallerIdentity | undefined {
  // Node gives an array when the subject has several CNs: ambiguous, so no identity.
  const commonName: unknown = cert.subject?.CN;
  return typeof commonName === "string" ? identityFromCommonName(commonName) : undefined;
}

/**
 * `ofConnection`: the identity the TLS listener already read from the call's connection (null:
 * its certificate names none); undefined when it does not know the call's connection.
 */
export function createIdentityResolver(
  tokens: readonly TokenGrant[] = [],
  ofConnection: (metadata: Metadata) => CallerIdentity | null | undefined = () => undefined,
): IdentityResolver {
  const grants = tokens.map(toHashedGrant);
  return {
    resolve(call) {
      const bearer = bearerToken(call.metadata);
      if (bearer !== undefined) return identityFromToken(grants, bearer);
      const known = ofConnection(call.metadata);
      if (known !== undefined) {
        if (known === null) throw unauthenticated();
        return known;
      }
      const cert = call.getAuthContext()?.sslPeerCertificate;
      if (cert === undefined) throw unauthenticated();
      const identity = identityFromCertificate(cert);
      if (identity === undefined) throw unauthenticated();
      return identity;
    },
  };
}

export function hasRole(identity: CallerIdentity, role: Role): boolean {
  return identity.roles.has(role);
}

/** The caller's tenant, for RPCs that act within one; callers without a tenant are refused. */
export function requireTenant(identity: CallerIdentity): string {
  if (identity.tenant === undefined) {
    throw new OtpError("OTP_PERMISSION_DENIED", "caller is not a tenant");
  }
  return identity.tenant;
}

interface HashedGrant {
  digest: Buffer;
  identity: CallerIdentity;
}

function toHashedGrant(grant: TokenGrant): HashedGrant {
  if (grant.token.length < MIN_TOKEN_LENGTH) {
    throw new OtpError("CONFIG_INVALID", `token for ${grant.principal} is shorter than ${MIN_TOKEN_LENGTH}`);
  }
  if (grant.roles.length === 0 || !grant.roles.every(isRole)) {
    throw new OtpError(
      "CONFIG_INVALID",
      `token for ${grant.principal} needs roles among ${ROLES.join(", ")}`,
    );
  }
  if (grant.roles.includes("tenant") !== (grant.tenant !== undefined)) {
    throw new OtpError(
      "CONFIG_INVALID",
      `token for ${grant.principal}: the tenant role and a tenant go together`,
    );
  }
  if (grant.tenant !== undefined && !isPrincipalName(grant.tenant)) {
    throw new OtpError("CONFIG_INVALID", `token for ${grant.principal} has an invalid tenant name`);
  }
  return {
    digest: sha256(grant.token),
    identity: {
      principal: grant.principal,
      ...(grant.tenant !== undefined ? { tenant: grant.tenant } : {}),
      roles: new Set(grant.roles),
      via: "token",
    },
  };
}

/**
 * Hashing both sides gives equal-length inputs to timingSafeEqual, and every grant is
 * compared, so timing says nothing about which token (or how much of one) matched.
 */
function identityFromToken(grants: readonly HashedGrant[], presented: string): CallerIdentity {
  const digest = sha256(presented);
  let found: CallerIdentity | undefined;
  for (const grant of grants) {
    if (timingSafeEqual(grant.digest, digest)) found = grant.identity;
  }
  if (found === undefined) throw unauthenticated();
  return found;
}

function bearerToken(metadata: Metadata): string | undefined {
  const values = metadata.get(AUTHORIZATION);
  if (values.length === 0) return undefined;
  const [value] = values;
  if (values.length > 1 || typeof value !== "string") throw unauthenticated();
  const match = /^Bearer ([\x21-\x7e]+)$/.exec(value);
  if (!match?.[1]) throw unauthenticated();
  return match[1];
}

function sha256(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}

function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** One message for every failure, so a caller cannot tell a bad token from a missing one. */
function unauthenticated(): OtpError {
  return new OtpError("OTP_UNAUTHENTICATED", "caller identity required");
}
