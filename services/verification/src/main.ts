/**
 * Verification service (CheckCode, overrides, and the projector that keeps the hot state in
 * step with the log): `npx tsx services/verification/src/main.ts`. Configuration: see README.md.
 */
import { int, readConfig } from "../../shared/src/config";
import { platformFromEnv } from "../../shared/src/runtime/platform";
import { grpcServerFromEnv } from "../../shared/src/runtime/grpc-from-env";
import { runMain, runUntilSignalled } from "../../shared/src/runtime/run-main";
import { createVerificationApp } from "./app";

runMain(async () => {
  const cfg = readConfig({ OTP_RETENTION_HOURS: int(24, { min: 1, max: 24 * 90 }) });
  const platform = await platformFromEnv({ service: "verification" });
  const { server } = grpcServerFromEnv(process.env, platform.logger);
  const app = createVerificationApp(platform, { retentionMs: cfg.OTP_RETENTION_HOURS * 3_600_000 });
  app.register(server);
  const service = {
    async start() {
      await app.start();
      await server.start();
    },
    async stop() {
      await server.shutdown(5_000);
      await app.stop();
    },
  };
  await runUntilSignalled(service, () => platform.close(), platform.logger);
});
