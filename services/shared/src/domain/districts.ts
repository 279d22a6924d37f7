/**
 * Districts are a bounded set. A district comes in as a client's hint on StartVerification and
 * then becomes a metric label and a health key (`health:{d:<district>}`) in every service: left
 * free, one caller could make as many series and keys as it has strings. So issuance maps the hint
 * onto the platform's districts (OTP_DISTRICTS) and anything else to `other`, once, where the hint
 * enters; every event, dispatch, receipt, label and key after it carries one of the set.
 */

/** A hint that names no district the platform knows. */
const OTHER_DISTRICT = "other";
/** No hint at all. */
const UNKNOWN_DISTRICT = "unknown";

/**
 * The districts known when OTP_DISTRICTS is unset: Indonesia's provinces (ISO 3166-2:ID) and the
 * cities the platform's scenarios and simulators speak of (Jakarta's administrative cities and
 * the large cities of Java, Sumatra, Bali and Sulawesi). A deployment lists its own.
 */
export const DEFAULT_DISTRICTS: readonly string[] = [
  ...["AC", "BA", "BB", "BE", "BT", "GO", "JA", "JB", "JI", "JK", "JT", "KB", "KI", "KS", "KT"],
  ...["KU", "KR", "LA", "MA", "MU", "NB", "NT", "PA", "PB", "PD", "PE", "PS", "PT", "RI", "SA"],
  ...["SB", "SG", "SN", "SR", "SS", "ST", "SU", "YO"],
]
  .map((province) => `ID-${province}`)
  .concat([
    ...["JKP", "JKU", "JKB", "JKS", "JKT", "KPS"].map((city) => `ID-JK-${city}`),
    "ID-JB-BDG",
    "ID-JB-BKS",
    "ID-JB-BGR",
    "ID-BT-TNG",
    "ID-JT-SMG",
    "ID-JI-SBY",
    "ID-YO-YOG",
    "ID-SU-MDN",
    "ID-SS-PLG",
    "ID-BA-DPS",
    "ID-SN-MKS",
  ]);

/** At most this many districts: a list is a label set, not a database. */
export const MAX_DISTRICTS = 1000;

export interface DistrictSet {
  /** The district itself when known, `other` when not, `unknown` for no hint. */
  bound(hint: string): string;
  readonly size: number;
}

export function createDistrictSet(districts: readonly string[] = DEFAULT_DISTRICTS): DistrictSet {
  const known = new Set(districts);
  return {
    bound: (hint) => (hint === "" ? UNKNOWN_DISTRICT : known.has(hint) ? hint : OTHER_DISTRICT),
    size: known.size,
  };
}
