/**
 * Turns a text into the short_message octets of one or more submit_sm PDUs: GSM 7-bit
 * (data_coding 0) when every character is in the GSM alphabet, else UCS-2 (data_coding 8),
 * split into concatenated parts with a user data header (IEI 0x00, 8-bit reference) when it
 * does not fit one SMS. Parts never split a GSM escape pair or a UTF-16 surrogate pair.
 */
import { encodeGsm7, decodeGsm7, gsm7Septets } from "./gsm7";

export type SmsEncoding = "gsm7" | "ucs2";

const DATA_CODING: Readonly<Record<SmsEncoding, number>> = { gsm7: 0x00, ucs2: 0x08 };
const ESM_CLASS_UDHI = 0x40;
const IEI_CONCAT_8BIT = 0x00;
const IEI_CONCAT_16BIT = 0x08;
const CONCAT_UDH_LENGTH = 6;

/** Capacity in octets of the (unpacked) user data: single SMS vs. one concatenated part. */
const CAPACITY: Readonly<Record<SmsEncoding, { single: number; part: number }>> = {
  gsm7: { single: 160, part: 153 },
  ucs2: { single: 140, part: 134 },
};

export interface EncodedSms {
  encoding: SmsEncoding;
  dataCoding: number;
  /** 0x40 (UDH indicator) when concatenated, else 0. */
  esmClass: number;
  /** short_message of each submit_sm, UDH included. */
  parts: Buffer[];
}

export interface EncodeOptions {
  /** Concatenation reference (0–255), shared by every part of this message. */
  reference: number;
  maxParts?: number;
}

export function chooseEncoding(text: string): SmsEncoding {
  for (const char of text) if (gsm7Septets(char) === undefined) return "ucs2";
  return "gsm7";
}

export function encodeSms(text: string, options: EncodeOptions): EncodedSms {
  const encoding = chooseEncoding(text);
  const units = [...text].map((char) => encodeUnit(char, encoding));
  const total = units.reduce((sum, unit) => sum + unit.length, 0);
  const capacity = CAPACITY[encoding];
  const base = { encoding, dataCoding: DATA_CODING[encoding] };
  if (total <= capacity.single) return { ...base, esmClass: 0, parts: [Buffer.concat(units)] };

  const bodies = packUnits(units, capacity.part);
  const maxParts = Math.min(options.maxParts ?? 255, 255);
  if (bodies.length > maxParts) throw new RangeError(`text needs ${bodies.length} parts (max ${maxParts})`);
  const reference = options.reference & 0xff;
  const parts = bodies.map((body, index) =>
    Buffer.concat([concatUdh(reference, bodies.length, index + 1), body]),
  );
  return { ...base, esmClass: ESM_CLASS_UDHI, parts };
}

function encodeUnit(char: string, encoding: SmsEncoding): Buffer {
  return encoding === "gsm7" ? encodeGsm7(char) : encodeUcs2(char);
}

function packUnits(units: Buffer[], capacity: number): Buffer[] {
  const bodies: Buffer[] = [];
  let current: Buffer[] = [];
  let size = 0;
  for (const unit of units) {
    if (size + unit.length > capacity) {
      bodies.push(Buffer.concat(current));
      current = [];
      size = 0;
    }
    current.push(unit);
    size += unit.length;
  }
  if (current.length > 0) bodies.push(Buffer.concat(current));
  return bodies;
}

function concatUdh(reference: number, total: number, sequence: number): Buffer {
  return Buffer.from([CONCAT_UDH_LENGTH - 1, IEI_CONCAT_8BIT, 3, reference, total, sequence]);
}

function encodeUcs2(text: string): Buffer {
  return Buffer.from(text, "utf16le").swap16();
}

function decodeUcs2(bytes: Uint8Array): string {
  const even = Buffer.from(bytes.subarray(0, bytes.length - (bytes.length % 2)));
  return even.swap16().toString("utf16le");
}

/** Decodes a user data body (UDH removed) for the data codings this gateway sends. */
export function decodeSmsBody(body: Uint8Array, dataCoding: number): string {
  if ((dataCoding & 0x0f) === DATA_CODING.ucs2) return decodeUcs2(body);
  return decodeGsm7(body);
}

export interface ConcatInfo {
  reference: number;
  total: number;
  sequence: number;
}

/** Reads the concatenation element from UDH information elements ([iei, len, ...data]). */
export function concatInfo(elements: readonly Uint8Array[]): ConcatInfo | undefined {
  for (const element of elements) {
    const [iei, length] = element;
    if (iei === IEI_CONCAT_8BIT && length === 3 && element.length >= 5) {
      return { reference: element[2] ?? 0, total: element[3] ?? 0, sequence: element[4] ?? 0 };
    }
    if (iei === IEI_CONCAT_16BIT && length === 4 && element.length >= 6) {
      const reference = ((element[2] ?? 0) << 8) | (element[3] ?? 0);
      return { reference, total: element[4] ?? 0, sequence: element[5] ?? 0 };
    }
  }
  return undefined;
}

/** Splits a short_message with UDH into its information elements and body. */
export function splitUdh(shortMessage: Uint8Array): { elements: Uint8Array[]; body: Uint8Array } {
  const headerLength = shortMessage[0] ?? 0;
  const elements: Uint8Array[] = [];
  let cursor = 1;
  while (cursor + 1 < headerLength + 1) {
    const length = shortMessage[cursor + 1] ?? 0;
    elements.push(shortMessage.subarray(cursor, cursor + 2 + length));
    cursor += 2 + length;
  }
  return { elements, body: shortMessage.subarray(headerLength + 1) };
}
