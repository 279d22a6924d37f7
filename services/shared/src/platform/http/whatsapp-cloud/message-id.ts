/**
 * The id (wamid) the Cloud API gives a message it accepted: `POST /{version}/{phone-number-id}/messages`
 * answers `{ messages: [{ id }] }`. Its status webhooks name the message by this id.
 */

/** The wamid from `{ messages: [{ id }] }`. */
export function parseMessageId(body: unknown): string | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const messages = (body as { messages?: unknown }).messages;
  if (!Array.isArray(messages)) return undefined;
  const id = (messages[0] as { id?: unknown } | undefined)?.id;
  return typeof id === "string" && id !== "" ? id : undefined;
}
