/**
 * The support assistant: a WhatsApp message in, a reply out. Per message: skip it if it was
 * handled already (delivery is at least once), apply the sender's rate limit, understand the
 * text, load what the turn needs (the sender's own verification, their district's channel
 * health), decide, resend if decided, hand off to an agent (or forward the turn to the agent who
 * has the conversation) if decided, reply, remember, and only then mark it handled: a turn cut
 * short runs again. The caller feeds one sender's messages one after another (the inbound
 * topic's consumer group, keyed by sender); an error is left to it to retry.
 *
 * Logs carry the masked phone, the intent and the language, never the text.
 */
import { newConversation, transcriptOf, withTurn, type Conversation } from "./core/conversation";
import { contextNeeded, decideTurn, describeResend, type TurnDecision } from "./core/decide";
import { PHRASES } from "./core/replies";
import { containsCodeLike, mentionsOtherNumber, redact } from "./core/safety";
import { understandOffline } from "./core/understand";
import type {
  DistrictStatus,
  IncidentSnapshot,
  Language,
  ResendOutcome,
  Understanding,
  VerificationSnapshot,
} from "./core/types";
import { isOtpError } from "@domain/errors";
import type { Logger } from "@platform/log";
import { maskPhone } from "@domain/privacy";
import type {
  ChannelStatusPort,
  ConversationStore,
  HandoffPublisher,
  LanguageModelPort,
  ReplySender,
  SenderLimits,
  VerificationDesk,
} from "./ports";

/** One user message, as the webhook delivered it. */
export interface IncomingText {
  id: string;
  /** Digits, as WhatsApp gives the sender (no "+"). */
  from: string;
  phoneNumberId: string;
  text: string;
}

export interface AssistantDeps {
  /** The tenant a business phone number serves (by configuration); unknown numbers are ignored. */
  tenantFor: (phoneNumberId: string) => string | undefined;
  /** Keyed hash of the sender's phone, for store keys. */
  senderKey: (e164: string) => string;
  /** The id of a hand-off raised by a message (the same when the message is handled again). */
  handoffIdFor: (messageId: string) => string;
  desk: VerificationDesk;
  status: ChannelStatusPort;
  model: LanguageModelPort;
  replies: ReplySender;
  handoffs: HandoffPublisher;
  conversations: ConversationStore;
  limits: SenderLimits;
  logger: Logger;
  now: () => number;
}

export interface Assistant {
  /** Handles one message, unless it was handled before; rejects when it should be retried. */
  handle(message: IncomingText): Promise<void>;
}

interface Sender {
  e164: string;
  key: string;
  masked: string;
  tenant: string;
}

export function createAssistant(deps: AssistantDeps): Assistant {
  return {
    async handle(message) {
      if (await deps.limits.handled(message.id)) {
        deps.logger.info("assistant message handled before; skipped", {
          phone: maskPhone(`+${message.from}`),
        });
        return;
      }
      await handleOnce(deps, message);
      await deps.limits.markHandled(message.id);
    },
  };
}

async function understand(
  deps: AssistantDeps,
  text: string,
  conversation: Conversation,
): Promise<Understanding> {
  const context = conversation.language ? { previousLanguage: conversation.language } : {};
  try {
    return await deps.model.understand(text, context);
  } catch (err) {
    // Only the kind of failure: a provider's error may quote the text it was given.
    deps.logger.warn("language model failed; offline classifier used", {
      model: deps.model.name,
      failure: isOtpError(err) ? err.code : err instanceof Error ? err.name : typeof err,
    });
    return understandOffline(text, conversation.language);
  }
}

async function districtOf(
  deps: AssistantDeps,
  v: VerificationSnapshot | undefined,
): Promise<DistrictStatus | undefined> {
  if (!v?.district) return undefined;
  return deps.status.district(v.district).catch((err: unknown) => {
    deps.logger.warn("channel health unavailable", { err });
    return undefined;
  });
}

async function turn(deps: AssistantDeps, sender: Sender, message: IncomingText): Promise<void> {
  const conversation = await deps.conversations.load(sender.key).catch(() => newConversation());
  const signals = {
    codeLike: containsCodeLike(message.text),
    otherNumber: mentionsOtherNumber(message.text, sender.e164),
  };
  const understanding = await understand(
    deps,
    redact(message.text, { code: " ", number: " " }),
    conversation,
  );
  const language = understanding.language;
  const needs = contextNeeded(understanding.intent, signals);
  const [verification, offersLeft] = needs.verification
    ? await Promise.all([
        deps.desk.findActive(sender.tenant, sender.e164),
        deps.limits.offersLeft(sender.key),
      ])
    : [undefined, true];
  const district = await districtOf(deps, verification);
  const incidents: IncidentSnapshot[] | undefined =
    understanding.intent === "incident" && !verification ? await deps.status.incidents() : undefined;
  const at = deps.now();
  const heard = withTurn(conversation, { role: "user", text: redact(message.text), at });
  const decision = decideTurn({
    now: at,
    language,
    understanding,
    signals,
    conversation: heard,
    ...(verification ? { verification } : {}),
    ...(district ? { district } : {}),
    ...(incidents ? { incidents } : {}),
    offersLeft,
    handoffId: deps.handoffIdFor(message.id),
  });
  if (decision.spendsOffer) await deps.limits.spendOffer(sender.key);
  const { replies, conversation: after, outcome } = await carryOut(deps, sender, decision, language);
  await respond(deps, sender, message, { decision, replies, conversation: after, language });
  deps.logger.info("assistant turn", {
    phone: sender.masked,
    tenant: sender.tenant,
    language,
    intent: understanding.intent,
    codeLike: signals.codeLike,
    resend: outcome?.kind,
    handoff: decision.handoff,
  });
}

/**
 * Hands off (a new hand-off carries the conversation so far, a follow-up only this turn's
 * lines), replies (a follow-up may have nothing to say), and remembers.
 */
async function respond(
  deps: AssistantDeps,
  sender: Sender,
  message: IncomingText,
  turn: { decision: TurnDecision; replies: string[]; conversation: Conversation; language: Language },
): Promise<void> {
  const { replies, language } = turn;
  const said = replies.length > 0;
  const final = said
    ? withTurn(turn.conversation, { role: "assistant", text: replies.join(" "), at: deps.now() })
    : turn.conversation;
  const reason = turn.decision.handoff;
  if (reason !== undefined && final.handoff !== undefined) {
    const transcript = transcriptOf(final);
    await deps.handoffs.publish({
      id: final.handoff.id,
      tenant: sender.tenant,
      phone: sender.e164,
      language,
      reason,
      transcript: reason === "follow_up" ? transcript.slice(said ? -2 : -1) : transcript,
    });
  }
  if (said) await deps.replies.sendText(message.phoneNumberId, message.from, replies.join("\n\n"));
  await deps.conversations.save(sender.key, final);
}

async function carryOut(
  deps: AssistantDeps,
  sender: Sender,
  decision: TurnDecision,
  language: Language,
): Promise<{ replies: string[]; conversation: Conversation; outcome?: ResendOutcome }> {
  if (!decision.resend) return { replies: decision.replies, conversation: decision.conversation };
  const { verificationId, channel } = decision.resend;
  const outcome = await deps.desk.resend(sender.tenant, sender.e164, verificationId, channel);
  const told = describeResend(language, outcome, decision.resend, decision.conversation, deps.now());
  return { replies: [...decision.replies, ...told.replies], conversation: told.conversation, outcome };
}

async function handleOnce(deps: AssistantDeps, message: IncomingText): Promise<void> {
  const tenant = deps.tenantFor(message.phoneNumberId);
  if (tenant === undefined) {
    deps.logger.warn("message to a business number with no tenant", { phoneNumberId: message.phoneNumberId });
    return;
  }
  const e164 = `+${message.from.replace(/\D/g, "")}`;
  const sender: Sender = { e164, key: deps.senderKey(e164), masked: maskPhone(e164), tenant };
  const admitted = await deps.limits.admitMessage(sender.key);
  if (!admitted.allowed) {
    deps.logger.info("assistant sender over its message limit", {
      phone: sender.masked,
      notice: admitted.noticeDue,
    });
    if (!admitted.noticeDue) return;
    const conversation = await deps.conversations.load(sender.key).catch(() => newConversation());
    const text = PHRASES[conversation.language ?? "en"].rateLimited;
    await deps.replies.sendText(message.phoneNumberId, message.from, text);
    return;
  }
  await turn(deps, sender, message);
}
