/**
 * A second routing replica and a second gateway replica run as their own processes (the real
 * entry points, the same consumer groups, timers and binds' SMSC as the in-process ones); both are
 * killed with SIGKILL mid-load. Their partitions move to the survivors once Kafka notices, timers
 * they had claimed fire once their lease runs out, and a dispatch interrupted mid-send is
 * reported UNKNOWN and never resent: every accepted verification still verifies, nothing twice.
 * The single-service versions of these crashes are services/routing/test/replicas.test.ts and
 * gateway-smpp/test/gateway/crash.test.ts.
 *
 * So that the test cannot pass without the replicas having had anything to lose, it reads, just
 * before the kill, the partitions Kafka gave each of them and the SMS the gateway replica says it
 * sent (its /metrics); the SMSC answers slowly, so the gateway replica dies with submits in
 * flight, which the survivor then finds unfinished in the attempt ledger and reports
 * SMS_DISPATCH_INTERRUPTED.
 */
import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Channel } from "@proto/otp/v1/common";
import { freePort } from "../harness/redis";
import { startFaultStack, type FaultStack } from "./fault-stack";
import { assertNoDuplicateSends, assertNothingDeadLettered, assertNothingLost } from "./invariants";
import { eventually, runLoad } from "./load";
import { describeGroup, partitionOfVerification, scrapeCounter } from "./replica-signals";
import { startServiceProcess, type ServiceProcess } from "./service-process";
import { assertSmsPromisesKept, smscControl } from "./sms-checks";

let stack: FaultStack;
const replicas: ServiceProcess[] = [];
before(async () => {
  stack = await startFaultStack("replica-kill");
});
after(async () => {
  for (const replica of replicas) await replica.kill("SIGKILL");
  await stack?.close();
});

/** Kafka client ids of the replicas: their service names (the in-process ones are fault-…). */
const ROUTING_CLIENT = "routing";
const GATEWAY_CLIENT = "gateway-smpp";

it(
  "a routing and a gateway replica SIGKILLed mid-load: nothing accepted is lost or sent twice",
  { timeout: 240_000 },
  async (t) => {
    const sims = stack.app.simulators;
    const metrics = { routing: await freePort(), gateway: await freePort() };
    const routing = startServiceProcess("services/routing/src/main.ts", {
      ...stack.env,
      GRPC_ADDRESS: "127.0.0.1:0",
      METRICS_LISTEN: `127.0.0.1:${metrics.routing}`,
    });
    const gateway = startServiceProcess("gateway-smpp/src/main.ts", {
      ...stack.env,
      METRICS_LISTEN: `127.0.0.1:${metrics.gateway}`,
      SMSC_SIM_HOST: "127.0.0.1",
      SMSC_SIM_SMPP_PORT: String(sims.smsc.port),
      SMSC_SIM_SYSTEM_ID: sims.credentials.smpp.systemId,
      SMSC_SIM_PASSWORD: sims.credentials.smpp.password,
    });
    replicas.push(routing, gateway);
    await Promise.all([routing.waitFor("routing started"), gateway.waitFor("sms gateway consuming")]);
    // The groups rebalance so that each replica owns partitions.
    await eventually(
      "both replicas own partitions",
      async () =>
        (await describeGroup(stack, "routing")).partitionsOf(ROUTING_CLIENT).length > 0 &&
        (await describeGroup(stack, "gateway-smpp")).partitionsOf(GATEWAY_CLIENT).length > 0,
      60_000,
    );
    // Slow answers: at any moment each gateway has submits in flight.
    await smscControl(stack).scenario({ responseDelayMs: 1_000 });

    const held = { routing: [] as number[], gateway: [] as number[], smsSent: 0 };
    const load = await runLoad(stack, {
      count: 60,
      perSecond: 10,
      channelPreference: Channel.CHANNEL_SMS, // the gateway replica gets work to lose
      during: async () => {
        await sleep(3_000);
        held.routing = (await describeGroup(stack, "routing")).partitionsOf(ROUTING_CLIENT);
        held.gateway = (await describeGroup(stack, "gateway-smpp")).partitionsOf(GATEWAY_CLIENT);
        held.smsSent = await scrapeCounter(`http://127.0.0.1:${metrics.gateway}`, "otp_sends_total", {
          channel: "sms",
        });
        await Promise.all([routing.kill("SIGKILL"), gateway.kill("SIGKILL")]);
      },
    });
    const partitionOf = await partitionOfVerification(stack);
    const onDeadRouting = load.accepted.filter((v) => held.routing.includes(partitionOf(v.verificationId)));
    t.diagnostic(
      `accepted ${load.accepted.length}; at the kill the routing replica owned partitions ` +
        `[${held.routing.join(",")}] (${onDeadRouting.length} of the starts), the gateway replica ` +
        `[${held.gateway.join(",")}] and had sent ${held.smsSent} SMS`,
    );
    assert.equal(load.accepted.length, 60, "the front door never depended on the killed replicas");
    assert.ok(onDeadRouting.length > 0, "starts went to the routing replica's partitions");
    assert.ok(held.gateway.length > 0, "the gateway replica owned partitions when killed");
    assert.ok(held.smsSent > 0, "the gateway replica had sent SMS before it was killed");

    await assertNothingLost(stack, load.accepted, { verifyTimeoutMs: 150_000 });
    await assertNothingDeadLettered(stack);
    // The submits it had in flight, found unfinished by the survivor once Kafka moved the
    // partitions (a session timeout after the kill): UNKNOWN, never resent.
    const interrupted = () =>
      stack.envelopes.filter(
        (e) => e.event?.$case === "deliveryReported" && e.event.value.reason === "SMS_DISPATCH_INTERRUPTED",
      ).length;
    await eventually("the dead gateway's submits in flight reported", () => interrupted() > 0, 90_000);
    assertNoDuplicateSends(stack, load.accepted);
    assertSmsPromisesKept(stack, load.accepted);
    t.diagnostic(`dispatches reported interrupted ${interrupted()}`);
  },
);
