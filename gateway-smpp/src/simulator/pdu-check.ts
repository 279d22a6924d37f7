/**
 * SMPP 3.4 checks of a PDU body as an SMSC makes them, on the raw octets (the `smpp` package
 * parses leniently: an unterminated C-string runs to the end of the body, a short body leaves
 * fields unset). Each check returns the command_status an SMSC answers, 0 when the PDU is
 * well formed. Pure: no I/O.
 *
 * Statuses (SMPP 3.4 §5.1.3 and the field tables of §4): C-octet strings must end with a NUL
 * within their maximum size — service_type 0x15, source_addr 0x0A, destination_addr 0x0B (also
 * when empty), schedule_delivery_time 0x61, validity_period 0x62 (empty or 16 characters,
 * YYMMDDhhmmsstnnp); TON 0..6 and NPI 0,1,3,4,6,8,9,10,14,18 (0x48/0x49 source, 0x50/0x51
 * destination); esm_class message type 0, 2 or 4 (0x43); priority_flag 0..3 (0x06);
 * registered_delivery reserved bits (0x07); replace_if_present_flag 0/1 (0x54); data_coding one
 * of 3.4's values (0x104 ESME_RINVDCS, as SMPP 5.0 names it: 3.4 has no status of its own);
 * sm_length ≤ 254 and within the body, a UDH within short_message (0x01); TLVs whole (0xC0),
 * of the size their tag needs (0xC2), with values in range (0xC4); short_message and
 * message_payload both present: 0xC1 (message_payload not allowed beside a short_message,
 * §5.3.2.32).
 */

const CHECK_STATUS = {
  OK: 0x00,
  INVALID_MESSAGE_LENGTH: 0x01,
  INVALID_COMMAND_LENGTH: 0x02,
  INVALID_PRIORITY_FLAG: 0x06,
  INVALID_REGISTERED_DELIVERY: 0x07,
  INVALID_SOURCE_ADDRESS: 0x0a,
  INVALID_DESTINATION_ADDRESS: 0x0b,
  BIND_FAILED: 0x0d,
  INVALID_PASSWORD: 0x0e,
  INVALID_SYSTEM_ID: 0x0f,
  INVALID_SERVICE_TYPE: 0x15,
  INVALID_ESM_CLASS: 0x43,
  INVALID_SOURCE_TON: 0x48,
  INVALID_SOURCE_NPI: 0x49,
  INVALID_DESTINATION_TON: 0x50,
  INVALID_DESTINATION_NPI: 0x51,
  INVALID_SYSTEM_TYPE: 0x53,
  INVALID_REPLACE_FLAG: 0x54,
  INVALID_SCHEDULED_TIME: 0x61,
  INVALID_VALIDITY_PERIOD: 0x62,
  INVALID_TLV_STREAM: 0xc0,
  TLV_NOT_ALLOWED: 0xc1,
  INVALID_TLV_LENGTH: 0xc2,
  INVALID_TLV_VALUE: 0xc4,
  INVALID_DATA_CODING: 0x104,
} as const;

const S = CHECK_STATUS;
const KNOWN_NPI = new Set([0, 1, 3, 4, 6, 8, 9, 10, 14, 18]);
const MESSAGE_PAYLOAD = 0x0424;
/** Fixed value sizes of the TLVs a submit_sm may carry (SMPP 3.4 §5.3.2). */
const TLV_SIZES: Readonly<Record<number, number>> = {
  0x0005: 1, // dest_addr_subunit
  0x0006: 1, // dest_network_type
  0x0007: 1, // dest_bearer_type
  0x0008: 2, // dest_telematics_id
  0x000d: 1, // source_addr_subunit
  0x000e: 1, // source_network_type
  0x000f: 1, // source_bearer_type
  0x0010: 1, // source_telematics_id
  0x0017: 4, // qos_time_to_live
  0x0019: 1, // payload_type
  0x0020: 1, // ms_msg_wait_facilities
  0x0030: 1, // privacy_indicator
  0x0204: 2, // user_message_reference
  0x0205: 1, // user_response_code
  0x020a: 2, // source_port
  0x020b: 2, // destination_port
  0x020c: 2, // sar_msg_ref_num
  0x020e: 1, // sar_total_segments
  0x020f: 1, // sar_segment_seqnum
  0x0302: 1, // more_messages_to_send
  0x030d: 1, // language_indicator
  0x0421: 1, // display_time
  0x0426: 1, // ms_validity
  0x1201: 1, // alert_on_message_delivery
  0x1380: 1, // its_reply_type
};

/** Reads a body field by field; `undefined` from a reader means the body ended too soon. */
class BodyReader {
  offset = 0;
  constructor(readonly body: Buffer) {}

  /** A C-octet string of at most `max` octets with its NUL; undefined if unterminated or longer. */
  cString(max: number): string | undefined {
    const end = this.body.indexOf(0, this.offset);
    if (end < 0 || end - this.offset + 1 > max) return undefined;
    const value = this.body.toString("latin1", this.offset, end);
    this.offset = end + 1;
    return value;
  }

  octet(): number | undefined {
    if (this.offset >= this.body.length) return undefined;
    return this.body[this.offset++];
  }

  octets(n: number): Buffer | undefined {
    if (this.offset + n > this.body.length) return undefined;
    const value = this.body.subarray(this.offset, this.offset + n);
    this.offset += n;
    return value;
  }

  get remaining(): number {
    return this.body.length - this.offset;
  }
}

/** A submit_sm body (the octets after the 16-octet header). */
export function checkSubmitSm(body: Buffer): number {
  const r = new BodyReader(body);
  if (r.cString(6) === undefined) return S.INVALID_SERVICE_TYPE;
  const source = checkAddress(r, S.INVALID_SOURCE_TON, S.INVALID_SOURCE_NPI, S.INVALID_SOURCE_ADDRESS, false);
  if (source !== S.OK) return source;
  const destination = checkAddress(
    r,
    S.INVALID_DESTINATION_TON,
    S.INVALID_DESTINATION_NPI,
    S.INVALID_DESTINATION_ADDRESS,
    true,
  );
  if (destination !== S.OK) return destination;
  const esmClass = r.octet();
  if (esmClass === undefined) return S.INVALID_COMMAND_LENGTH;
  if (![0, 2, 4].includes((esmClass >> 2) & 0x0f)) return S.INVALID_ESM_CLASS;
  if (r.octet() === undefined) return S.INVALID_COMMAND_LENGTH; // protocol_id
  const priority = r.octet();
  if (priority === undefined) return S.INVALID_COMMAND_LENGTH;
  if (priority > 3) return S.INVALID_PRIORITY_FLAG;
  const schedule = r.cString(17);
  if (schedule === undefined || !isSmppTime(schedule)) return S.INVALID_SCHEDULED_TIME;
  const validity = r.cString(17);
  if (validity === undefined || !isSmppTime(validity)) return S.INVALID_VALIDITY_PERIOD;
  const registered = r.octet();
  if (registered === undefined) return S.INVALID_COMMAND_LENGTH;
  if ((registered & 0x03) === 3 || (registered & 0xe0) !== 0) return S.INVALID_REGISTERED_DELIVERY;
  const replace = r.octet();
  if (replace === undefined) return S.INVALID_COMMAND_LENGTH;
  if (replace > 1) return S.INVALID_REPLACE_FLAG;
  const dataCoding = r.octet();
  if (dataCoding === undefined) return S.INVALID_COMMAND_LENGTH;
  if (!isKnownDataCoding(dataCoding)) return S.INVALID_DATA_CODING;
  if (r.octet() === undefined) return S.INVALID_COMMAND_LENGTH; // sm_default_msg_id
  const smLength = r.octet();
  if (smLength === undefined || smLength > 254) return S.INVALID_MESSAGE_LENGTH;
  const shortMessage = r.octets(smLength);
  if (shortMessage === undefined) return S.INVALID_MESSAGE_LENGTH;
  if ((esmClass & 0x40) !== 0 && !udhFits(shortMessage)) return S.INVALID_MESSAGE_LENGTH;
  return checkTlvs(r, smLength > 0);
}

function checkAddress(
  r: BodyReader,
  tonStatus: number,
  npiStatus: number,
  addressStatus: number,
  required: boolean,
): number {
  const ton = r.octet();
  if (ton === undefined || ton > 6) return tonStatus;
  const npi = r.octet();
  if (npi === undefined || !KNOWN_NPI.has(npi)) return npiStatus;
  const address = r.cString(21);
  if (address === undefined || (required && address === "")) return addressStatus;
  return S.OK;
}

function checkTlvs(r: BodyReader, hasShortMessage: boolean): number {
  const seen = new Map<number, Buffer>();
  while (r.remaining > 0) {
    const header = r.octets(4);
    if (header === undefined) return S.INVALID_TLV_STREAM;
    const tag = header.readUInt16BE(0);
    const length = header.readUInt16BE(2);
    const value = r.octets(length);
    if (value === undefined) return S.INVALID_TLV_LENGTH;
    const size = TLV_SIZES[tag];
    if (size !== undefined && size !== length) return S.INVALID_TLV_LENGTH;
    seen.set(tag, value);
  }
  if (hasShortMessage && seen.has(MESSAGE_PAYLOAD)) return S.TLV_NOT_ALLOWED;
  const total = seen.get(0x020e)?.[0];
  const part = seen.get(0x020f)?.[0];
  if (total === 0 || part === 0 || (total !== undefined && part !== undefined && part > total)) {
    return S.INVALID_TLV_VALUE;
  }
  return S.OK;
}

/** The user data header's length octet and its elements fit inside short_message. */
function udhFits(shortMessage: Buffer): boolean {
  const udhLength = shortMessage[0];
  if (udhLength === undefined || udhLength + 1 > shortMessage.length) return false;
  for (let at = 1; at < udhLength + 1;) {
    const ieLength = shortMessage[at + 1];
    if (ieLength === undefined) return false;
    at += 2 + ieLength;
    if (at > udhLength + 1) return false;
  }
  return true;
}

/** Empty, or YYMMDDhhmmsstnnp: absolute (p = + or -, fields in range) or relative (p = R). */
function isSmppTime(value: string): boolean {
  if (value === "") return true;
  if (!/^\d{15}[+\-R]$/.test(value)) return false;
  if (value.endsWith("R")) return true;
  const [month, day, hour, minute, second] = [2, 4, 6, 8, 10].map((i) => Number(value.slice(i, i + 2)));
  const quarters = Number(value.slice(13, 15));
  return (
    month! >= 1 &&
    month! <= 12 &&
    day! >= 1 &&
    day! <= 31 &&
    hour! <= 23 &&
    minute! <= 59 &&
    second! <= 59 &&
    quarters <= 48
  );
}

/** SMPP 3.4 §5.2.19: 0–10, 13, 14, and the GSM coding groups 0xC0–0xFF. */
function isKnownDataCoding(dataCoding: number): boolean {
  return dataCoding <= 0x0a || dataCoding === 0x0d || dataCoding === 0x0e || dataCoding >= 0xc0;
}

/** A bind_transmitter / bind_receiver / bind_transceiver body. */
export function checkBind(body: Buffer): number {
  const r = new BodyReader(body);
  if (r.cString(16) === undefined) return S.INVALID_SYSTEM_ID;
  if (r.cString(9) === undefined) return S.INVALID_PASSWORD;
  if (r.cString(13) === undefined) return S.INVALID_SYSTEM_TYPE;
  if (r.octets(3) === undefined) return S.BIND_FAILED; // interface_version, addr_ton, addr_npi
  if (r.cString(41) === undefined) return S.BIND_FAILED; // address_range
  return r.remaining === 0 ? S.OK : S.INVALID_COMMAND_LENGTH;
}

/** PDUs without a body: enquire_link, unbind and their responses, generic_nack. */
export function checkEmptyBody(body: Buffer): number {
  return body.length === 0 ? S.OK : S.INVALID_COMMAND_LENGTH;
}
