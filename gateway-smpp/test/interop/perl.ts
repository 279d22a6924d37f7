/**
 * Runs the Net::SMPP scripts beside this file (Perl's Net::SMPP, Debian package
 * libnet-smpp-perl: an SMPP implementation we did not write). Fails with a clear message when
 * it is not installed.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";

export function requireNetSmpp(): void {
  const probe = spawnSync("perl", ["-MNet::SMPP", "-e", "1"], { encoding: "utf8" });
  assert.equal(
    probe.status,
    0,
    "Perl Net::SMPP is missing: install the Debian package libnet-smpp-perl (apt-get install -y libnet-smpp-perl)",
  );
}

export interface PerlRun {
  child: ChildProcess;
  /** Lines printed so far. */
  lines: string[];
  exited: Promise<number | null>;
  stderr(): string;
}

export function runPerl(script: string, args: string[]): PerlRun {
  const child = spawn("perl", [join(__dirname, script), ...args], { stdio: ["ignore", "pipe", "pipe"] });
  const lines: string[] = [];
  let stderr = "";
  createInterface({ input: child.stdout }).on("line", (line) => lines.push(line));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return { child, lines, exited, stderr: () => stderr };
}
