/**
 * The virtual population: who arrives when, where, how fast they type, and whether their
 * tower goes dark. Seeded, so both strategies face exactly the same people.
 */
import type { ScenarioFile } from "./scenario-file";

export interface VirtualUser {
  index: number;
  phone: string;
  district: string;
  /** Scenario seconds after the start. */
  arrivalSecond: number;
  typingSeconds: number;
  /** In [0, 1): the user's tower is dark in a phase whose darkShare exceeds it. */
  darkRoll: number;
  /**
   * In [0, 1): the user is on mobile data when a strategy's share exceeds it. From the index, not
   * the seeded sequence, so populations drawn before it existed stay the same.
   */
  dataRoll: number;
}

/** mulberry32: small, fast, good enough for simulation, reproducible from a seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Arrival time of the q-th quantile (0..1) over the window, for a flat or linearly rising rate. */
function arrivalAt(q: number, duration: number, shape: "uniform" | "ramp", rampTo = 1): number {
  if (shape === "uniform" || rampTo === 1) return q * duration;
  // Rate ∝ 1 + (m − 1)·t/D; its integral up to t is t + (m − 1)t²/(2D) = q·D(1 + m)/2.
  const m = rampTo;
  const a = (m - 1) / (2 * duration);
  const c = (-q * duration * (1 + m)) / 2;
  return (-1 + Math.sqrt(1 - 4 * a * c)) / (2 * a);
}

/** The second tenant's users: evenly over the lead and the main window, numbers of their own. */
export function secondTenantPopulation(s: ScenarioFile): VirtualUser[] {
  const second = s.secondTenant;
  if (second === undefined) return [];
  const random = seededRandom(s.seed + 1);
  const seconds = second.leadSeconds + s.arrivals.durationSeconds;
  const count = Math.max(1, Math.round(second.usersPerSecond * seconds));
  const district = s.districts[0]!;
  const [min, max] = s.users.typingSeconds;
  return Array.from({ length: count }, (_, index) => ({
    index,
    // The 9xxxxx block of the first district's prefix: never one of the main crowd's numbers.
    phone: `+${district.prefix}${String(900_000 + index).slice(-6)}`,
    district: district.name,
    arrivalSecond: ((index + 0.5) / count) * seconds,
    typingSeconds: min + (max - min) * random(),
    darkRoll: random(),
    dataRoll: ((Math.imul(index + 1, 2654435761) >>> 0) / 2 ** 32) % 1,
  }));
}

export function buildPopulation(s: ScenarioFile, sizeFactor = 1): VirtualUser[] {
  const random = seededRandom(s.seed);
  const people: Omit<VirtualUser, "arrivalSecond" | "index" | "dataRoll">[] = [];
  for (const d of s.districts) {
    const count = Math.max(1, Math.round(d.population * sizeFactor));
    for (let i = 0; i < count; i++) {
      const [min, max] = s.users.typingSeconds;
      people.push({
        phone: `+${d.prefix}${String(100_000 + i).slice(-6)}`,
        district: d.name,
        typingSeconds: min + (max - min) * random(),
        darkRoll: random(),
      });
    }
  }
  // Shuffle so districts interleave in time, then give each person a quantile of the window.
  for (let i = people.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [people[i], people[j]] = [people[j]!, people[i]!];
  }
  const { durationSeconds, shape, rampTo } = s.arrivals;
  return people.map((p, index) => ({
    ...p,
    index,
    // Fibonacci hashing of the index: evenly spread in [0, 1), the same for every strategy.
    dataRoll: ((Math.imul(index + 1, 2654435761) >>> 0) / 2 ** 32) % 1,
    arrivalSecond:
      (s.secondTenant?.leadSeconds ?? 0) +
      arrivalAt((index + 0.5) / people.length, durationSeconds, shape, rampTo),
  }));
}
