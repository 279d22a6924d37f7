/** Runs a service's main: a configuration error prints its problems and exits 2, others exit 1. */
import { isOtpError } from "../errors";

export function runMain(main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    if (isOtpError(err) && err.code === "CONFIG_INVALID") {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
