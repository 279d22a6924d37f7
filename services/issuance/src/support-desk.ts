/**
 * What a support channel may do for a phone it has already established (the WhatsApp support
 * assistant: the sender's number is the phone): find that phone's newest live verification, and
 * resend it through the same rules as ResendCode. Nothing here answers about another phone: a
 * verification started for a different number is "not found", exactly like an unknown id.
 *
 * The active index is per tenant + phone + purpose (see activeKey), so the lookup reads one key
 * per purpose of the tenant's policy; a policy has a handful of purposes.
 */
import type { Channel } from "@proto/otp/v1/common";
import type { SecretMaterial } from "@platform/crypto/keys";
import { sealedField } from "@platform/crypto/sealer";
import type { VerificationState } from "@domain/verification";
import { invalidArgument, isOtpError, OtpError } from "@domain/errors";
import { isPrincipalName } from "@platform/grpc/identity";
import { VERIFICATION_ID_PATTERN } from "@platform/events/envelope";
import type { PolicyBook } from "@domain/policy";
import { activeKey } from "@verification-state/projector";
import { effectiveStatus } from "@verification-state/view";
import type { Store } from "@platform/store/port";
import type { Issuance } from "./issuance";

export interface SupportDeskDeps {
  issuance: Pick<Issuance, "get" | "resend">;
  store: Store;
  secrets: Pick<SecretMaterial, "sealer" | "hasher">;
  policies: PolicyBook;
  now: () => number;
}

export interface SupportDesk {
  findActive(tenant: string, phone: string): Promise<VerificationState | undefined>;
  resend(
    tenant: string,
    phone: string,
    verificationId: string,
    channel: Channel,
    by: string,
  ): Promise<VerificationState>;
}

const E164 = /^\+[1-9]\d{6,14}$/;

const notFound = (): OtpError => new OtpError("OTP_NOT_FOUND", "verification not found");

function checkSubject(tenant: string, phone: string): void {
  if (!isPrincipalName(tenant)) throw invalidArgument("tenant", "not a tenant name");
  if (!E164.test(phone)) throw invalidArgument("phone", "must be E.164, e.g. +6281234567890");
}

export function createSupportDesk(deps: SupportDeskDeps): SupportDesk {
  const { issuance, store, secrets, policies, now } = deps;

  const readLive = async (tenant: string, id: string): Promise<VerificationState | undefined> => {
    try {
      const state = await issuance.get(tenant, id);
      const status = effectiveStatus(state, now());
      return status === "pending" || status === "delivered" ? state : undefined;
    } catch (err) {
      if (isOtpError(err) && err.code === "OTP_NOT_FOUND") return undefined;
      throw err;
    }
  };

  const belongsTo = (state: VerificationState, phone: string): boolean =>
    state.phone !== undefined && secrets.sealer.open(state.phone, sealedField(state.id, "phone")) === phone;

  return {
    async findActive(tenant, phone) {
      checkSubject(tenant, phone);
      const phoneKey = secrets.hasher.lookup("phone", phone);
      const purposes = Object.keys(policies.policyFor(tenant).purposes);
      const ids = await Promise.all(
        purposes.map((purpose) => store.get(store.key(activeKey(tenant, phoneKey, purpose)))),
      );
      const live = await Promise.all(
        [...new Set(ids.filter((id): id is string => id !== null))].map((id) => readLive(tenant, id)),
      );
      const mine = live.filter((s): s is VerificationState => s !== undefined && belongsTo(s, phone));
      return mine.sort((a, b) => b.createdAt - a.createdAt)[0];
    },

    async resend(tenant, phone, verificationId, channel, by) {
      checkSubject(tenant, phone);
      if (!VERIFICATION_ID_PATTERN.test(verificationId)) throw notFound();
      const state = await issuance.get(tenant, verificationId);
      // The same answer as an unknown id: whether another phone has this verification is not said.
      if (!belongsTo(state, phone)) throw notFound();
      return issuance.resend(tenant, verificationId, channel, by);
    },
  };
}
