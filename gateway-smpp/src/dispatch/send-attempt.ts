/**
 * One claimed attempt, from the dispatch to its first outcome: drop it if the code has (nearly)
 * run out, open the sealed number and code, pick the route's account, render the tenant's
 * localised text, choose the sender, submit. Returns the outcome and the parts sent (the
 * dispatcher stores their message ids together with the outcome). Every expected failure
 * becomes an outcome; only bugs throw.
 */
import { FailureClass } from "@proto/otp/v1/common";
import type { Sealer } from "@platform/crypto/sealer";
import type { Logger } from "@platform/log";
import type { PolicyBook } from "@domain/policy/policy-book";
import type { GatewayConfig } from "../config/gateway-config";
import { renderOtpSms } from "../messages/render-sms";
import type { GatewayMetrics } from "../metrics/gateway-metrics";
import type { SentPart } from "./attempt-ref";
import { accepted, codeExpired, failed, REASON, submitErrorOutcome, type ReportOutcome } from "./outcomes";
import type { RouteTable } from "./route-table";
import { chooseSenders } from "./sender-choice";
import { openSealedFields, type SmsDispatch } from "./sms-dispatch";
import { submitSms, type SubmitContext } from "./sms-submitter";

export interface SendAttemptDeps {
  routes: RouteTable<SubmitContext>;
  policies: PolicyBook;
  messages: GatewayConfig["messages"];
  sealer: Sealer;
  metrics: GatewayMetrics;
  now: () => number;
  minRemainingMs: number;
  stateGraceMs: number;
}

export interface AttemptResult {
  outcome: ReportOutcome;
  /** The parts the SMSC accepted (none unless the outcome is ACCEPTED). */
  parts: readonly SentPart[];
}

export async function sendAttempt(
  deps: SendAttemptDeps,
  dispatch: SmsDispatch,
  log: Logger,
): Promise<AttemptResult> {
  const outcome = (value: ReportOutcome): AttemptResult => ({ outcome: value, parts: [] });
  const { ref, event } = dispatch;
  const remainingMs = ref.expiresAtMs - deps.now();
  if (remainingMs < deps.minRemainingMs) {
    log.info("sms dispatch dropped: the code has expired", { remainingMs });
    return outcome(codeExpired(deps.now()));
  }
  let sealed: { phone: string; code: string };
  try {
    sealed = openSealedFields(dispatch, deps.sealer);
  } catch (err) {
    log.error("sms dispatch dropped: sealed fields do not open", { err });
    return outcome(failed(FailureClass.FAILURE_CLASS_PERMANENT, REASON.sealedDataUnreadable, deps.now()));
  }
  const accounts = deps.routes.accountsFor(ref.route);
  if (accounts === undefined) {
    log.warn("sms dispatch for an unknown route, and no default route");
    return outcome(failed(FailureClass.FAILURE_CLASS_PERMANENT, REASON.unknownRoute, deps.now()));
  }
  const via = deps.routes.pick(accounts);
  const sms = deps.policies.policyFor(ref.tenant).senders.sms;
  const senders = chooseSenders(sms, ref.operator);
  const messages = deps.messages.tenants[ref.tenant] ?? deps.messages.default;
  const { text, language } = renderOtpSms({
    templates: messages.templates,
    locale: event.locale,
    country: event.country,
    code: sealed.code,
    brand: messages.brand ?? sms.senderId,
    remainingMs,
    appHash: messages.appHash,
  });
  try {
    const sent = await submitSms(
      { metrics: deps.metrics, logger: log, now: deps.now, minRemainingMs: deps.minRemainingMs },
      { ref, via, destination: sealed.phone, text, senders },
    );
    const messageIds = sent.parts.map((p) => p.messageId);
    log.info("sms accepted by the SMSC", {
      account: via.account,
      bind: sent.parts[0]?.bind,
      messageIds: messageIds.join(","),
      parts: sent.parts.length,
      sender: sent.sender,
      language,
    });
    return { outcome: accepted(messageIds, deps.now()), parts: sent.parts };
  } catch (err) {
    const refused = submitErrorOutcome(err, deps.now());
    if (refused === undefined) throw err;
    log.warn("sms submit failed", { account: via.account, reason: refused.reason, err });
    return outcome(refused);
  }
}
