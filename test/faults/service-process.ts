/**
 * A service replica in its own process, started from its real entry point with the stack's
 * configuration, so it can be killed with SIGKILL like a machine losing power.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { eventually } from "./load";

const ROOT = path.resolve(__dirname, "../..");

export interface ServiceProcess {
  child: ChildProcess;
  /** Its stdout and stderr, line by line (JSON log lines). */
  lines: string[];
  /** Resolves once a line contains `text`. */
  waitFor(text: string, timeoutMs?: number): Promise<void>;
  kill(signal: NodeJS.Signals): Promise<void>;
}

export function startServiceProcess(entry: string, env: Record<string, string>): ServiceProcess {
  const child = spawn(process.execPath, ["--import", "tsx", entry], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  let partial = "";
  const collect = (chunk: Buffer): void => {
    const parts = (partial + chunk.toString("utf8")).split("\n");
    partial = parts.pop() ?? "";
    lines.push(...parts);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const running = (): boolean => child.exitCode === null && child.signalCode === null;
  return {
    child,
    lines,
    async waitFor(text, timeoutMs = 60_000) {
      await eventually(
        `${entry} logs "${text}"`,
        () => {
          if (!running()) throw new Error(`${entry} exited:\n${lines.slice(-20).join("\n")}`);
          return lines.some((l) => l.includes(text));
        },
        timeoutMs,
      );
    },
    async kill(signal) {
      if (!running()) return;
      const exited = once(child, "exit");
      child.kill(signal);
      await exited;
    },
  };
}
