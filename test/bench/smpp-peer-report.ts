/** The smpp-peer phase for people: both sides in one table, the ratios, or why Kannel was skipped. */
import type { PeerResult, PeerSide } from "./smpp-peer.bench";

const f = (n: number | undefined, digits = 1): string => (n === undefined ? "n/a" : n.toFixed(digits));

export function formatPeerBench(r: PeerResult): string {
  const s = r.settings;
  const title =
    `gateway-smpp beside Kannel: ${s.messages} messages handed over at once, one transceiver bind, window ${s.window}, ` +
    `same SMSC (strict simulator, receipts at once), ${s.warmup} warm-up messages first; receipt latency at ${s.latencyRatePerSec}/s for ${s.latencySeconds} s`;
  const row = (name: string, side: PeerSide): string =>
    `| ${name} | ${side.messages} | ${f(side.messagesPerSec, 0)} | ${f(side.cpuSecondsPer1000, 3)} | ${f(side.messagesPerCpuSecond, 0)} | ` +
    `${f(side.infraCpuSecondsPer1000, 3)} | ${f(side.receiptLatency.p50Ms)} / ${f(side.receiptLatency.p99Ms)} | ${side.lost} |`;
  const lines = [
    title,
    "| path | delivered | messages/s | CPU s per 1,000 (own processes) | messages per CPU s | Kafka + Redis CPU s per 1,000 | receipt latency p50 / p99 ms | lost |",
    "|---|---:|---:|---:|---:|---:|---:|---:|",
    row("gateway-smpp: DispatchRequested on Kafka → submit_sm → receipt → DeliveryReported on Kafka", r.ours),
  ];
  if (r.kannel === undefined) {
    lines.push(`Kannel phase skipped. ${r.skipped ?? ""}`);
  } else {
    lines.push(
      row(
        `Kannel ${r.kannelVersion ?? ""}: HTTP sendsms → bearerbox → submit_sm → receipt → dlr-url callback`,
        r.kannel,
      ),
      `ratio (ours ÷ Kannel): messages per CPU second × ${f(r.cpuEfficiencyRatio, 2)} (goal ≥ 1.5), messages/s × ${f(r.throughputRatio, 2)}`,
    );
  }
  const warnings = Object.entries(r.warnings);
  if (warnings.length > 0) {
    lines.push(`gateway-smpp warnings: ${warnings.map(([msg, n]) => `${n} × "${msg}"`).join(", ")}`);
  }
  return lines.join("\n");
}
