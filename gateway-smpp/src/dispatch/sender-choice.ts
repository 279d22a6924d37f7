/**
 * The SMS sender of a dispatch (pure): the tenant's alphanumeric sender id registered with the
 * operator (else its general one), and the numeric sender to use instead when the operator
 * refuses the alphanumeric one (command_status 0x0A).
 */
import type { Senders } from "@domain/policy/types";

export interface SenderChoice {
  primary: string;
  /** Undefined when the tenant has no numeric fallback. */
  alternative: string | undefined;
}

export function chooseSenders(sms: Senders["sms"], operator: string): SenderChoice {
  const byOperator = Object.hasOwn(sms.senderIdByOperator, operator)
    ? sms.senderIdByOperator[operator]
    : undefined;
  const alternative = sms.numericFallback === "" ? undefined : sms.numericFallback;
  return { primary: byOperator ?? sms.senderId, alternative };
}
