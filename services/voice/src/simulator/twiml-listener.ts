/**
 * Plays a TwiML document to a simulated listener and writes down what they hear: <Say> text
 * (with its language, voice and loop), <Pause>, <Gather> (a person presses the key when asked;
 * voicemail presses nothing), <Hangup>. A key press fetches the next document from the Gather's
 * action, as Twilio does. Only the verbs an OTP call uses; others are skipped.
 */

export interface TwimlNode {
  name: string;
  attributes: Record<string, string>;
  children: TwimlNode[];
  text: string;
}

export class TwimlParseError extends Error {}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
const decode = (text: string): string =>
  text.replace(/&(amp|lt|gt|quot|apos|#\d+);/g, (_, entity: string) =>
    entity.startsWith("#") ? String.fromCodePoint(Number(entity.slice(1))) : (ENTITIES[entity] ?? ""),
  );

/** A small XML reader for TwiML: elements, attributes in double quotes, text. */
export function parseTwiml(xml: string): TwimlNode {
  const source = xml.replace(/<\?xml[^>]*\?>/, "").replace(/<!--[\s\S]*?-->/g, "");
  const root: TwimlNode = { name: "#document", attributes: {}, children: [], text: "" };
  const stack: TwimlNode[] = [root];
  const token = /<(\/?)([A-Za-z]+)((?:\s+[A-Za-z:_-]+\s*=\s*"[^"]*")*)\s*(\/?)>|([^<]+)|(<)/g;
  for (const match of source.matchAll(token)) {
    const [, closing, name, attributes, selfClosing, text, stray] = match;
    const parent = stack.at(-1);
    if (parent === undefined || stray !== undefined) throw new TwimlParseError("malformed TwiML");
    if (text !== undefined) {
      parent.text += decode(text);
    } else if (closing) {
      if (parent.name !== name || stack.length === 1) throw new TwimlParseError(`unexpected </${name}>`);
      stack.pop();
    } else {
      const node: TwimlNode = {
        name: name ?? "",
        attributes: readAttributes(attributes ?? ""),
        children: [],
        text: "",
      };
      parent.children.push(node);
      if (!selfClosing) stack.push(node);
    }
  }
  const response = root.children[0];
  if (stack.length !== 1 || root.children.length !== 1 || response?.name !== "Response") {
    throw new TwimlParseError("TwiML must be one <Response> element");
  }
  return response;
}

function readAttributes(source: string): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const [, key, value] of source.matchAll(/([A-Za-z:_-]+)\s*=\s*"([^"]*)"/g)) {
    if (key !== undefined) attributes[key] = decode(value ?? "");
  }
  return attributes;
}

export interface Utterance {
  text: string;
  language: string;
  voice: string;
}

export interface Hearing {
  utterances: Utterance[];
  pauses: number;
  /** Digits pressed on a Gather, if any. */
  pressed: string | undefined;
}

export interface Listener {
  /** What the listener presses when a Gather asks; undefined: nothing (voicemail). */
  pressKey: string | undefined;
  /** Fetches the TwiML a Gather action answers with the digits. */
  followGather(actionUrl: string, digits: string): Promise<string>;
}

/** Plays `twiml` to the listener; resolves with what was heard. */
export async function listen(
  twiml: string,
  listener: Listener,
  hearing?: Hearing,
  depth = 0,
): Promise<Hearing> {
  const heard = hearing ?? { utterances: [], pauses: 0, pressed: undefined };
  if (depth > 5) return heard;
  for (const verb of parseTwiml(twiml).children) {
    if (verb.name === "Hangup") return heard;
    if (verb.name !== "Gather") {
      play(verb, heard);
      continue;
    }
    for (const inner of verb.children) play(inner, heard);
    const action = verb.attributes.action;
    if (listener.pressKey !== undefined && action !== undefined) {
      heard.pressed = listener.pressKey;
      // After a key press Twilio leaves this document for the action's answer.
      return listen(await listener.followGather(action, listener.pressKey), listener, heard, depth + 1);
    }
  }
  return heard;
}

function play(verb: TwimlNode, heard: Hearing): void {
  if (verb.name === "Pause") heard.pauses += 1;
  if (verb.name !== "Say") return;
  const loop = Number(verb.attributes.loop ?? 1);
  const times = loop === 0 ? 10 : Math.min(10, Math.max(1, loop));
  const utterance = {
    text: verb.text.trim(),
    language: verb.attributes.language ?? "en-US",
    voice: verb.attributes.voice ?? "man",
  };
  for (let i = 0; i < times; i++) heard.utterances.push({ ...utterance });
}
