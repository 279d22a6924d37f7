/**
 * Command-line arguments: positionals and `--name value` / `--name=value` / `--flag` options.
 * Pure, so the CLI's parsing is testable without a process.
 */

export interface ParsedArgs {
  positionals: string[];
  options: Map<string, string | true>;
}

/** Options that never take a value (so `--json start …` does not swallow "start"). */
const FLAGS = new Set(["json", "help", "all", "insecure"]);

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const positionals: string[] = [];
  const options = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith("--") || arg.length === 2) {
      positionals.push(arg);
      continue;
    }
    const body = arg.slice(2);
    const eq = body.indexOf("=");
    if (eq >= 0) {
      options.set(body.slice(0, eq), body.slice(eq + 1));
      continue;
    }
    const next = argv[i + 1];
    if (FLAGS.has(body) || next === undefined || next.startsWith("--")) {
      options.set(body, true);
    } else {
      options.set(body, next);
      i++;
    }
  }
  return { positionals, options };
}

export class UsageError extends Error {}

export function option(args: ParsedArgs, name: string): string | undefined {
  const value = args.options.get(name);
  if (value === true) throw new UsageError(`--${name} needs a value`);
  return value;
}

export function flag(args: ParsedArgs, name: string): boolean {
  return args.options.get(name) !== undefined;
}

export function positional(args: ParsedArgs, index: number, what: string): string {
  const value = args.positionals[index];
  if (value === undefined || value === "") throw new UsageError(`missing ${what}`);
  return value;
}
