/**
 * Kannel (Debian package `kannel`: bearerbox + smsbox) as the bench's point of comparison for
 * gateway-smpp. Nothing is installed here: `kannelBinaries()` says whether the boxes exist.
 * `startKannel` writes a configuration of its own into a temporary directory, starts bearerbox
 * (one SMPP transceiver bind to the given SMSC, `max-pending-submits` = the window) and smsbox
 * (HTTP sendsms), both in the foreground as children of this process, and stops them again.
 *
 * Kannel's full path, the equivalent of a dispatch event in and a delivery event out: HTTP
 * sendsms to smsbox with a dlr-url → bearerbox → submit_sm → deliver_sm receipt → smsbox calls
 * the dlr-url (a small HTTP receiver here).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort, httpGet } from "./http-util";

const BINARIES = { bearerbox: "/usr/sbin/bearerbox", smsbox: "/usr/sbin/smsbox" };

export const KANNEL_HOW_TO_INSTALL =
  "DEBIAN_FRONTEND=noninteractive apt-get install -y kannel (Debian's package; its init script starts no box unless /etc/default/kannel asks)";

/** The boxes' paths when Debian's Kannel is installed, else undefined. */
export function kannelBinaries(): typeof BINARIES | undefined {
  return existsSync(BINARIES.bearerbox) && existsSync(BINARIES.smsbox) ? BINARIES : undefined;
}

export interface KannelOptions {
  smsc: { host: string; port: number; systemId: string; password: string };
  /** Unanswered submit_sm at once on the bind (Kannel's max-pending-submits). */
  window: number;
  /** Called for every dlr-url callback: the message's number and Kannel's DLR type (1 delivered). */
  onDlr: (message: number, type: number) => void;
}

export interface Kannel {
  /** bearerbox and smsbox, for their CPU time. */
  pids: number[];
  /** sendsms for one message; resolves once smsbox has accepted it ("0: Accepted for delivery"). */
  send(message: number, to: string, text: string): Promise<void>;
  stop(): Promise<void>;
}

const USER = { name: "bench", password: "bench" };

export async function startKannel(options: KannelOptions): Promise<Kannel> {
  const binaries = kannelBinaries();
  if (binaries === undefined) throw new Error(`Kannel is not installed: ${KANNEL_HOW_TO_INSTALL}`);
  const dir = mkdtempSync(path.join(tmpdir(), "bench-kannel-"));
  const [adminPort, smsboxPort, sendsmsPort] = [await freePort(), await freePort(), await freePort()];
  const dlr = await startDlrReceiver(options.onDlr);
  const children: ChildProcess[] = [];
  const stop = async (): Promise<void> => {
    // smsbox first, so bearerbox does not wait for it to come back.
    for (const child of [...children].reverse()) await stopChild(child);
    await new Promise<void>((resolve) => dlr.server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const conf = path.join(dir, "kannel.conf");
    writeFileSync(conf, kannelConfig({ ...options, dir, adminPort, smsboxPort, sendsmsPort }), {
      mode: 0o600,
    });
    children.push(startBox(binaries.bearerbox, conf, dir, "bearerbox"));
    await waitFor("bearerbox's SMPP bind online", async () => {
      const status = await httpGet(`http://127.0.0.1:${adminPort}/status.txt?password=bench`).catch(() => "");
      return /online/.test(status);
    });
    children.push(startBox(binaries.smsbox, conf, dir, "smsbox"));
    const sendsms = `http://127.0.0.1:${sendsmsPort}/cgi-bin/sendsms`;
    await waitFor(
      "smsbox's sendsms",
      async () => (await httpGet(sendsms).catch(() => undefined)) !== undefined,
    );
    return {
      pids: children.map((c) => c.pid ?? 0),
      async send(message, to, text) {
        // dlr-mask 3: the final receipt only (delivered or failed), Kannel's cheapest full path.
        const dlrUrl = `http://127.0.0.1:${dlr.port}/dlr?n=${message}&t=%d`;
        const query = new URLSearchParams({
          username: USER.name,
          password: USER.password,
          from: "Bench",
          to,
          text,
          "dlr-mask": "3",
          "dlr-url": dlrUrl,
        });
        const body = await httpGet(`${sendsms}?${query.toString()}`);
        if (!body.startsWith("0:")) throw new Error(`sendsms refused: ${body.slice(0, 80)}`);
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

function kannelConfig(
  o: KannelOptions & { dir: string; adminPort: number; smsboxPort: number; sendsmsPort: number },
) {
  // Warnings only (log-level 2) and no access log: the bench's gateway runs at LOG_LEVEL=warn too.
  return `group = core
admin-port = ${o.adminPort}
admin-password = bench
status-password = bench
smsbox-port = ${o.smsboxPort}
admin-interface = 127.0.0.1
box-allow-ip = 127.0.0.1
log-file = "${path.join(o.dir, "bearerbox.log")}"
log-level = 2
dlr-storage = internal

group = smsc
smsc = smpp
smsc-id = bench
host = ${o.smsc.host}
port = ${o.smsc.port}
transceiver-mode = true
smsc-username = ${o.smsc.systemId}
smsc-password = ${o.smsc.password}
system-type = ""
max-pending-submits = ${o.window}
enquire-link-interval = 30
source-addr-ton = 5
source-addr-npi = 0
dest-addr-ton = 1
dest-addr-npi = 1

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = ${o.smsboxPort}
sendsms-port = ${o.sendsmsPort}
sendsms-interface = 127.0.0.1
log-file = "${path.join(o.dir, "smsbox.log")}"
log-level = 2

group = sendsms-user
username = ${USER.name}
password = ${USER.password}
max-messages = 1

group = sms-service
keyword = default
text = ""
omit-empty = true
max-messages = 0
`;
}

function startBox(binary: string, conf: string, dir: string, name: string): ChildProcess {
  const child = spawn(binary, [conf], { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4_000);
  });
  child.on("exit", (code, signal) => {
    if (code !== 0 && signal === null)
      process.stderr.write(`${name} exited ${code}: ${stderr.slice(-500)}\n`);
  });
  return child;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

async function waitFor(what: string, ready: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error(`Kannel: timed out waiting for ${what}`);
    await sleep(100);
  }
}

async function startDlrReceiver(onDlr: KannelOptions["onDlr"]): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    onDlr(Number(url.searchParams.get("n")), Number(url.searchParams.get("t")));
    res.writeHead(200, { "content-type": "text/plain" }).end("ok");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  return { server, port: typeof address === "object" && address !== null ? address.port : 0 };
}
