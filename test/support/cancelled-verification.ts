/**
 * One verification's short life as events (started with its phone and code sealed, route
 * planned, cancelled) and as the bus messages a consumer is handed: for the tests of what folds
 * the lifecycle (the projector, the outcome metrics it records).
 */
import { RoutePlanned, type EventEnvelope } from "@proto/otp/events/v1/events";
import type { BusMessage } from "@platform/bus/port";
import type { SecretMaterial } from "@platform/crypto/keys";
import { sealedField } from "@platform/crypto/sealer";
import { envelope, type EventBody } from "@platform/events/envelope";

export function cancelledVerification(
  secrets: Pick<SecretMaterial, "sealer">,
  verificationId: string,
  { tenant, phone }: { tenant: string; phone: string },
): EventEnvelope[] {
  const at = new Date();
  const seal = (value: string, field: "phone" | "code") =>
    secrets.sealer.seal(value, sealedField(verificationId, field));
  const bodies: EventBody[] = [
    {
      $case: "verificationStarted",
      value: {
        phone: seal(phone, "phone"),
        maskedPhone: "+62812****7890",
        country: "ID",
        operator: "",
        district: "",
        purpose: "login",
        riskTier: 0,
        locale: "id",
        channelPreference: 0,
        code: seal("123456", "code"),
        codeLength: 6,
        expiresAt: new Date(at.getTime() + 300_000),
        maxChecks: 5,
        maxSends: 3,
        codePerAttempt: false,
        transaction: undefined,
        hasTransactionBinding: false,
        idempotencyKeyHash: "",
        idempotencyFingerprint: "",
        resendCooldownSeconds: 30,
        numberType: "mobile",
        resendUntil: new Date(at.getTime() + 300_000),
        silentGateway: "",
        silentSkippedReason: "",
      },
    },
    { $case: "routePlanned", value: RoutePlanned.fromPartial({ reason: "test" }) },
    { $case: "verificationCancelled", value: { reason: "test", by: "test" } },
  ];
  return bodies.map((body) => envelope({ verificationId, tenant, at }, body));
}

export const asBusMessages = (envs: EventEnvelope[]): BusMessage[] =>
  envs.map((env, i) => ({
    topic: "t",
    partition: 0,
    offset: String(i),
    key: env.verificationId,
    envelope: env,
    headers: {},
    redelivery: 0,
  }));
