/** Rate limits and geo permissions. */
import { Problems, pathOf, readList, readNumber, readSection, type JsonObject } from "../json/json-reader";
import { DEFAULT_POLICY } from "./defaults";
import type { GeoPermissions, RateLimits } from "./types";

const D = DEFAULT_POLICY.limits;
const COUNT = (max: number) => ({ min: 1, max });

export function readLimits(root: JsonObject, problems: Problems): RateLimits {
  const limits = readSection(root, "limits", "", problems, [
    "perPhone",
    "perTenant",
    "perClientIp",
    "perDevice",
    "perDestinationPrefix",
    "perCountry",
  ]);
  const sub = (key: keyof RateLimits, fields: string[]) => ({
    obj: readSection(limits, key, "limits", problems, fields),
    path: pathOf("limits", key),
  });
  const phone = sub("perPhone", ["sendsPerHour", "startsPer10Minutes"]);
  const tenant = sub("perTenant", ["requestsPerSecond", "burst"]);
  const ip = sub("perClientIp", ["startsPerMinute"]);
  const device = sub("perDevice", ["startsPerMinute"]);
  const prefix = sub("perDestinationPrefix", ["prefixDigits", "sendsPerMinute"]);
  const country = sub("perCountry", ["sendsPerMinute"]);
  const read = (
    s: { obj: JsonObject; path: string },
    key: string,
    fallback: number,
    rule: { min: number; max: number },
  ) => readNumber(s.obj, key, s.path, problems, fallback, rule);

  const result: RateLimits = {
    perPhone: {
      sendsPerHour: read(phone, "sendsPerHour", D.perPhone.sendsPerHour, COUNT(100)),
      startsPer10Minutes: read(phone, "startsPer10Minutes", D.perPhone.startsPer10Minutes, COUNT(50)),
    },
    perTenant: {
      requestsPerSecond: read(tenant, "requestsPerSecond", D.perTenant.requestsPerSecond, COUNT(100_000)),
      burst: read(tenant, "burst", D.perTenant.burst, COUNT(1_000_000)),
    },
    perClientIp: {
      startsPerMinute: read(ip, "startsPerMinute", D.perClientIp.startsPerMinute, COUNT(10_000)),
    },
    perDevice: { startsPerMinute: read(device, "startsPerMinute", D.perDevice.startsPerMinute, COUNT(1000)) },
    perDestinationPrefix: {
      prefixDigits: read(prefix, "prefixDigits", D.perDestinationPrefix.prefixDigits, { min: 4, max: 12 }),
      sendsPerMinute: read(prefix, "sendsPerMinute", D.perDestinationPrefix.sendsPerMinute, COUNT(100_000)),
    },
    perCountry: {
      sendsPerMinute: read(country, "sendsPerMinute", D.perCountry.sendsPerMinute, COUNT(1_000_000)),
    },
  };
  if (result.perTenant.burst < result.perTenant.requestsPerSecond) {
    problems.at(
      pathOf(tenant.path, "burst"),
      `${result.perTenant.burst} is below requestsPerSecond ${result.perTenant.requestsPerSecond}`,
    );
  }
  return result;
}

export function readGeo(
  root: JsonObject,
  problems: Problems,
  knownCountries?: ReadonlySet<string>,
): GeoPermissions {
  const geo = readSection(root, "geo", "", problems, ["allowedCountries"]);
  const allowedCountries = readList<string>(
    geo,
    "allowedCountries",
    "geo",
    problems,
    DEFAULT_POLICY.geo.allowedCountries,
    (item) => {
      if (typeof item !== "string" || !/^[A-Z]{2}$/.test(item))
        return "expected an ISO 3166-1 alpha-2 code such as ID";
      return knownCountries && !knownCountries.has(item) ? `${item} is not in the numbering plan` : undefined;
    },
  );
  if (allowedCountries.length === 0) problems.at("geo.allowedCountries", "at least one country is required");
  return { allowedCountries };
}
