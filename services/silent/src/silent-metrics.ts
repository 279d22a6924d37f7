/**
 * The silent connector's Prometheus metrics, declared on the process's registry
 * (`metrics.declare(silentMetrics)`): each operator's answer, counted where it is reported.
 */
import { Counter, type Registry } from "prom-client";

export function silentMetrics(registers: Registry[]) {
  return {
    networkVerifications: new Counter({
      name: "otp_network_verifications_total",
      help: "Operators' answers to silent network verification (verified, or the stable reason it was not)",
      labelNames: ["gateway", "operator", "outcome"] as const,
      registers,
    }),
  };
}
