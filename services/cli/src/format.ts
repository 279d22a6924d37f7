/**
 * Human-readable output of the CLI. Enum names lose their prefix (CHANNEL_WHATSAPP → whatsapp),
 * times print as ISO, tables align in columns.
 */
import {
  channelToJSON,
  deliveryStatusToJSON,
  healthStateToJSON,
  verificationStatusToJSON,
  type Channel,
  type ChannelHealth,
  type Incident,
  type Verification,
} from "@proto/otp/v1/common";
import type { ExplainRouteResponse } from "@proto/otp/v1/routing";
import type { DecodedStatus } from "@platform/grpc/status";
import type { HandsetMessage } from "@platform/development/handset-inbox";

const short = (name: string, prefix: string): string =>
  name.startsWith(prefix) ? name.slice(prefix.length).toLowerCase() : name.toLowerCase();

const channelName = (c: Channel): string => short(channelToJSON(c), "CHANNEL_");
const time = (d: Date | undefined): string => (d ? d.toISOString() : "-");
const since = (from: Date | undefined, to: Date | undefined): string =>
  from && to ? `+${((to.getTime() - from.getTime()) / 1000).toFixed(1)}s` : "";

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

export function formatVerification(v: Verification): string {
  const head = [
    `verification ${v.verificationId}`,
    `  status     ${short(verificationStatusToJSON(v.status), "VERIFICATION_STATUS_")}`,
    `  phone      ${v.maskedPhone}   district ${v.district || "-"}   purpose ${v.purpose}   locale ${v.locale}`,
    `  created    ${time(v.createdAt)}   expires ${time(v.expiresAt)}`,
    `  checks left ${v.checksRemaining}   sends left ${v.sendsRemaining}`,
    `  plan       ${v.plannedSteps.map((s) => `${channelName(s.channel)}${s.route ? `(${s.route})` : ""} ${s.timeoutSeconds}s`).join(" → ") || "-"}`,
  ];
  if (v.attempts.length === 0) return [...head, "  attempts   none yet"].join("\n");
  const rows = v.attempts.map((a) => [
    String(a.attempt),
    channelName(a.channel),
    a.route || "-",
    short(deliveryStatusToJSON(a.status), "DELIVERY_STATUS_"),
    time(a.requestedAt),
    since(a.requestedAt, a.deliveredAt) || "-",
    a.failureReason || "",
  ]);
  return [
    ...head,
    "",
    table(["#", "channel", "route", "status", "requested", "delivered", "reason"], rows),
  ].join("\n");
}

export function formatExplanation(e: ExplainRouteResponse): string {
  if (e.decisions.length === 0) return "route decisions: none recorded";
  const rows = e.decisions.map((d) => [
    time(d.at),
    String(d.attempt),
    channelName(d.channel),
    d.route || "-",
    d.rule,
    d.reason,
  ]);
  return ["route decisions:", table(["at", "#", "channel", "route", "rule", "reason"], rows)].join("\n");
}

export function formatHealth(channels: ChannelHealth[], recommended: Channel, incidents: Incident[]): string {
  const rows = channels.map((h) => [
    h.district || "*",
    channelName(h.channel),
    h.route || "-",
    short(healthStateToJSON(h.state), "HEALTH_STATE_"),
    `${(h.deliveryRate * 100).toFixed(0)}%`,
    `${(h.conversionRate * 100).toFixed(0)}%`,
    `${h.p50DeliveryMs}/${h.p95DeliveryMs}`,
    String(h.sampleSize),
  ]);
  const parts = [
    rows.length === 0
      ? "no health samples yet"
      : table(
          ["district", "channel", "route", "state", "delivered", "verified", "p50/p95 ms", "samples"],
          rows,
        ),
    `recommended channel: ${channelName(recommended)}`,
  ];
  if (incidents.length > 0) parts.push("", formatIncidents(incidents));
  return parts.join("\n");
}

export function formatIncidents(incidents: Incident[]): string {
  if (incidents.length === 0) return "no incidents";
  const rows = incidents.map((i) => [
    i.incidentId,
    i.district,
    i.channels.map(channelName).join(",") || "all",
    time(i.declaredAt),
    time(i.until),
    i.resolvedAt ? `resolved ${time(i.resolvedAt)}` : i.automatic ? "automatic" : "active",
    i.declaredBy || "-",
  ]);
  return table(["incident", "district", "channels", "declared", "until", "state", "by"], rows);
}

export function formatInbox(messages: HandsetMessage[]): string {
  if (messages.length === 0) return "nothing received yet";
  return table(
    ["at", "channel", "phone", "from", "message"],
    messages.map((m) => [m.at, m.channel, m.phone, m.from, m.text]),
  );
}

export function formatError(s: DecodedStatus, codeName: string): string {
  const lines = [`error: ${codeName} ${s.message}`];
  if (s.reason)
    lines.push(
      `  reason      ${s.reason}${s.retryable === undefined ? "" : s.retryable ? " (retryable)" : ""}`,
    );
  if (s.retryAfterMs !== undefined) lines.push(`  retry after ${(s.retryAfterMs / 1000).toFixed(1)} s`);
  for (const v of s.violations) lines.push(`  ${v.field}: ${v.description}`);
  return lines.join("\n");
}
