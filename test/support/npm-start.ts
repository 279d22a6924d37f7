/**
 * `npm start` as a test runs it: the command of the package's start script without npm in between
 * (so that SIGTERM reaches the process), and every listener of the all-in-one on a port the
 * kernel picks, so tests running side by side never collide.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

export const ROOT = join(__dirname, "..", "..");

/** The start script's arguments after `node`. */
export const NPM_START_ARGS = (
  JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: { start: string } }
).scripts.start
  .split(/\s+/)
  .slice(1);

export const ANY_FREE_PORTS: Record<string, string> = {
  GRPC_ADDRESS: "127.0.0.1:0",
  INBOX_PORT: "0",
  SMSC_SIM_SMPP_PORT: "0",
  SMSC_SIM_HTTP_PORT: "0",
  WA_SIM_PORT: "0",
  VOICE_SIM_PORT: "0",
  WHATSAPP_WEBHOOK_PORT: "0",
  VOICE_WEBHOOK_PORT: "0",
  OPEN_GATEWAY_SIM_PORT: "0",
  SILENT_CALLBACK_PORT: "0",
  // Loopback, so still a development platform; any free port, so two processes never collide.
  METRICS_LISTEN: "127.0.0.1:0",
};
