/**
 * What one test file's run came to, read from the spec reporter's closing lines
 * ("ℹ tests 62", "ℹ pass 62", …). A file whose output lacks them did not finish: it counts
 * as failed, so a crash or a kill can never pass for an empty success.
 */
export interface FileResult {
  file: string;
  tests: number;
  pass: number;
  fail: number;
  cancelled: number;
  skipped: number;
  todo: number;
  /** The process exited 0 and the reporter printed its summary. */
  ok: boolean;
  /** Why the file counts as failed when no test did (crash, timeout, missing summary). */
  problem?: string;
  ms: number;
}

const COUNTS = ["tests", "pass", "fail", "cancelled", "skipped", "todo"] as const;
type Count = (typeof COUNTS)[number];

/** The counts of the last summary block in `output`, or undefined when there is none. */
export function summaryOf(output: string): Record<Count, number> | undefined {
  const found: Partial<Record<Count, number>> = {};
  // eslint-disable-next-line no-control-regex -- colour codes, when the reporter writes them
  for (const line of output.replace(/\x1b\[[0-9;]*m/g, "").split("\n")) {
    const m = /^ℹ (tests|pass|fail|cancelled|skipped|todo) (\d+)\s*$/.exec(line.trimEnd());
    if (m) found[m[1] as Count] = Number(m[2]);
  }
  return COUNTS.every((k) => found[k] !== undefined) ? (found as Record<Count, number>) : undefined;
}

export function resultOf(
  file: string,
  output: string,
  exit: { code: number | null; signal: string | null; timedOut: boolean },
  ms: number,
): FileResult {
  const counts = summaryOf(output) ?? { tests: 0, pass: 0, fail: 0, cancelled: 0, skipped: 0, todo: 0 };
  const problem = exit.timedOut
    ? `still running after ${Math.round(ms / 1000)} s: killed`
    : !summaryOf(output)
      ? `ended without a test summary (${exit.signal ? `signal ${exit.signal}` : `exit ${exit.code}`})`
      : exit.code !== 0 && counts.fail === 0 && counts.cancelled === 0
        ? `exit ${exit.code} with no failing test`
        : undefined;
  const ok = problem === undefined && exit.code === 0 && counts.fail === 0 && counts.cancelled === 0;
  return { file, ...counts, ok, ms, ...(problem ? { problem } : {}) };
}

export interface SuiteTotals {
  files: number;
  tests: number;
  pass: number;
  fail: number;
  cancelled: number;
  skipped: number;
  todo: number;
  failed: FileResult[];
}

export function totalsOf(results: readonly FileResult[]): SuiteTotals {
  const sum = (k: Count) => results.reduce((n, r) => n + r[k], 0);
  return {
    files: results.length,
    tests: sum("tests"),
    pass: sum("pass"),
    fail: sum("fail"),
    cancelled: sum("cancelled"),
    skipped: sum("skipped"),
    todo: sum("todo"),
    failed: results.filter((r) => !r.ok),
  };
}

export function describeTotals(name: string, t: SuiteTotals, ms: number): string {
  const lines = [
    `test harness: ${name}: ${t.files} files, ${t.tests} tests: ${t.pass} passed, ${t.fail} failed, ` +
      `${t.cancelled} cancelled, ${t.skipped} skipped, ${t.todo} todo, in ${(ms / 60_000).toFixed(1)} min`,
  ];
  for (const r of t.failed) {
    lines.push(`  ✖ ${r.file}: ${r.problem ?? `${r.fail} failed, ${r.cancelled} cancelled`}`);
  }
  return lines.join("\n");
}
