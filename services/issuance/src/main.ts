/**
 * Issuance service: `npx tsx services/issuance/src/main.ts`. Configuration: see README.md.
 */
import { int, readConfig } from "../../shared/src/config";
import { platformFromEnv } from "../../shared/src/runtime/platform";
import { grpcServerFromEnv } from "../../shared/src/runtime/grpc-from-env";
import { runMain, runUntilSignalled } from "../../shared/src/runtime/run-main";
import { createIssuanceApp } from "./app";

runMain(async () => {
  const cfg = readConfig({
    ISSUANCE_MAX_IN_FLIGHT: int(2000, { min: 1 }),
    OTP_RETENTION_HOURS: int(24, { min: 1, max: 24 * 90 }),
  });
  const platform = await platformFromEnv({ service: "issuance" });
  const { server } = grpcServerFromEnv(process.env, platform.logger);
  const app = createIssuanceApp(platform, {
    maxInFlight: cfg.ISSUANCE_MAX_IN_FLIGHT,
    retentionMs: cfg.OTP_RETENTION_HOURS * 3_600_000,
  });
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
