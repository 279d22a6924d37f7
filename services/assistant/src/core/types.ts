/**
 * The assistant's plain data: what a message means, what we know about the sender's
 * verification and the channels in their district. No gRPC, Kafka, Redis or node:* here.
 */
import type { ChannelName } from "@domain/policy/types";

export type { ChannelName };

export const LANGUAGES = ["id", "en", "ms", "th", "vi", "fil"] as const;
export type Language = (typeof LANGUAGES)[number];

export const INTENTS = [
  "not_received",
  "resend",
  "switch_channel",
  "safety",
  "incident",
  "human",
  "frustrated",
  "confirm",
  "decline",
  "greeting",
  "other",
] as const;
export type Intent = (typeof INTENTS)[number];

/** What a message means, from the offline classifier or a language model provider. */
export interface Understanding {
  language: Language;
  /** 0..1: how sure the language guess is (short replies like "ok" are not). */
  languageConfidence: number;
  intent: Intent;
  /** The channel the user asked for ("kirim lewat SMS", "call me"). */
  channel?: ChannelName;
}

export type AttemptStatus =
  "queued" | "accepted" | "sent" | "delivered" | "read" | "failed" | "expired" | "cancelled" | "unknown";

export interface AttemptSnapshot {
  attempt: number;
  channel: ChannelName;
  status: AttemptStatus;
  requestedAt: number;
}

/** The sender's live verification, as the assistant may see it (never a code). */
export interface VerificationSnapshot {
  id: string;
  district: string;
  locale: string;
  /** The workflow's channels, in order, without repeats. */
  channels: ChannelName[];
  attempts: AttemptSnapshot[];
  expiresAt: number;
  sendsRemaining: number;
  resendAvailableAt: number;
}

export type HealthState = "healthy" | "degraded" | "down" | "unknown";

export interface ChannelHealthSnapshot {
  channel: ChannelName;
  state: HealthState;
  /** 0..1 */
  deliveryRate: number;
}

export interface IncidentSnapshot {
  district: string;
  channels: ChannelName[];
  /** Locale → text written by the operator who declared it. */
  notices: Record<string, string>;
}

export interface DistrictStatus {
  channels: ChannelHealthSnapshot[];
  incidents: IncidentSnapshot[];
}

export type ResendOutcome =
  | { kind: "sent"; channel: ChannelName | undefined }
  | { kind: "cooldown"; retryAfterMs: number }
  | { kind: "limit" }
  | { kind: "closed" }
  | { kind: "unavailable" };

export type HandoffReason =
  | "requested"
  | "frustrated"
  | "not_understood"
  | "possible_social_engineering"
  /** A turn after a hand-off, while the agent has the conversation. */
  | "follow_up";
