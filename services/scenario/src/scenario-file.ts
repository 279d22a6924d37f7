/**
 * A scenario as data (scenarios/<name>.json): districts and their population, how users arrive,
 * how the networks behave per phase and district, how users behave, which strategies to compare
 * and what each channel costs. Times are in scenario seconds; the runner compresses them.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { OtpError } from "@domain/errors";
import type { WorkflowStep } from "@domain/policy/types";

export interface District {
  name: string;
  /** Digits without "+", 7 of them: the user's numbers are this prefix + 6 digits. */
  prefix: string;
  population: number;
  /** Reported apart ("affected districts"), e.g. the blacked-out ones. */
  affected: boolean;
}

/** How one district's networks behave during a phase. */
export interface NetworkConditions {
  /** Share of WhatsApp messages that reach the handset (the rest stay "sent"). Default 1. */
  whatsappDelivery?: number;
  /** SMS delay to the handset, median, scenario seconds (default 3). */
  smsDelaySeconds?: number;
  /** Share of SMS that never arrive (receipt EXPIRED). Default 0. */
  smsLoss?: number;
  /** Share of voice calls not answered. Default 0. */
  voiceNoAnswer?: number;
  /** Share of the district's numbers unreachable on every channel (towers dark). Default 0. */
  darkShare?: number;
  /** Delay distributions per channel, scenario seconds (`delays.sms` overrides `smsDelaySeconds`). */
  delays?: Partial<Record<ChannelName, { p50: number; p95: number }>>;
  /**
   * Per route, keyed "<channel>/<route>" (e.g. strategy A's "sms/intl-multihop"): the share the
   * route delivers of what the channel would, and delay added to the channel's.
   */
  routes?: Record<string, { delivery?: number; extraDelay?: { p50: number; p95: number } }>;
  /**
   * The operators' Open Gateway is out for devices in the district (mobile data congests first):
   * silent authorization answers temporarily_unavailable. Default false.
   */
  openGatewayDown?: boolean;
}

export interface Phase {
  name: string;
  atSecond: number;
  /** District name → conditions; "*" applies to districts not named. */
  network: Record<string, NetworkConditions>;
  /** Conditions move linearly from the previous phase's to this one's over this long (a gradual recovery). */
  rampSeconds?: number;
}

/** Shares (0..1) of users with traits that no outage explains. */
export interface UserTraits {
  /** Mobile data off to save battery: WhatsApp does not reach them; SMS and calls do. */
  dataOffShare?: number;
  /** Not on WhatsApp: the send fails at once. */
  notOnWhatsAppShare?: number;
  /** Phone off: nothing reaches them. */
  phoneOffShare?: number;
}

export interface UserBehaviour {
  /** Seconds from seeing the code to having typed it: uniform in [min, max]. */
  typingSeconds: [number, number];
  /** Press "resend" after this long without a code (0: never). */
  resendAfterSeconds: number;
  maxResends: number;
  /** After this long without being verified, start over from scratch (0: never). */
  restartAfterSeconds: number;
  maxRestarts: number;
  /** Give up entirely after this long. */
  giveUpAfterSeconds: number;
  traits?: UserTraits;
}

export interface Strategy {
  id: string;
  label: string;
  /** A named workflow of the default policy ("default") or the steps themselves. */
  workflow: string | WorkflowStep[];
  /** How its SMS route behaves on top of the district's conditions (e.g. a multi-hop route). */
  smsRoute?: { extraDelaySeconds?: number; extraLoss?: number };
  /** Per-channel prices overriding the scenario's (e.g. the international SMS rate). */
  prices?: Partial<Record<ChannelName, number>>;
  /**
   * Share (0..1) of users whose phone is on mobile data when they start: with a workflow that
   * starts with `silent`, their app opens the network authorization URL (default 0).
   */
  mobileDataShare?: number;
  /**
   * What an impatient user's repeated tap does: by default the client sends the same
   * StartVerification and gets the active verification back (`reused`, nothing sent); with
   * `tapAsksNewCode` it sets `resend_if_active`, as a naive integration would, so each tap asks
   * for another code (within the resend cooldown and send caps).
   */
  tapAsksNewCode?: boolean;
}

export type ChannelName = "whatsapp" | "sms" | "voice";

export interface ScenarioFile {
  name: string;
  description: string;
  /** Wall seconds per scenario second when --scale is not given. */
  defaultScale: number;
  seed: number;
  purpose: string;
  locale: string;
  districts: District[];
  arrivals: {
    durationSeconds: number;
    shape: "uniform" | "ramp";
    rampTo?: number;
    /** Simulated clock: arrivals per minute per district, piecewise constant from each `atSecond`. */
    perDistrict?: Record<string, { atSecond: number; perMinute: number }[]>;
  };
  /** Simulated clock: how long to run (default: arrivals' duration + observeSeconds). */
  simulatedSeconds?: number;
  /** The strategy the oracle copies (same workflow, true channel states): default the last one. */
  oracleOf?: string;
  /** How long to keep watching after the last arrival. */
  observeSeconds: number;
  phases: Phase[];
  users: UserBehaviour;
  strategies: Strategy[];
  prices: Record<ChannelName, number>;
  currency: string;
  /** Issuance's concurrency limit (ISSUANCE_MAX_IN_FLIGHT) for the run. */
  maxInFlight: number;
  /** Routing health settings in scenario seconds, scaled like everything else. */
  health: { minSamples: number; windowSeconds: number; bucketSeconds: number; minDwellSeconds: number };
  /** Policy sections merged into the tenant's policy as they are (limits...). */
  policy?: Record<string, unknown>;
  /**
   * Another tenant on the same platform at its normal rate, through the whole run: its users
   * arrive evenly from the start, `leadSeconds` before the main arrivals begin, so the report
   * has its figures before the main crowd and beside it. Same policy and user behaviour.
   */
  secondTenant?: { usersPerSecond: number; leadSeconds: number };
}

const SCENARIO_DIR = resolve(__dirname, "../../../scenarios");

/** A shipped scenario by name (scenarios/<name>.json) or a path to the user's own file. */
export function loadScenario(nameOrPath: string): ScenarioFile {
  const shipped = join(SCENARIO_DIR, `${nameOrPath}.json`);
  const path = existsSync(shipped) ? shipped : resolve(nameOrPath);
  if (!existsSync(path))
    throw new OtpError("CONFIG_INVALID", `no scenario "${nameOrPath}" (looked in ${SCENARIO_DIR})`);
  return checkScenario(JSON.parse(readFileSync(path, "utf8")) as unknown, path);
}

function need(ok: boolean, where: string, what: string): void {
  if (!ok) throw new OtpError("CONFIG_INVALID", `scenario ${where}: ${what}`);
}

const isNum = (v: unknown, min = 0): v is number => typeof v === "number" && Number.isFinite(v) && v >= min;

/** Checks the fields the runner relies on; the rest is typed data. */
export function checkScenario(raw: unknown, where: string): ScenarioFile {
  need(typeof raw === "object" && raw !== null, where, "must be an object");
  const s = raw as ScenarioFile;
  need(typeof s.name === "string", where, "needs a name");
  need(isNum(s.defaultScale) && s.defaultScale > 0, where, "defaultScale must be > 0");
  need(Array.isArray(s.districts) && s.districts.length > 0, where, "needs districts");
  for (const d of s.districts) {
    need(/^\d{7}$/.test(d.prefix), `${where} districts.${d.name}`, "prefix must be 7 digits");
    need(isNum(d.population, 1), `${where} districts.${d.name}`, "population must be ≥ 1");
  }
  need(isNum(s.arrivals?.durationSeconds), where, "arrivals.durationSeconds must be ≥ 0");
  need(Array.isArray(s.phases) && s.phases.length > 0, where, "needs phases");
  for (const phase of s.phases ?? []) {
    for (const [district, c] of Object.entries(phase.network ?? {})) {
      const down = c.openGatewayDown;
      need(
        down === undefined || typeof down === "boolean",
        `${where} phases.${phase.name}.network.${district}`,
        "openGatewayDown must be true or false",
      );
    }
  }
  need(Array.isArray(s.strategies) && s.strategies.length > 0, where, "needs strategies");
  for (const st of s.strategies ?? []) {
    const share = st.mobileDataShare;
    need(
      share === undefined || (typeof share === "number" && share >= 0 && share <= 1),
      where,
      `strategy ${st.id}: mobileDataShare must be in 0..1`,
    );
  }
  need(
    Array.isArray(s.users?.typingSeconds) && s.users.typingSeconds.length === 2,
    where,
    "users.typingSeconds is [min, max]",
  );
  for (const c of ["whatsapp", "sms", "voice"] as const)
    need(isNum(s.prices?.[c]), where, `prices.${c} missing`);
  need(isNum(s.maxInFlight, 1), where, "maxInFlight must be ≥ 1");
  checkFidelity(s, where);
  return s;
}

const isShare = (v: unknown): boolean => v === undefined || (typeof v === "number" && v >= 0 && v <= 1);

function checkDelay(v: unknown, where: string, field: string): void {
  if (v === undefined) return;
  const d = v as { p50?: unknown; p95?: unknown };
  need(typeof d === "object" && d !== null, where, `${field} must be { p50, p95 }`);
  need(isNum(d.p50), where, `${field}.p50 must be a number of seconds ≥ 0`);
  need(isNum(d.p95) && d.p95 >= (d.p50 as number), where, `${field}.p95 must be ≥ ${field}.p50`);
}

/** The fields of a faithful scenario: each error names the field. */
function checkFidelity(s: ScenarioFile, where: string): void {
  const districts = new Set(s.districts.map((d) => d.name));
  s.phases.forEach((phase, i) => {
    const at = `phases[${i}]`;
    need(isNum(phase.atSecond), where, `${at}.atSecond must be a number ≥ 0`);
    need(phase.rampSeconds === undefined || isNum(phase.rampSeconds), where, `${at}.rampSeconds must be ≥ 0`);
    for (const [name, c] of Object.entries(phase.network ?? {})) {
      const base = `${at}.network.${name}`;
      need(name === "*" || districts.has(name), where, `${base}: no district "${name}"`);
      for (const field of ["whatsappDelivery", "smsLoss", "voiceNoAnswer", "darkShare"] as const)
        need(isShare(c[field]), where, `${base}.${field} must be in 0..1`);
      need(
        c.smsDelaySeconds === undefined || isNum(c.smsDelaySeconds),
        where,
        `${base}.smsDelaySeconds must be ≥ 0`,
      );
      for (const [channel, d] of Object.entries(c.delays ?? {})) {
        need(
          ["whatsapp", "sms", "voice"].includes(channel),
          where,
          `${base}.delays.${channel}: no such channel`,
        );
        checkDelay(d, where, `${base}.delays.${channel}`);
      }
      for (const [route, r] of Object.entries(c.routes ?? {})) {
        need(
          /^(whatsapp|sms|voice)\/[A-Za-z0-9._-]+$/.test(route),
          where,
          `${base}.routes.${route}: keys are "<channel>/<route>"`,
        );
        need(isShare(r.delivery), where, `${base}.routes.${route}.delivery must be in 0..1`);
        checkDelay(r.extraDelay, where, `${base}.routes.${route}.extraDelay`);
      }
    }
  });
  for (const field of ["dataOffShare", "notOnWhatsAppShare", "phoneOffShare"] as const)
    need(isShare(s.users.traits?.[field]), where, `users.traits.${field} must be in 0..1`);
  for (const [name, schedule] of Object.entries(s.arrivals.perDistrict ?? {})) {
    need(districts.has(name), where, `arrivals.perDistrict.${name}: no such district`);
    need(
      Array.isArray(schedule),
      where,
      `arrivals.perDistrict.${name} must be a list of { atSecond, perMinute }`,
    );
    schedule.forEach((p, i) => {
      need(isNum(p.atSecond), where, `arrivals.perDistrict.${name}[${i}].atSecond must be ≥ 0`);
      need(isNum(p.perMinute), where, `arrivals.perDistrict.${name}[${i}].perMinute must be ≥ 0`);
    });
  }
  need(
    s.simulatedSeconds === undefined || isNum(s.simulatedSeconds, 1),
    where,
    "simulatedSeconds must be ≥ 1",
  );
  need(
    s.oracleOf === undefined || s.strategies.some((st) => st.id === s.oracleOf),
    where,
    `oracleOf: no strategy "${s.oracleOf}"`,
  );
}
