/**
 * The SMS gateway process (composition root):
 *   npx tsx gateway-smpp/src/main.ts
 * Environment:
 *   SMPP_CONFIG          JSON file of SMSC accounts, routes, texts (see README); without it,
 *                        one account on the SMSC simulator (SMSC_SIM_HOST, SMSC_SIM_SMPP_PORT,
 *                        SMSC_SIM_SYSTEM_ID, SMSC_SIM_PASSWORD)
 *   and the platform settings (KAFKA_BROKERS, REDIS_URL, keys, policies, logs): see
 *   services/shared/src/runtime/platform.ts
 * SIGTERM / SIGINT drain: stop consuming, finish in-flight submits and reports, unbind, exit.
 */
import { platformFromEnv } from "../../services/shared/src/runtime/platform";
import { runMain, runUntilSignalled } from "../../services/shared/src/runtime/run-main";
import { loadGatewayConfig } from "./config/load-config";
import { createSmsGateway } from "./gateway";

runMain(async () => {
  const config = loadGatewayConfig(process.env);
  const platform = await platformFromEnv({ service: "gateway-smpp" });
  const gateway = createSmsGateway({ ...platform, clock: platform.now, config });
  await runUntilSignalled(
    { start: () => gateway.start(), stop: () => gateway.close() },
    () => platform.close(),
    platform.logger,
  );
});
