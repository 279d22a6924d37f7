/**
 * How the simulated operator network behaves. The network knows which SIM's data session carries
 * a request (here: the X-Simulated-Device header the simulated app sets, absent on Wi-Fi) and in
 * which district its cell is (X-Simulated-District).
 */
const DEVICE_BEHAVIOURS = ["match", "mismatch", "data_off", "slow"] as const;
export type DeviceBehaviour = (typeof DEVICE_BEHAVIOURS)[number];

export interface OpenGatewayScenario {
  /** For devices without their own entry. */
  behaviour: DeviceBehaviour;
  /** Per device (E.164). */
  devices: Record<string, DeviceBehaviour>;
  /** How long "slow" keeps the device waiting at the authorization endpoint (ms). */
  slowMs: number;
  /** Districts where the operator's gateway is out: authorization answers temporarily_unavailable. */
  districtsDown: string[];
}

export const DEFAULT_SCENARIO: OpenGatewayScenario = {
  behaviour: "match",
  devices: {},
  slowMs: 15_000,
  districtsDown: [],
};

const isBehaviour = (v: unknown): v is DeviceBehaviour =>
  typeof v === "string" && (DEVICE_BEHAVIOURS as readonly string[]).includes(v);

/** Validates a scenario given over HTTP; fields left out keep their current value. */
export function parseScenario(json: unknown, current: OpenGatewayScenario): OpenGatewayScenario {
  if (typeof json !== "object" || json === null) throw new Error("expected an object");
  const o = json as Record<string, unknown>;
  const next = { ...current };
  if (o.behaviour !== undefined) {
    if (!isBehaviour(o.behaviour))
      throw new Error(`behaviour: expected one of ${DEVICE_BEHAVIOURS.join(", ")}`);
    next.behaviour = o.behaviour;
  }
  if (o.devices !== undefined) {
    if (typeof o.devices !== "object" || o.devices === null) throw new Error("devices: expected an object");
    const devices: Record<string, DeviceBehaviour> = {};
    for (const [phone, b] of Object.entries(o.devices)) {
      if (!/^\+\d{6,15}$/.test(phone) || !isBehaviour(b))
        throw new Error(`devices.${phone}: expected E.164 → behaviour`);
      devices[phone] = b;
    }
    next.devices = devices;
  }
  if (o.slowMs !== undefined) {
    if (typeof o.slowMs !== "number" || o.slowMs < 0 || o.slowMs > 120_000)
      throw new Error("slowMs: 0..120000");
    next.slowMs = o.slowMs;
  }
  if (o.districtsDown !== undefined) {
    if (!Array.isArray(o.districtsDown) || !o.districtsDown.every((d) => typeof d === "string"))
      throw new Error("districtsDown: expected a list of districts");
    next.districtsDown = o.districtsDown;
  }
  return next;
}
