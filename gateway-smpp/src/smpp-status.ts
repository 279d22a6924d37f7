/** SMPP 3.4 command_status values this gateway acts on, and an error that carries one. */
import { OtpError, type ErrorCode } from "@domain/errors";

export const STATUS = {
  OK: 0x00,
  INVALID_COMMAND_LENGTH: 0x02,
  INVALID_COMMAND_ID: 0x03,
  INVALID_BIND_STATUS: 0x04,
  ALREADY_BOUND: 0x05,
  SYSTEM_ERROR: 0x08,
  INVALID_SOURCE_ADDRESS: 0x0a,
  INVALID_DESTINATION_ADDRESS: 0x0b,
  BIND_FAILED: 0x0d,
  INVALID_PASSWORD: 0x0e,
  INVALID_SYSTEM_ID: 0x0f,
  MESSAGE_QUEUE_FULL: 0x14,
  SUBMIT_FAILED: 0x45,
  THROTTLED: 0x58,
  TEMPORARY_APP_ERROR: 0x64,
} as const;

const NAMES: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(STATUS).map(([name, value]) => [value, name]),
);

/** "0x58 THROTTLED" for logs and error messages. */
function describeStatus(status: number): string {
  const hex = `0x${status.toString(16).padStart(2, "0").toUpperCase()}`;
  const name = NAMES[status];
  return name === undefined ? hex : `${hex} ${name}`;
}

/** An OtpError carrying the SMSC's command_status (e.g. 0x0A: sender rejected). */
export class SmppStatusError extends OtpError {
  readonly commandStatus: number;

  constructor(code: ErrorCode, what: string, commandStatus: number) {
    super(code, `${what}: ${describeStatus(commandStatus)}`);
    this.name = "SmppStatusError";
    this.commandStatus = commandStatus;
  }
}

/** command_status as 8 hex digits, "0x0000000B": stable in reason codes and metric labels. */
export function commandStatusHex(status: number): string {
  return `0x${status.toString(16).toUpperCase().padStart(8, "0")}`;
}
