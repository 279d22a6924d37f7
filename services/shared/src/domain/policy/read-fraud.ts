/**
 * Fraud rules and incident relief. Two things a tenant cannot turn off: premium-rate and
 * shared-cost numbers stay refused for SMS and voice (the SMS pumping and IRSF vectors), VoIP
 * numbers too (NIST SP 800-63B §5.1.3.1: they prove no device); and high-risk purposes never
 * get incident relief.
 */
import { NUMBER_TYPES, type NumberType } from "../numbering/types";
import {
  Problems,
  pathOf,
  readBoolean,
  readList,
  readNumber,
  readSection,
  type JsonObject,
} from "../json/json-reader";
import { DEFAULT_POLICY } from "./defaults";
import { MAX_TTL_SECONDS, PURPOSE_BOUNDS } from "./read-purposes";
import { CHANNELS, RISK_TIERS, type FraudRules, type IncidentRelief, type RiskTierName } from "./types";

const D = DEFAULT_POLICY.fraud;

const ALWAYS_REFUSED_FOR_PSTN: [NumberType, string][] = [
  ["premium", "premium-rate ranges are the SMS pumping and IRSF vector"],
  ["shared_cost", "shared-cost ranges bill the sender"],
  ["voip", "NIST SP 800-63B §5.1.3.1: VoIP numbers prove no device"],
];

function readPumpingGuard(fraud: JsonObject, problems: Problems): FraudRules["pumpingGuard"] {
  const path = "fraud.pumpingGuard";
  const guard = readSection(fraud, "pumpingGuard", "fraud", problems, [
    "enabled",
    "shadowMode",
    "windowSeconds",
    "minSends",
    "minConversion",
    "blockDurationSeconds",
  ]);
  const d = D.pumpingGuard;
  return {
    enabled: readBoolean(guard, "enabled", path, problems, d.enabled),
    shadowMode: readBoolean(guard, "shadowMode", path, problems, d.shadowMode),
    windowSeconds: readNumber(guard, "windowSeconds", path, problems, d.windowSeconds, {
      min: 60,
      max: 86_400,
      unit: "s",
    }),
    minSends: readNumber(guard, "minSends", path, problems, d.minSends, { min: 1, max: 100_000 }),
    minConversion: readNumber(guard, "minConversion", path, problems, d.minConversion, {
      min: 0,
      max: 1,
      integer: false,
    }),
    blockDurationSeconds: readNumber(guard, "blockDurationSeconds", path, problems, d.blockDurationSeconds, {
      min: 60,
      max: 30 * 86_400,
      unit: "s",
    }),
  };
}

function readRefusedTypes(fraud: JsonObject, problems: Problems): FraudRules["refusedNumberTypes"] {
  const path = "fraud.refusedNumberTypes";
  const refused = readSection(fraud, "refusedNumberTypes", "fraud", problems, CHANNELS);
  const isType = (t: unknown) =>
    typeof t === "string" && (NUMBER_TYPES as readonly string[]).includes(t)
      ? undefined
      : `expected one of ${NUMBER_TYPES.join(", ")}`;
  const result = {
    whatsapp: readList<NumberType>(
      refused,
      "whatsapp",
      path,
      problems,
      D.refusedNumberTypes.whatsapp,
      isType,
    ),
    sms: readList<NumberType>(refused, "sms", path, problems, D.refusedNumberTypes.sms, isType),
    voice: readList<NumberType>(refused, "voice", path, problems, D.refusedNumberTypes.voice, isType),
    silent: readList<NumberType>(refused, "silent", path, problems, D.refusedNumberTypes.silent, isType),
  };
  for (const channel of ["sms", "voice"] as const) {
    for (const [type, why] of ALWAYS_REFUSED_FOR_PSTN) {
      if (!result[channel].includes(type))
        problems.at(pathOf(path, channel), `must include ${type} (${why})`);
    }
  }
  return result;
}

export function readFraud(root: JsonObject, problems: Problems): FraudRules {
  const fraud = readSection(root, "fraud", "", problems, ["pumpingGuard", "refusedNumberTypes"]);
  return {
    pumpingGuard: readPumpingGuard(fraud, problems),
    refusedNumberTypes: readRefusedTypes(fraud, problems),
  };
}

export function readIncident(root: JsonObject, problems: Problems): IncidentRelief {
  const path = "incident";
  const incident = readSection(root, "incident", "", problems, [
    "riskTiers",
    "extendTtlSeconds",
    "extendResendWindow",
  ]);
  const d = DEFAULT_POLICY.incident;
  const riskTiers = readList<RiskTierName>(incident, "riskTiers", path, problems, d.riskTiers, (tier) => {
    if (tier === "high") return "high-risk purposes never loosen in incident mode";
    return typeof tier === "string" && (RISK_TIERS as readonly string[]).includes(tier)
      ? undefined
      : "expected low or medium";
  });
  return {
    riskTiers,
    extendTtlSeconds: readNumber(incident, "extendTtlSeconds", path, problems, d.extendTtlSeconds, {
      min: 0,
      max: MAX_TTL_SECONDS - PURPOSE_BOUNDS.ttlSeconds.min,
      unit: "s",
      maxWhy: `codes never live beyond ${MAX_TTL_SECONDS} s; the extension is capped there anyway`,
    }),
    extendResendWindow: readBoolean(incident, "extendResendWindow", path, problems, d.extendResendWindow),
  };
}
