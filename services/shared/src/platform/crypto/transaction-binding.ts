/**
 * A transaction binding as a request carries it (amount, currency, payee), checked the same way
 * where a code is issued for it and where a code is checked against it.
 */
import type { TransactionBinding } from "@proto/otp/v1/common";
import type { FieldViolation } from "@domain/errors";
import type { TransactionBindingInput } from "./code-hash";

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** The binding, or undefined when absent; problems go into `violations` under `field`. */
export function validateTransaction(
  t: TransactionBinding | undefined,
  field: string,
  violations: FieldViolation[],
): TransactionBindingInput | undefined {
  if (!t) return undefined;
  if (!Number.isSafeInteger(t.amountMinor) || t.amountMinor <= 0) {
    violations.push({
      field: `${field}.amount_minor`,
      description: "must be a positive whole number of minor units",
    });
  }
  if (!/^[A-Z]{3}$/.test(t.currency)) {
    violations.push({ field: `${field}.currency`, description: "must be an ISO 4217 code such as IDR" });
  }
  if (t.payee.trim() === "" || t.payee.length > 140 || CONTROL.test(t.payee)) {
    violations.push({ field: `${field}.payee`, description: "must be 1-140 printable characters" });
  }
  return { amountMinor: t.amountMinor, currency: t.currency, payee: t.payee };
}
