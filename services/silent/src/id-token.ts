/**
 * The OIDC ID token an operator returns beside the access token, checked before the access token
 * is used: signed HS256 with the client secret (OIDC Core §10.1), for our client, unexpired, and
 * carrying the nonce of this verification's session, so a token minted for another authorization
 * cannot be replayed into this one.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

export interface IdTokenExpectations {
  clientSecret: string;
  clientId: string;
  nonce: string;
  now: number;
}

export type IdTokenCheck = { ok: true } | { ok: false; problem: string };

const part = (s: string): unknown => JSON.parse(Buffer.from(s, "base64url").toString("utf8"));

export function checkIdToken(token: string, e: IdTokenExpectations): IdTokenCheck {
  const [header = "", payload = "", signature = "", ...rest] = token.split(".");
  if (rest.length > 0 || !header || !payload || !signature) return { ok: false, problem: "malformed" };
  let head: { alg?: unknown };
  let claims: { aud?: unknown; nonce?: unknown; exp?: unknown };
  try {
    head = part(header) as typeof head;
    claims = part(payload) as typeof claims;
  } catch {
    return { ok: false, problem: "malformed" };
  }
  if (head.alg !== "HS256") return { ok: false, problem: "unexpected algorithm" };
  const expected = createHmac("sha256", e.clientSecret).update(`${header}.${payload}`).digest();
  const given = Buffer.from(signature, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, problem: "bad signature" };
  const audience = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!audience.includes(e.clientId)) return { ok: false, problem: "not for this client" };
  if (typeof claims.nonce !== "string" || claims.nonce !== e.nonce)
    return { ok: false, problem: "nonce mismatch" };
  if (typeof claims.exp !== "number" || claims.exp * 1000 <= e.now) return { ok: false, problem: "expired" };
  return { ok: true };
}

/** The simulator's side: an HS256 token with the given claims. */
export function signIdToken(claims: Record<string, unknown>, clientSecret: string): string {
  const b = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
  const body = `${b({ alg: "HS256", typ: "JWT" })}.${b(claims)}`;
  return `${body}.${createHmac("sha256", clientSecret).update(body).digest("base64url")}`;
}
