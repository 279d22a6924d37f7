/**
 * What the scenario file says about the world, at any simulated moment: the conditions of each
 * channel and route in each district (phases, with gradual ramps between them), delays drawn
 * from p50/p95, users' traits and arrivals per district over time. Pure and seeded.
 */
import type { ChannelName, Phase, ScenarioFile } from "../scenario-file";

export interface Delay {
  p50: number;
  p95: number;
}

/** The true state of one district's channels at one moment. */
export interface TrueConditions {
  delivery: Record<ChannelName, number>;
  delay: Record<ChannelName, Delay>;
  /** Per route ("sms/intl-multihop"): delivery multiplies the channel's, delay adds to it. */
  routes: Record<string, { delivery: number; extraDelay: Delay }>;
  darkShare: number;
}

const DEFAULT_DELAY: Record<ChannelName, Delay> = {
  whatsapp: { p50: 1.5, p95: 4 },
  sms: { p50: 3, p95: 8 },
  voice: { p50: 8, p95: 15 },
};

/** The conditions a phase sets for a district, before any ramp. */
function phaseConditions(s: ScenarioFile, phase: Phase, district: string): TrueConditions {
  const c = { ...phase.network["*"], ...phase.network[district] };
  const smsDelay = c.delays?.sms ?? {
    p50: c.smsDelaySeconds ?? DEFAULT_DELAY.sms.p50,
    p95: (c.smsDelaySeconds ?? DEFAULT_DELAY.sms.p50) * 2.5,
  };
  const strategyRoutes = Object.fromEntries(
    s.strategies.flatMap((st) =>
      typeof st.workflow === "string" || !st.smsRoute
        ? []
        : st.workflow
            .filter((step) => step.channel === "sms" && step.route)
            .map((step) => [
              `sms/${step.route}`,
              {
                delivery: 1 - (st.smsRoute?.extraLoss ?? 0),
                extraDelay: {
                  p50: st.smsRoute?.extraDelaySeconds ?? 0,
                  p95: (st.smsRoute?.extraDelaySeconds ?? 0) * 2,
                },
              },
            ]),
    ),
  );
  const routes = { ...strategyRoutes };
  for (const [key, r] of Object.entries(c.routes ?? {})) {
    routes[key] = {
      delivery: r.delivery ?? routes[key]?.delivery ?? 1,
      extraDelay: r.extraDelay ?? routes[key]?.extraDelay ?? { p50: 0, p95: 0 },
    };
  }
  return {
    delivery: {
      whatsapp: c.whatsappDelivery ?? 1,
      sms: 1 - (c.smsLoss ?? 0),
      voice: 1 - (c.voiceNoAnswer ?? 0),
    },
    delay: {
      whatsapp: c.delays?.whatsapp ?? DEFAULT_DELAY.whatsapp,
      sms: smsDelay,
      voice: c.delays?.voice ?? DEFAULT_DELAY.voice,
    },
    routes,
    darkShare: c.darkShare ?? 0,
  };
}

const mix = (a: number, b: number, f: number): number => a + (b - a) * f;
const mixDelay = (a: Delay, b: Delay, f: number): Delay => ({
  p50: mix(a.p50, b.p50, f),
  p95: mix(a.p95, b.p95, f),
});

/** The conditions at `second`: the current phase's, ramped from the previous phase's over its `rampSeconds`. */
export function conditionsAt(s: ScenarioFile, district: string, second: number): TrueConditions {
  const index = s.phases.findLastIndex((p) => p.atSecond <= second);
  const phase = s.phases[Math.max(0, index)]!;
  const target = phaseConditions(s, phase, district);
  const ramp = phase.rampSeconds ?? 0;
  if (index <= 0 || ramp <= 0 || second >= phase.atSecond + ramp) return target;
  const from = phaseConditions(s, s.phases[index - 1]!, district);
  const f = (second - phase.atSecond) / ramp;
  const channels = ["whatsapp", "sms", "voice"] as const;
  return {
    delivery: Object.fromEntries(
      channels.map((c) => [c, mix(from.delivery[c], target.delivery[c], f)]),
    ) as TrueConditions["delivery"],
    delay: Object.fromEntries(
      channels.map((c) => [c, mixDelay(from.delay[c], target.delay[c], f)]),
    ) as TrueConditions["delay"],
    routes: Object.fromEntries(
      Object.entries(target.routes).map(([k, r]) => {
        const prev = from.routes[k] ?? r;
        return [
          k,
          {
            delivery: mix(prev.delivery, r.delivery, f),
            extraDelay: mixDelay(prev.extraDelay, r.extraDelay, f),
          },
        ];
      }),
    ),
    darkShare: mix(from.darkShare, target.darkShare, f),
  };
}

/** A log-normal delay with the given median and 95th percentile, from a uniform draw and a normal one. */
export function sampleDelay(d: Delay, normal: number): number {
  if (d.p50 <= 0) return Math.max(0, d.p95 > 0 ? (d.p95 * Math.abs(normal)) / 1.645 : 0);
  const sigma = d.p95 > d.p50 ? Math.log(d.p95 / d.p50) / 1.645 : 0;
  return d.p50 * Math.exp(sigma * normal);
}

/** A standard normal from two uniforms (Box–Muller). */
export function normalFrom(u1: number, u2: number): number {
  return Math.sqrt(-2 * Math.log(Math.max(1e-12, u1))) * Math.cos(2 * Math.PI * u2);
}

/** Arrivals per minute in a district at `second`: its own schedule, else the population spread over the window. */
export function arrivalRate(s: ScenarioFile, district: string, second: number): number {
  const schedule = s.arrivals.perDistrict?.[district];
  if (schedule) return schedule.findLast((p) => p.atSecond <= second)?.perMinute ?? 0;
  const d = s.districts.find((x) => x.name === district)!;
  const duration = Math.max(1, s.arrivals.durationSeconds);
  return second < duration ? (d.population / duration) * 60 : 0;
}
