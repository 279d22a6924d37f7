/**
 * A part sent, as message-map.ts stores it: a positional record (`[1, …]`,
 * platform/store/positional-record.ts); every pending verification holds one per part until its
 * code expires. A record written before as a JSON object is still read.
 */
import { compactId, fullId } from "@platform/events/compact-id";
import { positionalFields } from "@platform/store/positional-record";
import type { SentPart } from "./attempt-ref";

const FORMAT = 1;

type StoredPart = [
  format: number,
  verificationId: string,
  attempt: number,
  tenant: string,
  district: string,
  operator: string,
  route: string,
  causationId: string,
  expiresAtMs: number,
  account: string,
  bind: string,
  messageId: string,
  partIndex: number,
  partCount: number,
  submittedAtMs: number,
];

export function encodeSentPart(p: SentPart): string {
  const stored: StoredPart = [
    FORMAT,
    p.verificationId,
    p.attempt,
    p.tenant,
    p.district,
    p.operator,
    p.route,
    compactId(p.causationId),
    p.expiresAtMs,
    p.account,
    p.bind,
    p.messageId,
    p.partIndex,
    p.partCount,
    p.submittedAtMs,
  ];
  return JSON.stringify(stored);
}

export function decodeSentPart(raw: string): SentPart {
  const fields = positionalFields(raw, FORMAT, "sent part");
  if (!fields) return JSON.parse(raw) as SentPart;
  const f = fields as StoredPart;
  return {
    verificationId: f[1],
    attempt: f[2],
    tenant: f[3],
    district: f[4],
    operator: f[5],
    route: f[6],
    causationId: fullId(f[7]),
    expiresAtMs: f[8],
    account: f[9],
    bind: f[10],
    messageId: f[11],
    partIndex: f[12],
    partCount: f[13],
    submittedAtMs: f[14],
  };
}
