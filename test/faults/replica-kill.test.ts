/**
 * A second routing replica and a second gateway replica run as their own processes (the real
 * entry points, the same consumer groups, timers and binds' SMSC as the in-process ones); both are
 * killed with SIGKILL mid-load. Their partitions move to the survivors once Kafka notices, timers
 * they had claimed fire once their lease runs out, and a dispatch interrupted mid-send is
 * reported UNKNOWN and never resent: every accepted verification still verifies, nothing twice.
 * The single-service versions of these crashes are services/routing/test/replicas.test.ts and
 * gateway-smpp/test/gateway/crash.test.ts.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Channel } from "../../proto/gen/otp/v1/common";
import { startFaultStack, type FaultStack } from "./fault-stack";
import { assertNothingLost } from "./invariants";
import { runLoad } from "./load";
import { startServiceProcess, type ServiceProcess } from "./service-process";

let stack: FaultStack;
const replicas: ServiceProcess[] = [];
before(async () => {
  stack = await startFaultStack("replica-kill");
});
after(async () => {
  for (const replica of replicas) await replica.kill("SIGKILL");
  await stack?.close();
});

test("a routing and a gateway replica SIGKILLed mid-load: nothing accepted is lost or sent twice", async (t) => {
  const sims = stack.app.simulators;
  const routing = startServiceProcess("services/routing/src/main.ts", {
    ...stack.env,
    GRPC_ADDRESS: "127.0.0.1:0",
  });
  const gateway = startServiceProcess("gateway-smpp/src/main.ts", {
    ...stack.env,
    SMSC_SIM_HOST: "127.0.0.1",
    SMSC_SIM_SMPP_PORT: String(sims.smsc.port),
    SMSC_SIM_SYSTEM_ID: sims.credentials.smpp.systemId,
    SMSC_SIM_PASSWORD: sims.credentials.smpp.password,
  });
  replicas.push(routing, gateway);
  await Promise.all([routing.waitFor("routing started"), gateway.waitFor("sms gateway consuming")]);
  await sleep(3_000); // the groups rebalance so each replica owns partitions

  const load = await runLoad(stack, {
    count: 60,
    perSecond: 10,
    channelPreference: Channel.CHANNEL_SMS, // the gateway replica gets work to lose
    during: async () => {
      await sleep(3_000);
      await Promise.all([routing.kill("SIGKILL"), gateway.kill("SIGKILL")]);
    },
  });
  t.diagnostic(`accepted ${load.accepted.length}, errors ${JSON.stringify([...load.statuses])}`);
  assert.equal(load.accepted.length, 60, "the front door never depended on the killed replicas");
  await assertNothingLost(stack, load.accepted);
  const interrupted = stack.envelopes.filter(
    (e) => e.event?.$case === "deliveryReported" && e.event.value.reason === "SMS_DISPATCH_INTERRUPTED",
  ).length;
  t.diagnostic(
    `replica log lines: routing ${routing.lines.length}, gateway ${gateway.lines.length}; ` +
      `dispatches reported interrupted ${interrupted}`,
  );
});
