/**
 * Routing timing over real Kafka and Redis, one routing replica in this process:
 * - fallback timer lateness: how long after a step's deadline (dispatch + step timeout) the
 *   next attempt is decided, and how long until a connector receives it;
 * - failure receipt to next dispatch: from a connector publishing a hard failure to routing
 *   deciding the next attempt, and to a connector receiving it.
 * Verifications arrive at a fixed rate; half time out (WhatsApp 2 s, nobody answers), half
 * get a hard failure at once (WhatsApp step of 30 s that must not be waited for).
 */
import { setTimeout as sleep } from "node:timers/promises";
import {
  eventually,
  hardFailure,
  newVerificationId,
  startRoutingHarness,
} from "@services/routing/test/harness";
import { summarize, type LatencySummary } from "./load";

export interface RoutingBenchOptions {
  /** Verifications started (half timer-driven, half failure-driven). */
  verifications: number;
  ratePerSec: number;
  /** Print the table (default true); off when the caller prints JSON. */
  print?: boolean;
}

const WHATSAPP_STEP_MS = 2_000; // the `login` step of the test policies

export async function benchRouting(
  o: RoutingBenchOptions = { verifications: 400, ratePerSec: 100 },
): Promise<Record<string, LatencySummary>> {
  const h = await startRoutingHarness("bench");
  try {
    const failing = new Set<string>();
    h.setScript((d) =>
      d.attempt === 1 && failing.has(d.verificationId) ? [hardFailure("WHATSAPP_131026", 0)] : [],
    );
    // Health never judges here (it would reorder channels, which is not what this measures).
    await h.startService({ settings: { health: { minSamples: 1_000_000 } } });
    await h.ready();

    const timed: string[] = [];
    const failed: string[] = [];
    const t0 = Date.now();
    for (let i = 0; i < o.verifications; i++) {
      const wait = t0 + (i * 1000) / o.ratePerSec - Date.now();
      if (wait > 1) await sleep(wait);
      if (i % 2 === 0) {
        timed.push(await h.issue({ purpose: "login" }));
      } else {
        const id = newVerificationId();
        failing.add(id);
        failed.push(id);
        await h.issue({ purpose: "transaction", verificationId: id });
      }
    }
    const seconds = (Date.now() - t0) / 1000;
    await eventually(
      () => [...timed, ...failed].every((id) => h.dispatchesOf(id).some((d) => d.attempt === 2)),
      "second attempts",
      120_000,
    );

    const lateDecided: number[] = [];
    const lateReceived: number[] = [];
    for (const id of timed) {
      const [first, second] = attempts(h.eventsOf(id));
      const deadline = first!.at + WHATSAPP_STEP_MS;
      lateDecided.push(second!.at - deadline);
      lateReceived.push((h.receivedAt(second!.eventId) ?? NaN) - deadline);
    }
    const failDecided: number[] = [];
    const failReceived: number[] = [];
    for (const id of failed) {
      const receipt = h.eventsOf(id).find((e) => e.event?.$case === "deliveryReported")!;
      const [, second] = attempts(h.eventsOf(id));
      const failedAt = receipt.occurredAt!.getTime();
      failDecided.push(second!.at - failedAt);
      failReceived.push((h.receivedAt(second!.eventId) ?? NaN) - failedAt);
    }
    const results = {
      "fallback timer lateness: next attempt decided": summarize(lateDecided, 0, seconds),
      "fallback timer lateness: next attempt at the connector": summarize(lateReceived, 0, seconds),
      "failure receipt → next attempt decided": summarize(failDecided, 0, seconds),
      "failure receipt → next attempt at the connector": summarize(failReceived, 0, seconds),
    };
    if (o.print ?? true) printTable(o, results);
    return results;
  } finally {
    await h.close();
  }
}

function attempts(events: ReturnType<Awaited<ReturnType<typeof startRoutingHarness>>["eventsOf"]>) {
  return events
    .flatMap((e) =>
      e.event?.$case === "dispatchRequested"
        ? [{ attempt: e.event.value.attempt, at: e.occurredAt!.getTime(), eventId: e.eventId }]
        : [],
    )
    .sort((a, b) => a.attempt - b.attempt);
}

function printTable(o: RoutingBenchOptions, rows: Record<string, LatencySummary>): void {
  const lines = [
    `\nRouting (real Kafka + Redis, one replica, ${o.verifications} verifications at ${o.ratePerSec}/s, timers held by the partition owner)`,
    "| measure | samples | p50 ms | p99 ms | max ms |",
    "|---|---:|---:|---:|---:|",
    ...Object.entries(rows).map(
      ([name, s]) =>
        `| ${name} | ${s.count} | ${s.p50Ms.toFixed(1)} | ${s.p99Ms.toFixed(1)} | ${s.maxMs.toFixed(1)} |`,
    ),
  ];
  console.log(lines.join("\n"));
}

if (require.main === module) {
  benchRouting().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
