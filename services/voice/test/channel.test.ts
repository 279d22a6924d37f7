/**
 * The voice channel as deployed: DispatchRequested and the verification's later events on a
 * real Kafka topic, calls and sealed pending readings in a real Redis, the Twilio-compatible
 * simulator over real HTTP calling back the channel's own listener (signed), DeliveryReported
 * read back from Kafka. Calls use the "press 1 to hear your code" prompt, so the code travels
 * through the store. Then the same flow on the in-process bus and store.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CheckOutcome } from "@proto/otp/events/v1/events";
import { Channel, DeliveryStatus as S } from "@proto/otp/v1/common";
import type { ChannelService } from "@platform/http/channel-service";
import {
  dispatchRequested,
  eventually,
  freshVerification,
  lifecycleEvent,
  startLifecycleFixture,
  type LifecycleFixture,
} from "@test/support/channel-fixture";
import { createLogger } from "@platform/log";
import { createPolicyBook, DEFAULT_POLICY } from "@domain/policy";
import type { VoiceChannelConfig } from "../src/channel-config";
import { createVoiceChannel } from "../src/channel";
import { startTwilioSimulator, type TwilioSimulator } from "../src/simulator/twilio-simulator";
import { spellDigits } from "../src/voice-script";

const ACCOUNT_SID = "AC00000000000000000000000000000042";
const AUTH_TOKEN = "channel-test-auth-token";
/** Numbers under this prefix ring for a minute: long enough to be cancelled while ringing. */
const RINGING = "62831";

interface Running {
  fixture: LifecycleFixture;
  simulator: TwilioSimulator;
  channel: ChannelService;
  logs: string[];
  close(): Promise<void>;
}

async function startChannel(wires: "kafka+redis" | "in-process"): Promise<Running> {
  const fixture = await startLifecycleFixture("voice-channel", wires);
  const simulator = await startTwilioSimulator({
    accountSid: ACCOUNT_SID,
    authToken: AUTH_TOKEN,
    scenario: {
      default: { ringDelayMs: 20, answerDelayMs: 20, talkMs: 50 },
      routes: [{ prefix: RINGING, answerDelayMs: 60_000 }],
    },
  });
  const logs: string[] = [];
  const config: VoiceChannelConfig = {
    baseUrl: simulator.url,
    accountSid: ACCOUNT_SID,
    authToken: AUTH_TOKEN,
    callerIds: { "*": "+622150000000" },
    statusPath: "/voice/status",
    keyPressPath: "/voice/key",
    keyPress: true,
    callsPerSecond: 50,
    ringSeconds: 30,
    webhookListen: "127.0.0.1:0",
    groupId: `${fixture.prefix}-voice-connector`,
    initialRetryDelayMs: 10,
  };
  const channel = createVoiceChannel({
    bus: fixture.bus,
    store: fixture.store,
    secrets: fixture.secrets,
    policies: createPolicyBook(DEFAULT_POLICY, {}),
    config,
    logger: createLogger({ level: "debug", write: (line) => logs.push(line) }),
    topics: fixture.topics,
  });
  await channel.start();
  return {
    fixture,
    simulator,
    channel,
    logs,
    async close() {
      await channel.stop();
      await simulator.close();
      await fixture.close();
    },
  };
}

const inFiveMinutes = () => new Date(Date.now() + 5 * 60_000);

describe("voice channel on Kafka and Redis", () => {
  let run: Running;
  const called: Array<{ phone: string; code: string }> = [];
  before(async () => {
    run = await startChannel("kafka+redis");
  });
  after(() => run.close());

  const dispatch = async (prefix: string, attempt: number) => {
    const v = freshVerification(prefix);
    called.push(v);
    await run.fixture.publish(
      dispatchRequested(run.fixture.sealer, {
        ...v,
        attempt,
        channel: Channel.CHANNEL_VOICE,
        expiresAt: inFiveMinutes(),
      }),
    );
    return v;
  };
  const statuses = (verificationId: string) => run.fixture.receiptsOf(verificationId).map((r) => r.status);
  const callOf = (verificationId: string) =>
    run.fixture.receiptsOf(verificationId).find((r) => r.providerMessageId !== "")?.providerMessageId ?? "";

  it("calls, reads the digits after the key press, and reports DELIVERED for the right attempt", async () => {
    const v = await dispatch("62812", 3);
    await eventually("the digits heard", () =>
      run.simulator.inbox.calls(v.phone).some((c) => c.heard.includes(spellDigits(v.code))),
    );
    await eventually("DELIVERED and READ on Kafka", () =>
      [S.DELIVERY_STATUS_DELIVERED, S.DELIVERY_STATUS_READ].every((s) =>
        statuses(v.verificationId).includes(s),
      ),
    );
    const heard = run.simulator.inbox.calls(v.phone)[0];
    assert.equal(heard?.pressed, "1");
    assert.equal(statuses(v.verificationId)[0], S.DELIVERY_STATUS_ACCEPTED);
    for (const r of run.fixture.receiptsOf(v.verificationId)) {
      assert.equal(r.key, v.verificationId, "keyed by verification id");
      assert.equal(r.tenant, "bank-a");
      assert.equal(r.attempt, 3);
      assert.equal(r.channel, Channel.CHANNEL_VOICE);
      assert.equal(r.route, "twilio");
      assert.equal(r.providerMessageId, heard?.callSid);
      assert.equal(r.district, "ID-JK-JS");
      assert.equal(r.operator, "id-telkomsel");
    }
    // Read once: the sealed code is gone from the store.
    assert.equal(
      await run.fixture.store.get(run.fixture.store.key(`voice-reading:${heard?.callSid ?? ""}`)),
      null,
    );
  });

  it("cancels a ringing call when the code is verified, with a CANCELLED receipt", async () => {
    const v = await dispatch(RINGING, 1);
    await eventually("ringing", () => statuses(v.verificationId).includes(S.DELIVERY_STATUS_SENT));
    await run.fixture.publish(
      lifecycleEvent(v.verificationId, {
        $case: "codeChecked",
        value: { outcome: CheckOutcome.CHECK_OUTCOME_VERIFIED, checksUsed: 1, matchedAttempt: 1 },
      }),
    );
    await eventually("CANCELLED on Kafka", () =>
      statuses(v.verificationId).includes(S.DELIVERY_STATUS_CANCELLED),
    );
    assert.equal(run.simulator.call(callOf(v.verificationId))?.status, "canceled");
    const cancelled = run.fixture
      .receiptsOf(v.verificationId)
      .find((r) => r.status === S.DELIVERY_STATUS_CANCELLED);
    assert.equal(cancelled?.reason, "VOICE_CANCELED");
    assert.equal(run.simulator.inbox.calls(v.phone).length, 0, "nobody heard the code");
  });

  it("cancels a ringing call on DispatchCancelled for its attempt", async () => {
    const v = await dispatch(RINGING, 2);
    await eventually("ringing", () => statuses(v.verificationId).includes(S.DELIVERY_STATUS_SENT));
    await run.fixture.publish(
      lifecycleEvent(v.verificationId, {
        $case: "dispatchCancelled",
        value: { attempt: 2, channel: Channel.CHANNEL_VOICE, reason: "delivered elsewhere" },
      }),
    );
    await eventually("canceled", () => run.simulator.call(callOf(v.verificationId))?.status === "canceled");
  });

  it("does not call once the verification was cancelled", async () => {
    const v = freshVerification("62812");
    called.push(v);
    const created = run.simulator.stats().created;
    await run.fixture.publish(
      lifecycleEvent(v.verificationId, {
        $case: "verificationCancelled",
        value: { reason: "user", by: "bank-a" },
      }),
    );
    await run.fixture.publish(
      dispatchRequested(run.fixture.sealer, {
        ...v,
        attempt: 1,
        channel: Channel.CHANNEL_VOICE,
        expiresAt: inFiveMinutes(),
      }),
    );
    await eventually("CANCELLED on Kafka", () =>
      statuses(v.verificationId).includes(S.DELIVERY_STATUS_CANCELLED),
    );
    assert.equal(run.fixture.receiptsOf(v.verificationId)[0]?.reason, "CANCELLED_BEFORE_CALL");
    assert.equal(run.simulator.stats().created, created);
  });

  it("never logs a code or a full phone number", () => {
    assert.ok(run.logs.length > 5, "expected log lines to inspect");
    const logs = run.logs.join("\n");
    for (const { phone, code } of called) {
      assert.ok(!logs.includes(code), "a code leaked into the logs");
      assert.ok(!logs.includes(spellDigits(code)), "a spoken code leaked into the logs");
      assert.ok(!logs.includes(phone.slice(1)), "a phone number leaked into the logs");
    }
  });
});

describe("voice channel on the in-process bus and store", () => {
  let run: Running;
  before(async () => {
    run = await startChannel("in-process");
  });
  after(() => run.close());

  it("calls, reads the code after the key press, and reports DELIVERED", async () => {
    const v = freshVerification("62812");
    await run.fixture.publish(
      dispatchRequested(run.fixture.sealer, {
        ...v,
        attempt: 1,
        channel: Channel.CHANNEL_VOICE,
        expiresAt: inFiveMinutes(),
      }),
    );
    await eventually("DELIVERED", () =>
      run.fixture.receiptsOf(v.verificationId).some((r) => r.status === S.DELIVERY_STATUS_DELIVERED),
    );
    await eventually("the digits heard", () =>
      run.simulator.inbox.calls(v.phone).some((c) => c.heard.includes(spellDigits(v.code))),
    );
  });
});
