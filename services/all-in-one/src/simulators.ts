/**
 * The outside networks of the all-in-one mode: an SMSC over real SMPP, the WhatsApp Cloud API
 * and a Twilio-style voice API over real HTTP with signed webhooks. Each keeps an inbox of what
 * the simulated handsets received.
 */
import { randomBytes } from "node:crypto";
import { startControlApi, type ControlApi } from "@gateway-smpp/src/simulator/control-api";
import { startSmscSimulator, type SmscSimulator } from "@gateway-smpp/src/simulator/smsc-simulator";
import {
  startOpenGatewaySimulator,
  type OpenGatewaySimulator,
} from "@services/silent/src/simulator/open-gateway-simulator";
import { startTwilioSimulator, type TwilioSimulator } from "@services/voice/src/simulator/twilio-simulator";
import {
  startCloudApiSimulator,
  type CloudApiSimulator,
} from "@services/whatsapp/src/simulator/cloud-api-simulator";

export interface SimulatorPorts {
  host: string;
  smpp: number;
  smscControl: number;
  whatsapp: number;
  voice: number;
  openGateway: number;
  /** Where the silent connector's callback will listen: the redirect URI the simulator accepts. */
  silentCallbackUrl: string;
}

export interface Simulators {
  smsc: SmscSimulator;
  smscControl: ControlApi;
  whatsapp: CloudApiSimulator;
  voice: TwilioSimulator;
  openGateway: OpenGatewaySimulator;
  /** What the connectors need to talk to them. */
  credentials: {
    smpp: { systemId: string; password: string };
    whatsapp: { accessToken: string; appSecret: string; verifyToken: string; phoneNumberId: string };
    voice: { accountSid: string; authToken: string };
    openGateway: { clientId: string; clientSecret: string };
  };
  close(): Promise<void>;
}

const token = (): string => randomBytes(18).toString("base64url");

export async function startSimulators(ports: SimulatorPorts): Promise<Simulators> {
  const host = ports.host;
  const credentials = {
    smpp: { systemId: "otp-router", password: token().slice(0, 8) },
    whatsapp: {
      accessToken: token(),
      appSecret: token(),
      verifyToken: token(),
      phoneNumberId: "100200300400",
    },
    voice: { accountSid: `AC${randomBytes(16).toString("hex")}`, authToken: token() },
    openGateway: { clientId: "otp-router-demo", clientSecret: token() },
  };
  const smsc = await startSmscSimulator({
    host,
    port: ports.smpp,
    credentials: { [credentials.smpp.systemId]: credentials.smpp.password },
  });
  const smscControl = await startControlApi(smsc, ports.smscControl, host);
  const whatsapp = await startCloudApiSimulator({
    host,
    port: ports.whatsapp,
    accessTokens: [credentials.whatsapp.accessToken],
    appSecret: credentials.whatsapp.appSecret,
  });
  const voice = await startTwilioSimulator({
    host,
    port: ports.voice,
    accountSid: credentials.voice.accountSid,
    authToken: credentials.voice.authToken,
  });
  const openGateway = await startOpenGatewaySimulator({
    host,
    port: ports.openGateway,
    clients: [{ ...credentials.openGateway, redirectUris: [ports.silentCallbackUrl] }],
  });
  return {
    openGateway,
    smsc,
    smscControl,
    whatsapp,
    voice,
    credentials,
    async close() {
      await Promise.allSettled([
        smscControl.close(),
        smsc.close(),
        whatsapp.close(),
        voice.close(),
        openGateway.close(),
      ]);
    },
  };
}
