/** Shared set-up of the wire tests: a simulator on a free loopback port and fast sessions. */
import { createSmscSession, type SmscSession, type SmscSessionOptions } from "../src/smsc-session";
import { startSmscSimulator, type SmscSimulator } from "../src/simulator/smsc-simulator";
import type { Scenario } from "../src/simulator/scenario";

export const SYSTEM_ID = "otp-router";
export const PASSWORD = "s3cret";

export function startSimulator(scenario: Scenario = {}): Promise<SmscSimulator> {
  return startSmscSimulator({ port: 0, credentials: { [SYSTEM_ID]: PASSWORD }, scenario });
}

export function sessionTo(
  simulator: { port: number },
  overrides: Partial<SmscSessionOptions> = {},
): SmscSession {
  return createSmscSession({
    name: "test-bind",
    host: "127.0.0.1",
    port: simulator.port,
    bind: { mode: "transceiver", systemId: SYSTEM_ID, password: PASSWORD },
    messagesPerSecond: 200,
    window: 10,
    responseTimeoutMs: 2_000,
    bindTimeoutMs: 2_000,
    enquireLinkIntervalMs: 5_000,
    notBoundWaitMs: 10_000,
    reconnect: { initialMs: 50, maxMs: 500 },
    drainTimeoutMs: 1_000,
    ...overrides,
  });
}

/** Polls until `check` returns true; fails after `timeoutMs` with `what`. */
export async function eventually(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A random destination so that tests never share inbox entries. */
export function randomPhone(prefix = "62812"): string {
  return prefix + String(Math.floor(Math.random() * 1e7)).padStart(7, "0");
}
