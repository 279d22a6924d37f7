/**
 * Real redis-server processes for tests: the Debian `redis-server` binary on a free port on
 * 127.0.0.1, in a temporary directory, with persistence off. Never the machine's own instance.
 *
 * Each process has a watchdog (`sh` + `cat` reading a pipe from this process): when this
 * process dies in any way, even SIGKILL, the pipe closes and the watchdog kills redis-server,
 * so no orphan outlives the test run.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface RedisProcess {
  url: string;
  port: number;
  /** Graceful stop (SHUTDOWN NOSAVE, then SIGTERM, then SIGKILL); removes the temp dir. */
  stop(): Promise<void>;
  /** Crash: SIGKILL, no shutdown; removes the temp dir. */
  kill(): Promise<void>;
  /** Stops if running and starts again, empty, on the same port. */
  restart(): Promise<void>;
}

const READY_TIMEOUT_MS = 15_000;
const STOP_GRACE_MS = 3_000;

function redisServerBinary(): string {
  const binary = process.env.REDIS_SERVER_BIN ?? "/usr/bin/redis-server";
  if (!existsSync(binary)) {
    throw new Error(
      `redis-server not found at ${binary}: apt-get install redis-server (or set REDIS_SERVER_BIN)`,
    );
  }
  return binary;
}

/**
 * A loopback port free now, for a server that listens on it a little later. Ports come from
 * below the kernel's ephemeral range (32768 and up on Linux), at random: a port the kernel
 * handed out for `listen(0)` is one it may give the next outgoing connection meanwhile (Kafka
 * and Redis clients open many), which then fails the listen with EADDRINUSE.
 */
export async function freePort(): Promise<number> {
  for (let tries = 0; ; tries++) {
    const port = FIRST_PORT + Math.floor(Math.random() * (LAST_PORT - FIRST_PORT));
    if (handedOut.has(port)) continue;
    if (await canListen(port)) {
      handedOut.add(port);
      return port;
    }
    if (tries > 100) throw new Error("no free loopback port below the ephemeral range");
  }
}

const FIRST_PORT = 20_000;
const LAST_PORT = 32_000;
const handedOut = new Set<number>();

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** Sends one inline command over a raw socket and returns the first reply line. */
function rawCommand(port: number, command: string, timeoutMs = 1_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    let data = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no reply to ${command.split(" ")[0]} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.setEncoding("utf8");
    socket.once("connect", () => socket.write(`${command}\r\n`));
    socket.on("data", (chunk: string) => {
      data += chunk;
      if (!data.includes("\r\n")) return;
      clearTimeout(timer);
      socket.destroy();
      resolve(data.slice(0, data.indexOf("\r\n")));
    });
    socket.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.once("close", () => {
      clearTimeout(timer);
      if (!data.includes("\r\n")) reject(new Error(`connection closed before a reply to ${command}`));
    });
  });
}

// One exit hook for all servers of this process (a listener each would trip the
// max-listeners warning in suites that start several).
const liveServers = new Set<{ killSync(): void }>();
let exitHookInstalled = false;
function trackForExit(server: { killSync(): void }): void {
  liveServers.add(server);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once("exit", () => {
    for (const live of liveServers) live.killSync();
  });
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (exited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

function startWatchdog(pid: number, dir: string): ChildProcess {
  // `cat` returns when our end of the pipe closes, i.e. when this process dies.
  const script = 'cat >/dev/null; kill -KILL "$0" 2>/dev/null; rm -rf "$1"';
  const watchdog = spawn("/bin/sh", ["-c", script, String(pid), dir], {
    stdio: ["pipe", "ignore", "ignore"],
    detached: true,
  });
  watchdog.unref();
  // The pipe handle must not keep the event loop alive either.
  (watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  return watchdog;
}

interface Running {
  child: ChildProcess;
  watchdog: ChildProcess;
  dir: string;
}

/**
 * One redis-server process; `extraArgs` add config, e.g. cluster mode. A server that `crash()`ed
 * starts again in the same directory (a cluster node finds its nodes.conf there).
 */
export class RedisServer {
  private running: Running | undefined;
  private crashedDir: string | undefined;

  constructor(
    readonly port: number,
    private readonly extraArgs: (dir: string) => string[] = () => [],
  ) {}

  get pid(): number | undefined {
    return this.running?.child.pid;
  }

  async start(): Promise<void> {
    const binary = redisServerBinary();
    const dir = this.crashedDir ?? mkdtempSync(join(tmpdir(), "otp-redis-"));
    this.crashedDir = undefined;
    // prettier-ignore
    const args = [
      "--port", String(this.port),
      "--bind", "127.0.0.1",
      "--dir", dir,
      "--save", "",
      "--appendonly", "no",
      // As deploy/ configures Redis: the projection hash stays a compact listpack.
      "--hash-max-listpack-value", "2048",
      "--daemonize", "no",
      "--logfile", join(dir, "redis.log"),
      ...this.extraArgs(dir),
    ];
    const child = spawn(binary, args, { stdio: "ignore" });
    child.once("error", () => undefined); // reported through the readiness check below
    child.unref(); // a forgotten server must not keep the test process alive; the exit hook kills it
    if (child.pid === undefined) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`could not start ${binary}`);
    }
    this.running = { child, watchdog: startWatchdog(child.pid, dir), dir };
    trackForExit(this);
    try {
      await this.waitForPing(child);
    } catch (err) {
      const log = this.readLog(dir);
      await this.kill();
      throw new Error(`redis-server on port ${this.port} did not start: ${String(err)}\n${log}`, {
        cause: err,
      });
    }
  }

  private async waitForPing(child: ChildProcess): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (exited(child)) throw new Error(`exited with ${child.exitCode ?? child.signalCode}`);
      try {
        if ((await rawCommand(this.port, "PING")) === "+PONG") return;
      } catch (err) {
        if (Date.now() > deadline) throw err;
      }
      await sleep(20);
    }
  }

  private readLog(dir: string): string {
    try {
      return readFileSync(join(dir, "redis.log"), "utf8").split("\n").slice(-15).join("\n");
    } catch {
      return "";
    }
  }

  async stop(): Promise<void> {
    const running = this.running;
    if (!running) return;
    if (!exited(running.child)) {
      await rawCommand(this.port, "SHUTDOWN NOSAVE").catch(() => undefined); // closes without a reply
      if (!(await waitForExit(running.child, STOP_GRACE_MS))) {
        running.child.kill("SIGTERM");
        if (!(await waitForExit(running.child, STOP_GRACE_MS))) running.child.kill("SIGKILL");
      }
    }
    await this.finish(running);
  }

  async kill(): Promise<void> {
    const running = this.running;
    if (!running) return;
    running.child.kill("SIGKILL");
    await this.finish(running);
  }

  /** SIGKILL, keeping the directory for the next start(); removeData() forgets it. */
  async crash(): Promise<void> {
    const running = this.running;
    if (!running) return;
    running.child.kill("SIGKILL");
    await this.finish(running, { keepDir: true });
  }

  removeData(): void {
    if (this.crashedDir) rmSync(this.crashedDir, { recursive: true, force: true });
    this.crashedDir = undefined;
  }

  private async finish(running: Running, opts: { keepDir?: boolean } = {}): Promise<void> {
    await waitForExit(running.child, STOP_GRACE_MS);
    // Killing the watchdog's shell skips its clean-up: the directory stays where asked.
    running.watchdog.kill("SIGKILL");
    if (opts.keepDir) this.crashedDir = running.dir;
    else rmSync(running.dir, { recursive: true, force: true });
    liveServers.delete(this);
    this.running = undefined;
  }

  killSync(): void {
    const running = this.running;
    if (!running) return;
    running.child.kill("SIGKILL");
    running.watchdog.kill("SIGKILL");
    rmSync(running.dir, { recursive: true, force: true });
  }

  handle(): RedisProcess {
    return {
      url: `redis://127.0.0.1:${this.port}`,
      port: this.port,
      stop: () => this.stop(),
      kill: () => this.kill(),
      restart: async () => {
        await this.stop();
        await this.start();
      },
    };
  }
}

export async function startOnFreePort(extraArgs?: (dir: string) => string[]): Promise<RedisServer> {
  // Another process may grab the port between probing and binding: try a few.
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const server = new RedisServer(await freePort(), extraArgs);
    try {
      await server.start();
      return server;
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

export async function startRedis(): Promise<{
  url: string;
  port: number;
  stop(): Promise<void>;
  kill(): Promise<void>;
  restart(): Promise<void>;
}> {
  return (await startOnFreePort()).handle();
}
