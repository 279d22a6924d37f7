/**
 * Twilio signs its webhooks: X-Twilio-Signature = base64(HMAC-SHA1(auth token, full URL +
 * each POST parameter name and value, sorted by name, concatenated)). Checked in constant time.
 * www.twilio.com/docs/usage/security#validating-requests
 */
import { createHmac, timingSafeEqual } from "node:crypto";

export function twilioSignature(authToken: string, url: string, params: URLSearchParams): string {
  const sorted = [...params.entries()].sort(([a, av], [b, bv]) => (a === b ? cmp(av, bv) : cmp(a, b)));
  const data = url + sorted.map(([key, value]) => key + value).join("");
  return createHmac("sha1", authToken).update(data, "utf8").digest("base64");
}

export function verifyTwilioSignature(
  authToken: string,
  url: string,
  params: URLSearchParams,
  header: string | undefined,
): boolean {
  if (header === undefined || header === "") return false;
  const expected = Buffer.from(twilioSignature(authToken, url, params));
  const given = Buffer.from(header);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
