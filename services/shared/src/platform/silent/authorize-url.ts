/**
 * The URL the app opens over mobile data: the operator's OIDC authorization endpoint with the
 * parameters CAMARA Number Verification expects (authorization code grant, scope
 * `openid number-verification:verify`, `prompt=none` so the network alone authenticates).
 * No phone number in it: the network identifies the device; the number goes in the verify call.
 */
import type { SilentGateway } from "@domain/policy/types";

const NUMBER_VERIFICATION_SCOPE = "openid number-verification:verify";

export function authorizeUrl(
  gateway: Pick<SilentGateway, "authorizeUrl" | "clientId" | "redirectUri">,
  p: { state: string; nonce: string; codeChallenge: string },
): string {
  const url = new URL(gateway.authorizeUrl);
  url.searchParams.set("response_type", "code");
  url.searchParams.set("client_id", gateway.clientId);
  url.searchParams.set("redirect_uri", gateway.redirectUri);
  url.searchParams.set("scope", NUMBER_VERIFICATION_SCOPE);
  url.searchParams.set("state", p.state);
  url.searchParams.set("nonce", p.nonce);
  url.searchParams.set("prompt", "none");
  url.searchParams.set("code_challenge", p.codeChallenge);
  url.searchParams.set("code_challenge_method", "S256");
  return url.toString();
}
