/**
 * The assistant inside the all-in-one process: issuance's support desk and routing's health
 * figures called in the process, the webhook's messages handed over by the WhatsApp channel
 * (which shares one business number for codes and support, as users reply to the number that
 * sent them their code) and written to the inbound topic of the platform's bus like anywhere else.
 */
import type { Issuance } from "@services/issuance/src/issuance";
import { createSupportDesk, type SupportDesk } from "@services/issuance/src/support-desk";
import type { HealthRepository } from "@services/routing/src/health/health-store";
import { TOPICS } from "@platform/bus/topics";
import type { Platform } from "@platform/runtime/platform";
import { SUPPORT_TOPIC } from "@services/assistant/src/adapters/handoff-publisher";
import { INBOUND_TOPIC } from "@services/assistant/src/adapters/inbound-event";
import type { AssistantConfig } from "@services/assistant/src/config";
import { createAssistantService, type AssistantService } from "@services/assistant/src/service";
import { inProcessDesk, inProcessStatus } from "./assistant-ports";

export interface InProcessAssistantOptions {
  issuance: Pick<Issuance, "get" | "resend">;
  health: Pick<HealthRepository, "districtFigures">;
  /** Business phone number id → tenant. */
  tenants: Record<string, string>;
  whatsapp: AssistantConfig["whatsapp"];
  messagesPerMinute?: number;
  resendOffersPerHour?: number;
  /** Consumer group on the inbound topic (default "assistant"). */
  groupId?: string;
}

export interface InProcessAssistant extends AssistantService {
  /** For otp.v1.SupportService on the process's gRPC server. */
  desk: SupportDesk;
}

export function createInProcessAssistant(p: Platform, o: InProcessAssistantOptions): InProcessAssistant {
  const desk = createSupportDesk({ ...p, issuance: o.issuance });
  // The support topic lives next to the platform's other topics, under the same prefix.
  const prefix = p.topics.verifications.slice(0, -TOPICS.verifications.length);
  const service = createAssistantService({
    ...p,
    desk: inProcessDesk(desk, p.now),
    status: inProcessStatus(o.health, p.store, p.now),
    config: {
      tenants: o.tenants,
      messagesPerMinute: o.messagesPerMinute ?? 10,
      resendOffersPerHour: o.resendOffersPerHour ?? 3,
      handoffTopic: `${prefix}${SUPPORT_TOPIC}`,
      inboundTopic: `${prefix}${INBOUND_TOPIC}`,
      groupId: o.groupId ?? "assistant",
      whatsapp: o.whatsapp,
      webhookPath: "/whatsapp/webhook",
    },
  });
  return Object.assign(service, { desk });
}
