/**
 * What happens to an accepted message in the simulator: status webhooks after the scenario's
 * delays, in order (sent → delivered → read, or failed with a code), and the message landing in
 * the handset's inbox when it is delivered. A free-form text reaches the handset only inside the
 * user's customer service window (see service-windows.ts).
 */
import { authenticationText, type Inbox, type InboxMessage } from "./inbox";
import { isNotOnWhatsApp, pickOutcome, profileFor, activeOutage, type Scenario } from "./scenario";
import type { SessionSend, TemplateSend } from "./send-request";
import { statusWebhook, type StatusNotice, type WebhookPoster } from "./webhook-poster";

const ERROR_TITLES: Record<number, string> = {
  131026: "Message undeliverable",
  131047: "Re-engagement message",
  131000: "Something went wrong",
  130429: "Rate limit hit",
  131056: "(Business Account, Consumer Account) pair rate limit hit",
  131049: "This message was not delivered to maintain healthy ecosystem engagement.",
};

export interface LifecycleDeps {
  scenario: () => Scenario;
  random: () => number;
  now: () => number;
  inbox: Inbox;
  poster: () => WebhookPoster | undefined;
  wabaId: string;
  /** Timers are tracked so that close() can cancel what is pending. */
  later: (ms: number, run: () => Promise<void>) => void;
  onPosted: (ok: boolean) => void;
  /** Whether the user wrote to this business number within the last 24 hours. */
  windowOpen: (phoneNumberId: string, user: string) => boolean;
}

type Step = { delayMs: number; notice: Omit<StatusNotice, "timestamp">; deliver?: boolean };

export function startLifecycle(
  deps: LifecycleDeps,
  phoneNumberId: string,
  messageId: string,
  send: TemplateSend | SessionSend,
): void {
  const steps = plan(deps, phoneNumberId, messageId, send);
  const statuses: string[] = [];
  const next = (i: number): void => {
    const step = steps[i];
    if (step === undefined) return;
    deps.later(step.delayMs, async () => {
      statuses.push(step.notice.status);
      if (step.deliver) deps.inbox.add(inboxEntry(phoneNumberId, messageId, send, statuses, deps.now()));
      const poster = deps.poster();
      if (poster)
        deps.onPosted(
          await poster.post(statusWebhook(deps.wabaId, { ...step.notice, timestamp: new Date(deps.now()) })),
        );
      next(i + 1);
    });
  };
  next(0);
}

function plan(
  deps: LifecycleDeps,
  phoneNumberId: string,
  messageId: string,
  send: TemplateSend | SessionSend,
): Step[] {
  const scenario = deps.scenario();
  const profile = profileFor(scenario, send.to);
  const base = { phoneNumberId, messageId, recipientId: send.to };
  const failed = (code: number): Step[] => [
    {
      delayMs: profile.sentDelayMs,
      notice: { ...base, status: "failed", error: { code, title: ERROR_TITLES[code] ?? "Error" } },
    },
  ];
  const inWindow = send.kind === "session" && send.type === "text" && deps.windowOpen(phoneNumberId, send.to);
  if (send.kind === "session" && !inWindow) return failed(131047);
  if (isNotOnWhatsApp(scenario, send.to)) return failed(131026);
  const sent: Step = { delayMs: profile.sentDelayMs, notice: { ...base, status: "sent" } };
  if (activeOutage(scenario, send.to, phoneNumberId, deps.now())?.effect === "no-delivery") return [sent];
  const delivered: Step = {
    delayMs: profile.deliveredDelayMs,
    notice: { ...base, status: "delivered" },
    deliver: true,
  };
  const read: Step = { delayMs: profile.readDelayMs, notice: { ...base, status: "read" } };
  // The user has just written to us: a reply in the window reaches them.
  if (inWindow) return [sent, delivered, read];
  switch (pickOutcome(profile.outcomeMix, deps.random())) {
    case "failed":
      return failed(profile.failedCode);
    case "sent":
      return [sent];
    case "delivered":
      return [sent, delivered];
    case "read":
      return [sent, delivered, read];
  }
}

function inboxEntry(
  phoneNumberId: string,
  messageId: string,
  send: TemplateSend | SessionSend,
  statuses: string[],
  now: number,
): InboxMessage {
  if (send.kind === "session") {
    return {
      phone: send.to,
      phoneNumberId,
      messageId,
      kind: "text",
      templateName: "",
      language: "",
      text: send.text ?? "",
      ttlSeconds: undefined,
      deliveredAt: new Date(now).toISOString(),
      statuses,
    };
  }
  return {
    phone: send.to,
    phoneNumberId,
    messageId,
    kind: "authentication",
    templateName: send.templateName,
    language: send.language,
    text: authenticationText(send.code),
    button: { type: "copy_code" as const, label: "Copy code", copies: send.code },
    ttlSeconds: send.ttlSeconds,
    deliveredAt: new Date(now).toISOString(),
    statuses,
  };
}
