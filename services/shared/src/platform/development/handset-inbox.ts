/**
 * What the development platform's handset inbox serves (`GET /inbox?phone=…`, JSON
 * `{ messages: HandsetMessage[] }`): what each simulated phone received, newest first. The
 * all-in-one serves it (services/all-in-one/src/inbox-server.ts), the CLI reads it.
 */
export interface HandsetMessage {
  channel: "sms" | "whatsapp" | "voice" | "silent";
  phone: string;
  from: string;
  text: string;
  at: string;
  /** The provider's ids of what arrived (SMS message ids, WhatsApp message id, call SID). */
  providerIds: string[];
}
