/**
 * Turns a phase's per-district network conditions into the simulators' scenarios, in
 * wall-clock milliseconds (scenario seconds × scale). Dark numbers get routes of their own:
 * SMS expires, WhatsApp never delivers, calls are not answered.
 */
import type { Scenario as SmsScenario } from "@gateway-smpp/src/simulator/scenario";
import type { Scenario as VoiceScenario } from "@services/voice/src/simulator/scenario";
import type { Scenario as WhatsAppScenario } from "@services/whatsapp/src/simulator/scenario";
import type { OpenGatewayScenario } from "@services/silent/src/simulator/scenario";
import type { VirtualUser } from "./population";
import type { NetworkConditions, Phase, ScenarioFile, Strategy } from "./scenario-file";

export interface SimulatorScenarios {
  sms: SmsScenario;
  whatsapp: WhatsAppScenario;
  voice: VoiceScenario;
  /** The operators' Open Gateway: only where it is out changes per phase. */
  openGateway: Pick<OpenGatewayScenario, "districtsDown">;
}

export function conditionsFor(
  phase: Phase,
  district: string,
): Required<Omit<NetworkConditions, "delays" | "routes">> {
  const c = { ...phase.network["*"], ...phase.network[district] };
  return {
    whatsappDelivery: c.whatsappDelivery ?? 1,
    smsDelaySeconds: c.smsDelaySeconds ?? 3,
    smsLoss: c.smsLoss ?? 0,
    voiceNoAnswer: c.voiceNoAnswer ?? 0,
    darkShare: c.darkShare ?? 0,
    openGatewayDown: c.openGatewayDown ?? false,
  };
}

function isDark(user: VirtualUser, phase: Phase): boolean {
  return user.darkRoll < conditionsFor(phase, user.district).darkShare;
}

export function simulatorScenarios(
  s: ScenarioFile,
  strategy: Strategy,
  phase: Phase,
  users: VirtualUser[],
  scale: number,
  seed: number,
): SimulatorScenarios {
  const ms = (seconds: number): number => Math.round(seconds * 1000 * scale);
  const districts = Object.fromEntries(s.districts.map((d) => [d.name, [d.prefix]]));
  const extraDelay = strategy.smsRoute?.extraDelaySeconds ?? 0;
  const extraLoss = strategy.smsRoute?.extraLoss ?? 0;
  const dark = users.filter((u) => isDark(u, phase)).map((u) => u.phone.slice(1));

  const smsRoutes = s.districts.map((d) => {
    const c = conditionsFor(phase, d.name);
    const loss = 1 - (1 - c.smsLoss) * (1 - extraLoss);
    return {
      district: d.name,
      receiptDelayMs: ms(c.smsDelaySeconds + extraDelay),
      statusMix: { DELIVRD: 1 - loss, EXPIRED: loss },
    };
  });
  const waRoutes = s.districts.map((d) => {
    const c = conditionsFor(phase, d.name);
    // Undelivered WhatsApp messages stay "sent": the handset is offline, Meta keeps trying.
    return { district: d.name, outcomeMix: { read: c.whatsappDelivery, sent: 1 - c.whatsappDelivery } };
  });
  const voiceRoutes = s.districts.map((d) => {
    const c = conditionsFor(phase, d.name);
    return { district: d.name, outcomeMix: { completed: 1 - c.voiceNoAnswer, "no-answer": c.voiceNoAnswer } };
  });
  const openGatewayDown = s.districts.filter((d) => conditionsFor(phase, d.name).openGatewayDown);
  return {
    openGateway: { districtsDown: openGatewayDown.map((d) => d.name) },
    sms: {
      seed,
      districts,
      default: { receiptDelayMs: ms(3) },
      routes: [
        ...smsRoutes,
        ...dark.map((prefix) => ({ prefix, receiptDelayMs: ms(60 + extraDelay), statusMix: { EXPIRED: 1 } })),
      ],
    },
    whatsapp: {
      seed,
      districts,
      default: { sentDelayMs: ms(0.5), deliveredDelayMs: ms(1), readDelayMs: ms(2) },
      routes: waRoutes,
      outages: dark.map((prefix) => ({ prefix, effect: "no-delivery" as const })),
    },
    voice: {
      seed,
      districts,
      default: { ringDelayMs: ms(2), answerDelayMs: ms(6), talkMs: ms(15) },
      routes: [...voiceRoutes, ...dark.map((prefix) => ({ prefix, outcomeMix: { failed: 1 } }))],
    },
  };
}
