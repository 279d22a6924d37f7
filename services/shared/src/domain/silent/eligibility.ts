/**
 * Which channels can serve a verification, decided before anything is sent. Pure: policy and
 * facts in, answer out. Issuance uses it to offer the silent step (and to refuse a start that no
 * allowed channel can serve); routing reads the outcome from VerificationStarted.
 */
import type { FieldViolation } from "../errors";
import { gatewayForOperator } from "../policy/read-silent";
import type { ChannelName, PurposeRules, SilentGateway, TenantPolicy } from "../policy/types";

export interface ServeInput {
  policy: TenantPolicy;
  rules: Pick<PurposeRules, "workflow" | "allowedChannels">;
  purpose: string;
  operator: string;
  numberType: string;
  mobileData: boolean;
}

export interface ServeDecision {
  /** Channels of the workflow, in order, that may run for this number and device. */
  channels: ChannelName[];
  /** Set when the workflow's silent step can run. */
  silent?: { name: string; gateway: SilentGateway };
  /** Why the workflow's silent step does not run ("" when it runs or there is none). */
  silentSkipped: string;
  /** Per channel left out, the request field it hinges on and why. */
  refused: (FieldViolation & { channel: ChannelName })[];
}

export function servableChannels(input: ServeInput): ServeDecision {
  const { policy, rules } = input;
  const steps = policy.workflows[rules.workflow] ?? [];
  const allowed = rules.allowedChannels;
  const decision: ServeDecision = { channels: [], silentSkipped: "", refused: [] };
  for (const channel of [...new Set(steps.map((s) => s.channel))]) {
    const refuse = (field: string, description: string) => {
      decision.refused.push({ channel, field, description });
      if (channel === "silent") decision.silentSkipped = description;
    };
    if (allowed.length > 0 && !allowed.includes(channel)) {
      refuse("purpose", `purpose ${input.purpose} may not rely on ${channel}`);
      continue;
    }
    if ((policy.fraud.refusedNumberTypes[channel] as readonly string[]).includes(input.numberType)) {
      refuse("phone", `${channel} cannot serve ${input.numberType} numbers`);
      continue;
    }
    if (channel === "silent") {
      const gateway = gatewayForOperator(policy.silent, input.operator);
      if (!input.mobileData) {
        refuse("mobile_data", "silent network verification needs the device on mobile data");
        continue;
      }
      if (!gateway) {
        refuse(
          "phone",
          `the number's operator (${input.operator || "unknown"}) offers no network verification`,
        );
        continue;
      }
      decision.silent = gateway;
    }
    decision.channels.push(channel);
  }
  return decision;
}
