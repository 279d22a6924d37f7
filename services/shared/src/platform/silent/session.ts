/**
 * The server half of one silent step: what the operator's redirect must match. Issuance opens it
 * when it hands out the authorization URL; the silent connector takes it (once) when the device's
 * redirect comes back with the state. Only a keyed hash of the state names it, and its content is
 * sealed: whoever reads Redis learns neither the state, the PKCE verifier, the nonce nor the phone.
 */
import { createHash, randomBytes } from "node:crypto";
import type { SecretMaterial } from "../crypto/keys";
import { sealedFromJson, sealedToJson, type SealedJson } from "../crypto/sealed-json";
import type { Store } from "../store/port";
import { taggedKey } from "../store/port";
import { takeOnce } from "./take-once";

export interface SilentSession {
  verificationId: string;
  tenant: string;
  gateway: string;
  operator: string;
  /** E.164: the number the operator is asked to confirm. */
  phone: string;
  nonce: string;
  /** PKCE code_verifier (RFC 7636): the code is redeemable only with it, so only by us. */
  codeVerifier: string;
  /** ms: the step's deadline; answers after it are still reported, routing has moved on. */
  stepDeadline: number;
  /** ms: the verification's expiry; the session is gone after it. */
  expiresAt: number;
}

export interface OpenedSession {
  /** The OAuth state parameter: 256 bits from the CSPRNG. */
  state: string;
  nonce: string;
  /** S256 challenge of the verifier, for the authorization URL. */
  codeChallenge: string;
}

const random = (): string => randomBytes(32).toString("base64url");

const pkceChallenge = (verifier: string): string => createHash("sha256").update(verifier).digest("base64url");

const sessionName = (secrets: SecretMaterial, state: string): string =>
  secrets.hasher.lookup("silent-state", state);

const associated = (name: string): string => `silent-session:${name}`;

export async function openSilentSession(
  store: Store,
  secrets: SecretMaterial,
  session: Omit<SilentSession, "nonce" | "codeVerifier">,
  now: number,
): Promise<OpenedSession> {
  const state = random();
  const full: SilentSession = { ...session, nonce: random(), codeVerifier: random() };
  const name = sessionName(secrets, state);
  const sealed = secrets.sealer.seal(JSON.stringify(full), associated(name));
  const value = JSON.stringify(sealedToJson(sealed));
  await store.set(store.key(taggedKey("silent", name)), value, {
    ttlMs: Math.max(1_000, session.expiresAt - now),
  });
  return { state, nonce: full.nonce, codeChallenge: pkceChallenge(full.codeVerifier) };
}

const STATE = /^[A-Za-z0-9_-]{43}$/;

/** The session a state names, removed as it is read; undefined when unknown, used or expired. */
export async function takeSilentSession(
  store: Store,
  secrets: SecretMaterial,
  state: string,
): Promise<SilentSession | undefined> {
  if (!STATE.test(state)) return undefined;
  const name = sessionName(secrets, state);
  const raw = await store.run(takeOnce, { key: name });
  if (raw === undefined) return undefined;
  const opened = secrets.sealer.open(sealedFromJson(JSON.parse(raw) as SealedJson), associated(name));
  return JSON.parse(opened) as SilentSession;
}
