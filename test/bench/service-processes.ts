/**
 * Child processes of the deployed bench: each started from its real entry point, its log lines
 * read as they come (JSON, one per line), kept only as far as the bench needs them: the last
 * lines for a failure message, warn / error counts, and listeners for the lines that say a
 * process is ready or serving.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Warnings } from "./sms-platform";

const ROOT = path.resolve(__dirname, "../..");
const KEPT_LINES = 200;

export interface ServiceProcess {
  name: string;
  pid: number;
  /** Calls `listener` with every line from now on, with the bench's performance.now() at arrival. */
  onLine(listener: (line: string, at: number) => void): () => void;
  /** The first match of `pattern` in a line (already seen or to come). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** The last lines it wrote (a couple of hundred). */
  recent(): string[];
  warnings(): Warnings;
  running(): boolean;
  /** Sends `signal` and waits for the exit (SIGKILL after `graceMs` for other signals). */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
}

export function startServiceProcess(
  name: string,
  entry: string,
  env: Record<string, string>,
  args: string[] = [],
): ServiceProcess {
  const child: ChildProcess = spawn(
    process.execPath,
    ["--disable-warning=TimeoutNegativeWarning", "--import", "tsx", entry, ...args],
    // Only what a deployment gives the process: its configuration, a PATH and a HOME.
    {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  if (child.pid === undefined) throw new Error(`${name} did not start`);
  const recent: string[] = [];
  const warnings: Warnings = { count: 0, byMessage: {} };
  const listeners = new Set<(line: string, at: number) => void>();
  let partial = "";
  const collect = (chunk: Buffer): void => {
    const at = performance.now();
    const lines = (partial + chunk.toString("utf8")).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) {
      if (line === "") continue;
      recent.push(line);
      if (recent.length > KEPT_LINES) recent.shift();
      if (line.includes('"level":"warn"') || line.includes('"level":"error"')) {
        warnings.count++;
        const msg = /"msg":"([^"]*)"/.exec(line)?.[1] ?? "?";
        warnings.byMessage[msg] = (warnings.byMessage[msg] ?? 0) + 1;
      }
      for (const listener of listeners) listener(line, at);
    }
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const running = (): boolean => child.exitCode === null && child.signalCode === null;
  const exited = once(child, "exit");
  exited.catch(() => undefined);
  const onLine = (listener: (line: string, at: number) => void): (() => void) => {
    listeners.add(listener);
    return () => listeners.delete(listener);
  };
  return {
    name,
    pid: child.pid,
    onLine,
    async waitFor(pattern, timeoutMs = 60_000) {
      for (const line of recent) {
        const match = pattern.exec(line);
        if (match) return match;
      }
      let found: RegExpExecArray | undefined;
      const stop = onLine((line) => (found ??= pattern.exec(line) ?? undefined));
      const deadline = Date.now() + timeoutMs;
      try {
        while (found === undefined) {
          if (!running()) throw new Error(`${name} exited:\n${recent.slice(-20).join("\n")}`);
          if (Date.now() > deadline)
            throw new Error(`${name} never logged ${pattern}:\n${recent.slice(-20).join("\n")}`);
          await sleep(50);
        }
        return found;
      } finally {
        stop();
      }
    },
    recent: () => [...recent],
    warnings: () => ({ count: warnings.count, byMessage: { ...warnings.byMessage } }),
    running,
    async stop(signal = "SIGTERM", graceMs = 10_000) {
      if (!running()) return;
      child.kill(signal);
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
