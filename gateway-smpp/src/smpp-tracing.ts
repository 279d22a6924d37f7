/**
 * Spans of the SMS gateway: one `smpp submit_sm` client span per submitted attempt (the
 * attempt's trace is remembered there, see dispatch-traces.ts), one `smpp receipt` span per
 * delivery receipt continuing that trace, and one `sms report` span per DeliveryReported.
 * Attributes: ids, route, district, operator, account, bind, command_status, receipt stat —
 * never the destination or the text. Typed by shape, so the shared library does not depend on
 * the gateway.
 */
import { type Attributes, SpanKind } from "@opentelemetry/api";
import { commandStatusLabel } from "./metrics/smpp-metrics";
import type { DispatchTraces } from "@platform/telemetry/dispatch-traces";
import { markFailed, withSpan } from "@platform/telemetry/spans";

export interface SmsAttemptShape {
  verificationId: string;
  attempt: number;
  route: string;
  district: string;
  operator: string;
  expiresAtMs: number;
}

export interface SubmittingPool<Req, Ctx extends { ref: SmsAttemptShape }> {
  submit(request: Req, context: Ctx): Promise<{ bind: string; messageIds: string[] }>;
  readonly bound: boolean;
}

export const smsAttemptAttributes = (ref: SmsAttemptShape): Attributes => ({
  "otp.verification.id": ref.verificationId,
  "otp.attempt": ref.attempt,
  "otp.channel": "sms",
  "otp.route": ref.route,
  "otp.district": ref.district,
  "otp.operator": ref.operator,
});

/** The pool, with every submit in a span that the attempt's receipts will continue. */
export function traceSubmits<Req, Ctx extends { ref: SmsAttemptShape }, P extends SubmittingPool<Req, Ctx>>(
  pool: P,
  account: string,
  traces: DispatchTraces,
): P {
  // Delegate through the prototype chain so getters (bound) and other methods stay live.
  const traced = Object.create(pool) as P;
  traced.submit = (request, context) =>
    withSpan(
      "smpp submit_sm",
      { ...smsAttemptAttributes(context.ref), "smpp.account": account },
      async (span) => {
        traces.remember(context.ref);
        try {
          const result = await pool.submit(request, context);
          span.setAttributes({ "smpp.bind": result.bind, "smpp.parts": result.messageIds.length });
          return result;
        } catch (err) {
          const status = (err as { commandStatus?: unknown }).commandStatus;
          if (typeof status === "number")
            span.setAttribute("smpp.command_status", commandStatusLabel(status));
          throw err;
        }
      },
      SpanKind.CLIENT,
    );
  return traced;
}

/** Final receipt stats that mean the message did not reach the handset. */
const FAILED_STATS = new Set(["UNDELIV", "REJECTD", "DELETED", "EXPIRED", "UNKNOWN"]);

/** Runs the reporting of one receipt in a span of its attempt's trace. */
export function traceReceipt(
  traces: DispatchTraces,
  ref: SmsAttemptShape,
  receipt: { stat: string; messageId: string; bind: string; part: number; parts: number },
  report: () => void,
): void {
  void traces
    .continueAttempt(
      ref,
      "smpp receipt",
      {
        ...smsAttemptAttributes(ref),
        "smpp.bind": receipt.bind,
        "smpp.message_id": receipt.messageId,
        "smpp.receipt.stat": receipt.stat,
        "smpp.part": `${receipt.part}/${receipt.parts}`,
      },
      (span) => {
        if (FAILED_STATS.has(receipt.stat)) {
          markFailed(span, `SMPP_DLR_${receipt.stat}`, `delivery receipt ${receipt.stat}`);
        }
        report();
      },
    )
    .catch(() => undefined);
}
