/**
 * Loopback ports for an all-in-one platform in a test: the simulators take any free port (0);
 * the inbox and the two webhook listeners are needed up front (the voice provider calls back on a
 * URL built from its port), so free ones are picked now.
 */
import type { AllInOneOptions } from "@services/all-in-one/src/all-in-one";
import { freePort } from "../harness/redis";

export async function testPorts(): Promise<AllInOneOptions["ports"]> {
  return {
    inbox: await freePort(),
    smpp: 0,
    smscControl: 0,
    whatsapp: 0,
    voice: 0,
    whatsappWebhook: await freePort(),
    voiceWebhook: await freePort(),
  };
}
