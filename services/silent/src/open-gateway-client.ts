/**
 * The back-channel half of CAMARA Number Verification: the authorization code for a token at
 * the operator's token endpoint (client_secret_basic, PKCE verifier), then
 * `POST …/number-verification/v…/verify` with the number. Tokens live only in this function's
 * variables: never stored, logged or put on an event.
 */
import { createHash } from "node:crypto";
import type { SilentGateway } from "@domain/policy/types";
import { checkIdToken } from "./id-token";

export type SilentOutcome =
  | { verified: true }
  | {
      verified: false;
      reason: "SILENT_NUMBER_MISMATCH" | "SILENT_NO_MOBILE_DATA" | "SILENT_OPERATOR_ERROR" | "SILENT_TIMEOUT";
      detail: string;
    };

export interface ExchangeInput {
  gateway: SilentGateway;
  clientSecret: string;
  code: string;
  codeVerifier: string;
  nonce: string;
  phone: string;
  /** Aborts both calls when the step's time is up. */
  signal: AbortSignal;
  now: () => number;
}

const operatorError = (detail: string): SilentOutcome => ({
  verified: false,
  reason: "SILENT_OPERATOR_ERROR",
  detail,
});

export async function verifyNumber(input: ExchangeInput): Promise<SilentOutcome> {
  try {
    return await exchangeAndVerify(input);
  } catch (err) {
    if (input.signal.aborted)
      return { verified: false, reason: "SILENT_TIMEOUT", detail: "no answer within the step" };
    return operatorError(err instanceof Error ? err.name : "request failed");
  }
}

async function exchangeAndVerify(input: ExchangeInput): Promise<SilentOutcome> {
  const { gateway } = input;
  const basic = Buffer.from(
    `${encodeURIComponent(gateway.clientId)}:${encodeURIComponent(input.clientSecret)}`,
  ).toString("base64");
  const tokenResponse = await fetch(gateway.tokenUrl, {
    method: "POST",
    signal: input.signal,
    headers: { authorization: `Basic ${basic}`, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code: input.code,
      redirect_uri: gateway.redirectUri,
      code_verifier: input.codeVerifier,
    }).toString(),
  });
  if (!tokenResponse.ok) return operatorError(`token endpoint answered ${tokenResponse.status}`);
  const token = (await tokenResponse.json()) as { access_token?: unknown; id_token?: unknown };
  if (typeof token.access_token !== "string" || token.access_token === "")
    return operatorError("no access token");
  if (typeof token.id_token === "string") {
    const idCheck = checkIdToken(token.id_token, {
      clientSecret: input.clientSecret,
      clientId: gateway.clientId,
      nonce: input.nonce,
      now: input.now(),
    });
    if (!idCheck.ok) return operatorError(`id token rejected: ${idCheck.problem}`);
  }
  const body = gateway.hashPhoneNumber
    ? { hashedPhoneNumber: createHash("sha256").update(input.phone).digest("hex") }
    : { phoneNumber: input.phone };
  const verifyResponse = await fetch(gateway.verifyUrl, {
    method: "POST",
    signal: input.signal,
    headers: { authorization: `Bearer ${token.access_token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (verifyResponse.status === 403) {
    const error = (await verifyResponse.json().catch(() => ({}))) as { code?: unknown };
    if (error.code === "NUMBER_VERIFICATION.USER_NOT_AUTHENTICATED_BY_MOBILE_NETWORK") {
      return {
        verified: false,
        reason: "SILENT_NO_MOBILE_DATA",
        detail: "not authenticated by the mobile network",
      };
    }
    return operatorError("verify answered 403");
  }
  if (!verifyResponse.ok) return operatorError(`verify answered ${verifyResponse.status}`);
  const answer = (await verifyResponse.json()) as { devicePhoneNumberVerified?: unknown };
  if (answer.devicePhoneNumberVerified === true) return { verified: true };
  if (answer.devicePhoneNumberVerified === false)
    return {
      verified: false,
      reason: "SILENT_NUMBER_MISMATCH",
      detail: "the operator did not confirm the number",
    };
  return operatorError("verify answer without devicePhoneNumberVerified");
}
