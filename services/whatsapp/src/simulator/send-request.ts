/**
 * Checks a POST /{phone-number-id}/messages body the way the Cloud API does for authentication
 * templates, answering with Graph API errors: 100 invalid parameter, 132000 parameter count
 * mismatch, 132001 unknown template, 131009 invalid parameter value.
 */

export interface TemplateSend {
  kind: "template";
  to: string;
  templateName: string;
  language: string;
  code: string;
  ttlSeconds: number | undefined;
}

/**
 * Anything but a template (a free-form reply): accepted, then delivered when the user wrote to
 * the business within the last 24 hours (the customer service window), else failed 131047.
 */
export interface SessionSend {
  kind: "session";
  to: string;
  type: string;
  /** The body of a `text` message. */
  text?: string;
}

export interface GraphErrorAnswer {
  httpStatus: number;
  code: number;
  message: string;
  details?: string;
}

export type SendCheck =
  { ok: true; send: TemplateSend | SessionSend } | { ok: false; error: GraphErrorAnswer };

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

const invalidParameter = (details: string): SendCheck => ({
  ok: false,
  error: { httpStatus: 400, code: 100, message: "(#100) Invalid parameter", details },
});

export function checkSendRequest(body: unknown, approvedTemplates: readonly string[] | undefined): SendCheck {
  if (!isObject(body)) return invalidParameter("Request body must be a JSON object");
  if (body.messaging_product !== "whatsapp") {
    return invalidParameter("The parameter messaging_product is required and must be whatsapp");
  }
  if (typeof body.to !== "string" || !/^\+?\d{7,15}$/.test(body.to)) {
    return invalidParameter("The parameter to must be a phone number");
  }
  const to = body.to.replace(/^\+/, "");
  if (body.type === "text") return textSend(body, to);
  if (body.type !== "template") return { ok: true, send: { kind: "session", to, type: String(body.type) } };
  const template = body.template;
  if (!isObject(template) || typeof template.name !== "string" || template.name === "") {
    return invalidParameter("The parameter template.name is required");
  }
  if (!isObject(template.language) || typeof template.language.code !== "string") {
    return invalidParameter("The parameter template.language.code is required");
  }
  if (approvedTemplates !== undefined && !approvedTemplates.includes(template.name)) {
    return {
      ok: false,
      error: {
        httpStatus: 404,
        code: 132001,
        message: "(#132001) Template name does not exist in the translation",
        details: `template name (${template.name}) does not exist in ${template.language.code}`,
      },
    };
  }
  const code = authCode(template.components);
  if (typeof code !== "string") return { ok: false, error: code };
  const ttl = body.ttl_seconds;
  if (ttl !== undefined && (typeof ttl !== "number" || !Number.isInteger(ttl) || ttl < 30 || ttl > 900)) {
    return invalidParameter("ttl_seconds must be an integer from 30 to 900 for authentication messages");
  }
  return {
    ok: true,
    send: {
      kind: "template",
      to,
      templateName: template.name,
      language: template.language.code,
      code,
      ttlSeconds: ttl,
    },
  };
}

/** `text.body`: 1 to 4096 characters, as the Cloud API allows. */
function textSend(body: Json, to: string): SendCheck {
  const text = isObject(body.text) ? body.text.body : undefined;
  if (typeof text !== "string" || text.length === 0 || text.length > 4096) {
    return invalidParameter("The parameter text.body is required (1 to 4096 characters)");
  }
  return { ok: true, send: { kind: "session", to, type: "text", text } };
}

/** The code from the body and copy-code button parameters, or the error to answer. */
function authCode(components: unknown): string | GraphErrorAnswer {
  const mismatch: GraphErrorAnswer = {
    httpStatus: 400,
    code: 132000,
    message: "(#132000) Number of parameters does not match the expected number of params",
    details: "authentication templates take one body parameter and one url button parameter (index 0)",
  };
  if (!Array.isArray(components) || components.length !== 2) return mismatch;
  const body = components.find((c) => isObject(c) && c.type === "body") as Json | undefined;
  const button = components.find((c) => isObject(c) && c.type === "button") as Json | undefined;
  const bodyText = singleText(body?.parameters);
  const buttonText = singleText(button?.parameters);
  if (bodyText === undefined || buttonText === undefined) return mismatch;
  if (button?.sub_type !== "url" || String(button.index) !== "0") return mismatch;
  if (bodyText !== buttonText || bodyText.length === 0 || bodyText.length > 15) {
    return {
      httpStatus: 400,
      code: 131009,
      message: "(#131009) Parameter value is not valid",
      details: "the code must be the same in body and button, 1 to 15 characters",
    };
  }
  return bodyText;
}

function singleText(parameters: unknown): string | undefined {
  if (!Array.isArray(parameters) || parameters.length !== 1) return undefined;
  const p: unknown = parameters[0];
  return isObject(p) && p.type === "text" && typeof p.text === "string" ? p.text : undefined;
}
