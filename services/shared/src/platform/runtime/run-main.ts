/**
 * Running a service's main: a configuration error prints its problems and exits 2, a failed
 * start exits 1; once started, SIGINT / SIGTERM stop it and exit 0, a second signal exits at once.
 */
import { isOtpError } from "@domain/errors";
import type { Logger } from "../log";

export interface Runnable {
  start(): Promise<void>;
  stop(): Promise<void>;
}

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

/** Starts `service`; on a signal stops it, then `cleanup` (bus, store), and exits. */
export async function runUntilSignalled(
  service: Runnable,
  cleanup: () => Promise<void>,
  logger: Logger,
): Promise<void> {
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info("shutting down", { signal });
    service
      .stop()
      .then(cleanup)
      .then(
        () => {
          logger.info("stopped");
          process.exit(0);
        },
        (err: unknown) => {
          logger.error("shutdown failed", { err });
          process.exit(1);
        },
      );
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  try {
    await service.start();
  } catch (err) {
    logger.error("start failed", { err });
    await service.stop().catch(() => undefined);
    await cleanup().catch(() => undefined);
    process.exit(1);
  }
}
