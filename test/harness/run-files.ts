/**
 * Runs test files, each in a node process of its own, a few at a time, and adds up what they
 * report.
 *
 * Why not `node --test a.ts b.ts …`: under Node 24 its process isolation with
 * `--test-force-exit` loses results. A child exits before the parent has read all it reported,
 * and the tests it ran are silently missing from the count (one pure file counted 62, 29 and 16
 * of its 62 tests in three runs). Here each file runs in-process in its own child
 * (`--test-isolation=none`), where force-exit ends the process only after the reporter has
 * written everything, and a file that reports no summary counts as failed.
 *
 * `--test-force-exit` stays: a file whose set-up failed half-way can leave servers open and
 * must not hold the run. A file still running after FILE_TIMEOUT_MS is stopped (SIGTERM to its
 * process group, so the brokers it started go too, then SIGKILL) and counts as failed.
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { resultOf, type FileResult } from "./summary";

export interface RunFilesOptions {
  root: string;
  env: NodeJS.ProcessEnv;
  concurrency: number;
  testTimeoutMs: number;
  fileTimeoutMs: number;
  write?: (text: string) => void;
}

const running = new Set<ChildProcess>();

/** Stops every file still running (Ctrl-C, SIGTERM): their brokers and servers go with them. */
export function stopRunningFiles(): void {
  for (const child of running) killGroup(child, "SIGTERM");
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is empty: nothing left to stop.
  }
}

export async function runFiles(files: readonly string[], opts: RunFilesOptions): Promise<FileResult[]> {
  const write = opts.write ?? ((text: string) => process.stdout.write(text));
  const results: FileResult[] = [];
  const queue = [...files];
  const worker = async (): Promise<void> => {
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
      const result = await runFile(file, opts);
      results.push(result.result);
      write(result.output);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency) }, worker));
  return results.sort((a, b) => files.indexOf(a.file) - files.indexOf(b.file));
}

function runFile(file: string, opts: RunFilesOptions): Promise<{ result: FileResult; output: string }> {
  const args = [
    "--import",
    "tsx",
    "--disable-warning=TimeoutNegativeWarning",
    "--test",
    "--test-isolation=none",
    "--test-force-exit",
    "--test-reporter=spec",
    `--test-timeout=${opts.testTimeoutMs}`,
    file,
  ];
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, {
      cwd: opts.root,
      env: opts.env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    running.add(child);
    const chunks: Buffer[] = [];
    child.stdout?.on("data", (b: Buffer) => chunks.push(b));
    child.stderr?.on("data", (b: Buffer) => chunks.push(b));
    let timedOut = false;
    const hardKill = setTimeout(() => {
      timedOut = true;
      killGroup(child, "SIGTERM");
      setTimeout(() => killGroup(child, "SIGKILL"), 10_000).unref();
    }, opts.fileTimeoutMs);
    let exit: { code: number | null; signal: NodeJS.Signals | null } = { code: null, signal: null };
    child.on("exit", (code, signal) => {
      exit = { code, signal };
      clearTimeout(hardKill);
      running.delete(child);
      // Whatever the file left behind in its group (a broker, a service it spawned) goes with
      // it, and with them the last holders of its output pipes.
      killGroup(child, "SIGKILL");
    });
    const finish = (): void => {
      const { code, signal } = exit;
      const ms = Date.now() - t0;
      const text = Buffer.concat(chunks).toString("utf8");
      const result = resultOf(file, text, { code, signal, timedOut }, ms);
      const header = `── ${path.normalize(file)} · ${result.tests} tests · ${(ms / 1000).toFixed(1)} s${
        result.ok ? "" : ` · FAILED${result.problem ? `: ${result.problem}` : ""}`
      }\n`;
      resolve({ result, output: header + text + (text.endsWith("\n") || text === "" ? "" : "\n") });
    };
    child.on("close", finish);
    child.on("error", (err) => {
      clearTimeout(hardKill);
      running.delete(child);
      chunks.push(Buffer.from(`could not start: ${err.message}\n`));
      finish();
    });
  });
}
