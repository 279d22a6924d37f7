/** Health figures in words, for decision reasons ("whatsapp in ID-JK: delivered 12% of 40…"). */
import type { HealthFigures } from "./types";

const percent = (rate: number): string => `${Math.round(rate * 100)}%`;

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

export function describeFigures(f: HealthFigures): string {
  const where = [
    f.route && `route ${f.route}`,
    f.operator && `operator ${f.operator}`,
    f.district && `in ${f.district}`,
  ]
    .filter(Boolean)
    .join(" ");
  const rates =
    f.sampleSize > 0
      ? `delivered ${percent(f.deliveryRate)} of ${f.sampleSize}, p95 ${seconds(f.p95Ms)}`
      : "no finished attempts in the window";
  return `${f.channel}${where ? ` ${where}` : ""}: ${rates}, ${f.state}`;
}
