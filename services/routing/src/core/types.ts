/**
 * The routing core's vocabulary: plain data, no I/O. Channels use the policy's names
 * ("whatsapp", "sms", "voice"); the adapters translate to and from the otp.v1 enums.
 * Sealed values (phone, code, transaction) are carried, never opened.
 */
import type { EncryptedValue } from "@proto/otp/events/v1/events";
import type { AdvanceCondition, ChannelName, RiskTierName } from "@domain/policy/types";
import type { ReceiptStatus } from "@domain/receipt-status";

export type { ChannelName, ReceiptStatus, RiskTierName };

export type Sealed = EncryptedValue;

export type HealthStateName = "healthy" | "degraded" | "down" | "unknown";

/** Figures of one health series over the current window, as used in a decision. */
export interface HealthFigures {
  channel: ChannelName;
  /** "" for the channel as a whole. */
  route: string;
  /** "" for a series across districts (SMS routes per operator). */
  district: string;
  /** Set for SMS route series, which are kept per operator. */
  operator: string;
  /** Delivered ÷ (delivered + failed), 0..1. */
  deliveryRate: number;
  /** Verified ÷ sent, 0..1. */
  conversionRate: number;
  p50Ms: number;
  p95Ms: number;
  /** Finished attempts (delivered + failed) in the window. */
  sampleSize: number;
  state: HealthStateName;
  /**
   * How far the recent evidence leans towards a collapse (the detector's statistic over its
   * threshold; 1: down). Routing hastens steps on a channel leaning `hastenAtLean`; no state changes.
   */
  collapseLean?: number;
}

/** What routing knows about channel health for one verification's district and operator. */
export interface HealthView {
  /** Per channel in the district. */
  channels: Partial<Record<ChannelName, HealthFigures>>;
  /** Per route, keyed `<channel>/<route>`: SMS per operator, other channels per district. */
  routes: Record<string, HealthFigures>;
  /** Attempts with a known outcome per minute over the window, every channel: the district's traffic. */
  attemptsPerMinute?: number;
}

/** An incident an operator declared for the district: its channels go last. */
export interface IncidentView {
  incidentId: string;
  channels: ChannelName[];
}

/** One step of a verification's plan. */
export interface PlanStep {
  channel: ChannelName;
  /** Route fixed by policy; otherwise chosen at dispatch time from live health. */
  route?: string;
  timeoutSeconds: number;
  advanceWhen: AdvanceCondition;
}

export interface Workflow {
  name: string;
  steps: PlanStep[];
  /** Why steps of the policy's workflow were left out (e.g. voice refused for VoIP numbers). */
  notes?: string[];
}

/** The clear and sealed facts of a verification, from VerificationStarted. */
export interface VerificationFacts {
  purpose: string;
  riskTier: RiskTierName | "unspecified";
  district: string;
  operator: string;
  country: string;
  locale: string;
  maskedPhone: string;
  channelPreference?: ChannelName;
  phone: Sealed | undefined;
  code: Sealed | undefined;
  transaction: Sealed | undefined;
  /** ms since the epoch. */
  expiresAt: number;
  maxSends: number;
  codePerAttempt: boolean;
  /** Digits of the code, for the new code of each attempt when the policy rotates codes. */
  codeLength?: number;
}

/** Why the router chose what it chose, with the figures it looked at. */
export interface Decision {
  at: number;
  /** 0 for the plan itself. */
  attempt: number;
  channel?: ChannelName;
  route: string;
  /** e.g. "workflow:login/medium", "district-reorder:whatsapp-down", "route:weighted". */
  rule: string;
  reason: string;
  health: HealthFigures[];
}

export type FailureClassName = "permanent" | "transient" | "unknown" | "unspecified";

export interface Receipt {
  attempt: number;
  channel?: ChannelName;
  status: ReceiptStatus;
  failureClass: FailureClassName;
  reason: string;
  /** When the provider says it happened (ms); the receipt's event time when absent. */
  at: number;
}

/**
 * `in_doubt`: the channel cannot tell whether the message went out (an SMPP response lost to a
 * dropped bind): it may still reach the user, so it keeps the verification open like a pending
 * attempt, but it is never resent on its route.
 */
export type AttemptOutcome = "pending" | "delivered" | "failed" | "in_doubt" | "timed_out" | "cancelled";

export interface AttemptRecord {
  attempt: number;
  /** Position in the plan this attempt stands for. */
  stepIndex: number;
  channel: ChannelName;
  route: string;
  requestedAt: number;
  /** When the fallback timer of this attempt is due. */
  dueAt: number;
  advanceWhen: AdvanceCondition;
  timeoutSeconds: number;
  outcome: AttemptOutcome;
  lastStatus: ReceiptStatus | "none";
  failureReason: string;
  /** Health already told about this attempt's result (each attempt counts once). */
  healthCounted: boolean;
}

export type RoutingStatus =
  "new" | "active" | "verified" | "cancelled" | "locked" | "overridden" | "expired" | "failed";

export interface RoutingState {
  verificationId: string;
  tenant: string;
  status: RoutingStatus;
  facts: VerificationFacts | undefined;
  workflow: string;
  steps: PlanStep[];
  /** The attempt whose step is running (0 before the first dispatch). */
  currentAttempt: number;
  attempts: AttemptRecord[];
  decisions: Decision[];
  /** Set when nothing more can be dispatched but the verification is still open. */
  stoppedReason: string;
  /** Ids of inputs already applied (bounded), so redeliveries change nothing. */
  appliedInputs: string[];
}

export type FinishOutcome = "verified" | "cancelled" | "locked" | "overridden";

export type RoutingCommand =
  | { type: "Start"; inputId: string; tenant: string; facts: VerificationFacts; workflow: Workflow }
  | { type: "RecordReceipt"; inputId: string; receipt: Receipt }
  | {
      type: "Resend";
      inputId: string;
      channel?: ChannelName;
      newCode?: Sealed;
      expiresAt?: number;
    }
  | { type: "Finish"; inputId: string; outcome: FinishOutcome; matchedAttempt?: number }
  | { type: "FallbackDue"; inputId: string; attempt: number }
  /** The operator's answer to the silent step (NetworkVerificationReported). */
  | { type: "NetworkResult"; inputId: string; verified: boolean; reason: string; at: number }
  | { type: "ExpiryDue"; inputId: string };

export type FallbackCause = "timeout" | "hard_failure" | "user_request" | "channel_down";

/** How a dispatch came about. */
export type DispatchCause = "first" | FallbackCause;

/**
 * What health learns from an event: one sample of a series. `neutral` is an outcome that says
 * nothing about the channel (the number is not on it: WhatsApp's 131026): it takes the attempt's
 * send back, so the attempt is neither a failure nor left pending.
 */
export type HealthSample =
  | { kind: "sent" }
  | { kind: "delivered"; latencyMs: number }
  | { kind: "failed" }
  | { kind: "neutral" }
  | { kind: "verified" };

export type RoutingEvent =
  | {
      type: "RoutePlanned";
      at: number;
      tenant: string;
      facts: VerificationFacts;
      workflow: string;
      steps: PlanStep[];
      decision: Decision;
    }
  | {
      type: "DispatchRequested";
      at: number;
      attempt: number;
      stepIndex: number;
      channel: ChannelName;
      route: string;
      timeoutSeconds: number;
      advanceWhen: AdvanceCondition;
      dueAt: number;
      code: Sealed | undefined;
      cause: DispatchCause;
      decision: Decision;
    }
  | {
      type: "FallbackTriggered";
      at: number;
      fromAttempt: number;
      fromChannel: ChannelName;
      toAttempt: number;
      toChannel: ChannelName;
      reason: FallbackCause;
      detail: string;
    }
  | {
      type: "ReceiptRecorded";
      at: number;
      attempt: number;
      status: ReceiptStatus;
      failureClass: FailureClassName;
      reason: string;
      /** The receipt belongs to an attempt routing already moved on from. */
      late: boolean;
      /** Set when this receipt is the attempt's result for health. */
      sample?: HealthSample;
    }
  | { type: "AttemptTimedOut"; at: number; attempt: number; sample?: HealthSample }
  | {
      type: "ConversionRecorded";
      at: number;
      attempt: number;
      /**
       * What the conversion tells health about attempts not counted yet: the converted one was
       * delivered (its receipt never came), earlier ones on other channels failed (the fallback
       * succeeded elsewhere).
       */
      evidence?: { attempt: number; sample: HealthSample }[];
    }
  | { type: "CodeReplaced"; at: number; code?: Sealed; expiresAt?: number }
  | { type: "DispatchCancelled"; at: number; attempt: number; channel: ChannelName; reason: string }
  | { type: "RoutingStopped"; at: number; reason: string; decision: Decision }
  | { type: "VerificationEnded"; at: number; outcome: FinishOutcome }
  | { type: "VerificationExpired"; at: number }
  | { type: "VerificationFailed"; at: number; reason: string }
  | { type: "InputApplied"; inputId: string };

/** Tunables of the core, from configuration. */
export interface RoutingSettings {
  /**
   * Share (0..1) of verifications that still try a down channel first, to see it recover; in a
   * quiet district more, so a probe goes out about every `probeEveryMs`, up to `maxProbeShare`.
   */
  probeShare: number;
  probeEveryMs: number;
  maxProbeShare: number;
  /** A code with less life than this left is not dispatched any more. */
  minRemainingMs: number;
  /** Channels that stay at the end of a plan whatever happens to the others. */
  lastResortChannels: ChannelName[];
  /** Decisions kept per verification (the oldest are dropped beyond it). */
  maxDecisions: number;
  /**
   * When a channel's evidence leans this far towards a collapse (`HealthFigures.collapseLean`),
   * its "not delivered" steps wait only `hastenedWaitSeconds[channel]` (its usual p99) before the
   * fallback: the first reaction, before the channel is judged down.
   */
  hastenAtLean: number;
  hastenedWaitSeconds: Partial<Record<ChannelName, number>>;
}

export const DEFAULT_ROUTING_SETTINGS: RoutingSettings = {
  probeShare: 0.05,
  probeEveryMs: 40_000,
  maxProbeShare: 0.35,
  minRemainingMs: 5_000,
  lastResortChannels: ["voice"],
  maxDecisions: 32,
  // 3.5 nats of the detector's 11: about two WhatsApp failures in a row where 95 % are delivered.
  hastenAtLean: 0.32,
  hastenedWaitSeconds: { whatsapp: 8 },
};
