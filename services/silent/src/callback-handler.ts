/**
 * The redirect URI registered with each operator: the device lands here after the operator's
 * network-based authentication, with `code` and `state` (or `error` and `state`). The state
 * names a single-use session (taken, so a replayed redirect finds nothing); the code is then
 * redeemed with that session's PKCE verifier, so a code from another authorization, or this one
 * intercepted, is of no use to anyone else. The outcome goes on the log as
 * NetworkVerificationReported; the device gets only "verified" or "not verified".
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { EventBus } from "@platform/bus/port";
import type { SecretMaterial } from "@platform/crypto/keys";
import { envelope } from "@platform/events/envelope";
import type { TopicNames } from "@platform/bus/topics";
import type { Logger } from "@platform/log";
import type { PolicyBook } from "@domain/policy/policy-book";
import { openGatewaySecret } from "@platform/silent/gateway-secret";
import { takeSilentSession, type SilentSession } from "@platform/silent/session";
import type { Store } from "@platform/store/port";
import type { OtpMetrics } from "@platform/telemetry/metrics";
import { verifyNumber, type SilentOutcome } from "./open-gateway-client";
import { silentMetrics } from "./silent-metrics";

export interface CallbackDeps {
  bus: EventBus;
  store: Store;
  secrets: SecretMaterial;
  policies: PolicyBook;
  topics: TopicNames;
  logger: Logger;
  now: () => number;
  /** Least time given to the operator even when the step's deadline is closer (ms). */
  minExchangeMs?: number;
  /** The process's metrics: each answer by gateway, operator and outcome (none: not counted). */
  metrics?: OtpMetrics;
}

export const CALLBACK_PATH = "/silent/callback";

function answer(res: ServerResponse, status: number, result: string): void {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
  res.end(JSON.stringify({ result }));
}

/** OAuth error codes at the authorization endpoint (RFC 6749 §4.1.2.1) → our reasons. */
function authorizationError(error: string): SilentOutcome {
  return error === "access_denied"
    ? { verified: false, reason: "SILENT_NO_MOBILE_DATA", detail: "network-based authentication refused" }
    : {
        verified: false,
        reason: "SILENT_OPERATOR_ERROR",
        detail: `authorization error ${error.slice(0, 40)}`,
      };
}

export function createCallbackHandler(deps: CallbackDeps) {
  const minExchangeMs = deps.minExchangeMs ?? 1_000;
  const metrics = deps.metrics?.declare(silentMetrics);

  const outcomeOf = async (session: SilentSession, params: URLSearchParams): Promise<SilentOutcome> => {
    const error = params.get("error");
    if (error) return authorizationError(error);
    const code = params.get("code") ?? "";
    const gateway = deps.policies.policyFor(session.tenant).silent.gateways[session.gateway];
    if (!gateway || code === "" || code.length > 2048) {
      return {
        verified: false,
        reason: "SILENT_OPERATOR_ERROR",
        detail: gateway ? "no code" : "gateway gone",
      };
    }
    const budget = Math.max(minExchangeMs, session.stepDeadline - deps.now());
    return verifyNumber({
      gateway,
      clientSecret: openGatewaySecret(deps.secrets.sealer, session.gateway, gateway.clientSecret),
      code,
      codeVerifier: session.codeVerifier,
      nonce: session.nonce,
      phone: session.phone,
      signal: AbortSignal.timeout(budget),
      now: deps.now,
    });
  };

  const report = async (
    session: SilentSession,
    outcome: SilentOutcome,
    callbackAt: number,
  ): Promise<void> => {
    const env = envelope(
      { verificationId: session.verificationId, tenant: session.tenant, at: new Date(deps.now()) },
      {
        $case: "networkVerificationReported",
        value: {
          verified: outcome.verified,
          reason: outcome.verified ? "" : outcome.reason,
          operator: session.operator,
          gateway: session.gateway,
          callbackAt: new Date(callbackAt),
        },
      },
    );
    await deps.bus.publish(deps.topics.verifications, env);
    metrics?.networkVerifications.inc({
      gateway: session.gateway,
      operator: session.operator || "none",
      outcome: outcome.verified ? "verified" : outcome.reason,
    });
  };

  return async function handleCallback(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://callback");
    if (req.method !== "GET" || url.pathname !== CALLBACK_PATH) return answer(res, 404, "not_found");
    const callbackAt = deps.now();
    const session = await takeSilentSession(deps.store, deps.secrets, url.searchParams.get("state") ?? "");
    // Unknown, used or expired: the same answer for each, and nothing to report.
    if (!session || session.expiresAt <= callbackAt) return answer(res, 400, "unknown_or_used");
    const outcome = await outcomeOf(session, url.searchParams);
    deps.logger.info("silent verification answered", {
      verificationId: session.verificationId,
      gateway: session.gateway,
      verified: outcome.verified,
      ...(outcome.verified ? {} : { reason: outcome.reason, detail: outcome.detail }),
    });
    await report(session, outcome, callbackAt);
    answer(res, 200, outcome.verified ? "verified" : "not_verified");
  };
}
