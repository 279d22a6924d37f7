/**
 * Routing's view of channel health (GetChannelHealth, as an SRE or a client app reads it), the
 * plan routing made for a verification, and the WhatsApp and voice simulators' scenarios set
 * through their HTTP control API.
 */
import assert from "node:assert/strict";
import { Channel, HealthState } from "@proto/otp/v1/common";
import { RoutingServiceClient } from "@proto/otp/v1/routing";
import { callUnary, createClient } from "@platform/grpc/client";
import { channelLabel } from "@platform/telemetry/labels";
import { FAULT_TOKEN, type PlatformStack } from "./fault-stack";

export interface HealthReader {
  /** The state of a channel as a whole (all routes) in a district, e.g. "HEALTHY". */
  stateOf(district: string, channel: Channel): Promise<string>;
  close(): void;
}

export function healthReader(stack: PlatformStack): HealthReader {
  const client = createClient(RoutingServiceClient, {
    address: stack.address,
    insecure: true,
    token: FAULT_TOKEN,
    defaultDeadlineMs: 5_000,
  });
  return {
    async stateOf(district, channel) {
      const health = await callUnary(client, "getChannelHealth", { district });
      const series = health.channels.find(
        (c) => c.channel === channel && c.route === "" && c.district === district,
      );
      return HealthState[series?.state ?? HealthState.HEALTH_STATE_UNKNOWN].replace("HEALTH_STATE_", "");
    },
    close: () => client.close(),
  };
}

/** The channel of a verification's first dispatch, and the rule its plan was made by. */
export function firstDispatchOf(
  stack: PlatformStack,
  verificationId: string,
): { channel: string; rule: string } {
  let channel = "";
  let rule = "";
  for (const env of stack.eventsOf(verificationId)) {
    const event = env.event;
    if (event?.$case === "routePlanned") rule = event.value.rule;
    if (event?.$case === "dispatchRequested" && event.value.attempt === 1) {
      channel = channelLabel(event.value.channel);
    }
  }
  return { channel, rule };
}

/** PUT /scenario on a simulator's control API (WhatsApp Cloud API or voice provider). */
export async function putScenario(simulatorUrl: string, scenario: unknown): Promise<void> {
  const answer = await fetch(`${simulatorUrl}/scenario`, { method: "PUT", body: JSON.stringify(scenario) });
  assert.equal(answer.status, 200, `PUT ${simulatorUrl}/scenario: ${await answer.text()}`);
}
