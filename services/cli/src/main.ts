/**
 * `npm run otp -- <command>`: the platform from a terminal. Talks gRPC to the services (the
 * all-in-one process by default) and HTTP to the simulated handsets' inbox. Exit 0 on success,
 * 1 when the call failed or a code did not verify, 2 on a usage error.
 */
import { readFileSync } from "node:fs";
import { status as Status, type ServiceError } from "@grpc/grpc-js";
import { decodeStatusDetails } from "@platform/grpc/status";
import { flag, parseArgs, UsageError } from "./args";
import { COMMANDS, USAGE } from "./commands";
import { connect } from "./connection";
import { formatError } from "./format";
import { sealCommand } from "./seal";

function isServiceError(err: unknown): err is ServiceError {
  return typeof err === "object" && err !== null && "code" in err && "metadata" in err;
}

async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  const json = flag(args, "json");
  const name = args.positionals[0];
  // Local: seals with the platform's keys, talks to no service.
  if (name === "seal" && !flag(args, "help")) {
    try {
      const out = sealCommand(args, process.env, () =>
        process.stdin.isTTY ? undefined : readFileSync(0, "utf8"),
      );
      process.stdout.write(`${json ? JSON.stringify(out.json, null, 2) : out.text}\n`);
      return 0;
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      process.stderr.write(`${err.message}\n\n${USAGE}\n`);
      return 2;
    }
  }
  const command = name === undefined ? undefined : COMMANDS[name];
  if (command === undefined || flag(args, "help")) {
    (command === undefined && !flag(args, "help") ? process.stderr : process.stdout).write(`${USAGE}\n`);
    return flag(args, "help") ? 0 : 2;
  }
  const connection = connect(args, process.env);
  try {
    const out = await command(args, connection);
    process.stdout.write(`${json ? JSON.stringify(out.json, null, 2) : out.text}\n`);
    return out.ok ? 0 : 1;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n\n${USAGE}\n`);
      return 2;
    }
    if (isServiceError(err)) {
      const status = decodeStatusDetails(err);
      const codeName = Status[status.code] ?? String(status.code);
      if (json) process.stdout.write(`${JSON.stringify({ error: { ...status, codeName } }, null, 2)}\n`);
      else process.stderr.write(`${formatError(status, codeName)}\n`);
      return 1;
    }
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  } finally {
    connection.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
