/**
 * Countries we know only roughly: calling code, lengths of national numbers and a few ranges
 * (mobile, premium rate...) where they are stable and well known. Enough for geo permissions
 * and pumping rules; numbers matching no range are accepted as type "unknown". Lengths from
 * libphonenumber metadata (Apache-2.0). Operators can add detail with a plan file.
 */
import type { CountryPlan, LengthRange, NumberRange } from "../types";
import { lengths, ranges } from "./ranges";

function country(
  iso: string,
  name: string,
  callingCode: string,
  nationalLengths: LengthRange,
  numberRanges: NumberRange[] = [],
  leadingDigits?: string[],
): CountryPlan {
  return {
    country: iso,
    name,
    callingCode,
    ...(leadingDigits ? { leadingDigits } : {}),
    nationalLengths,
    ranges: numberRanges,
    rangesExhaustive: false,
    mobileNumberPortability: true,
    operators: [],
  };
}

const TEN = lengths(10);

/** North American Numbering Plan (+1): ten digits, area code first. */
const NANP_TOLL_FREE = "800 833 844 855 866 877 888";
const CANADA_AREA_CODES =
  "204 226 236 249 250 257 263 289 306 343 354 365 367 368 382 403 416 418 428 431 437 438 450 " +
  "468 474 506 514 519 548 579 581 584 587 604 613 639 647 672 683 705 709 742 753 778 780 782 " +
  "807 819 825 867 873 879 902 905 942";
const areaCodes = (codes: string) => codes.split(" ");

/** Caribbean and Pacific members of +1: frequent targets of SMS pumping and IRSF. */
const NANP_TERRITORIES: [string, string, string][] = [
  ["AG", "Antigua and Barbuda", "268"],
  ["AI", "Anguilla", "264"],
  ["AS", "American Samoa", "684"],
  ["BB", "Barbados", "246"],
  ["BM", "Bermuda", "441"],
  ["BS", "Bahamas", "242"],
  ["DM", "Dominica", "767"],
  ["DO", "Dominican Republic", "809 829 849"],
  ["GD", "Grenada", "473"],
  ["GU", "Guam", "671"],
  ["JM", "Jamaica", "658 876"],
  ["KN", "Saint Kitts and Nevis", "869"],
  ["KY", "Cayman Islands", "345"],
  ["LC", "Saint Lucia", "758"],
  ["MP", "Northern Mariana Islands", "670"],
  ["MS", "Montserrat", "664"],
  ["PR", "Puerto Rico", "787 939"],
  ["SX", "Sint Maarten", "721"],
  ["TC", "Turks and Caicos Islands", "649"],
  ["TT", "Trinidad and Tobago", "868"],
  ["VC", "Saint Vincent and the Grenadines", "784"],
  ["VG", "British Virgin Islands", "284"],
  ["VI", "U.S. Virgin Islands", "340"],
];

export const OTHER_COUNTRIES: CountryPlan[] = [
  // ASEAN.
  country("BN", "Brunei", "673", lengths(7), [...ranges("fixed", "2"), ...ranges("mobile", "7 8")]),
  country("KH", "Cambodia", "855", lengths(8, 10)),
  country("LA", "Laos", "856", lengths(8, 10), ranges("mobile", "20", { lengths: TEN })),
  country("MM", "Myanmar", "95", lengths(6, 10), ranges("mobile", "9", { lengths: lengths(7, 10) })),
  country("TL", "Timor-Leste", "670", lengths(7, 8), ranges("mobile", "7", { lengths: lengths(8) })),
  // East and South Asia, Oceania.
  country(
    "CN",
    "China",
    "86",
    lengths(7, 12),
    ranges("mobile", "13 14 15 16 17 18 19", { lengths: lengths(11) }),
  ),
  country("HK", "Hong Kong", "852", lengths(5, 11), [
    ...ranges("fixed", "2 3", { lengths: lengths(8) }),
    ...ranges("mobile", "5 6 9", { lengths: lengths(8) }),
  ]),
  country("MO", "Macao", "853", lengths(7, 8), ranges("mobile", "6", { lengths: lengths(8) })),
  country("TW", "Taiwan", "886", lengths(7, 11), ranges("mobile", "9", { lengths: lengths(9) })),
  country("JP", "Japan", "81", lengths(8, 13), [
    ...ranges("mobile", "70 80 90", { lengths: TEN }),
    ...ranges("voip", "50", { lengths: TEN }),
    ...ranges("premium", "990", { lengths: lengths(9) }),
  ]),
  country("KR", "South Korea", "82", lengths(5, 13), [
    ...ranges("mobile", "10", { lengths: lengths(9, 10) }),
    ...ranges("voip", "70", { lengths: TEN }),
  ]),
  country("IN", "India", "91", lengths(8, 13), ranges("mobile", "6 7 8 9", { lengths: TEN })),
  country("BD", "Bangladesh", "880", lengths(6, 10), ranges("mobile", "1", { lengths: TEN })),
  country("PK", "Pakistan", "92", lengths(8, 11), ranges("mobile", "3", { lengths: TEN })),
  country("LK", "Sri Lanka", "94", lengths(9), ranges("mobile", "7")),
  country("NP", "Nepal", "977", lengths(8, 11), ranges("mobile", "9", { lengths: TEN })),
  country("AU", "Australia", "61", lengths(6, 12), [
    ...ranges("fixed", "2 3 7 8", { lengths: lengths(9) }),
    ...ranges("mobile", "4", { lengths: lengths(9) }),
    ...ranges("shared_cost", "13", { lengths: lengths(6, 10) }),
    ...ranges("toll_free", "180", { lengths: lengths(7, 10) }),
    ...ranges("premium", "190", { lengths: TEN }),
  ]),
  country("NZ", "New Zealand", "64", lengths(7, 10), ranges("mobile", "2", { lengths: lengths(8, 10) })),
  // Americas.
  country("US", "United States", "1", TEN, [
    ...ranges("toll_free", NANP_TOLL_FREE),
    ...ranges("premium", "900"),
  ]),
  country("CA", "Canada", "1", TEN, [], areaCodes(CANADA_AREA_CODES)),
  ...NANP_TERRITORIES.map(([iso, name, codes]) => country(iso, name, "1", TEN, [], areaCodes(codes))),
  // Europe.
  country("GB", "United Kingdom", "44", lengths(7, 10), [
    ...ranges("fixed", "1 2", { lengths: lengths(9, 10) }),
    // 070 personal numbers and 076 pagers are not mobile.
    ...ranges("mobile", "71 72 73 74 75 77 78 79", { lengths: TEN }),
    ...ranges("voip", "56", { lengths: TEN }),
    ...ranges("toll_free", "80", { lengths: lengths(9, 10) }),
    ...ranges("shared_cost", "84 87", { lengths: TEN }),
    ...ranges("premium", "9", { lengths: TEN }),
  ]),
  country("DE", "Germany", "49", lengths(5, 13), [
    ...ranges("mobile", "15 16 17", { lengths: lengths(10, 11) }),
    ...ranges("premium", "900", { lengths: lengths(10, 11) }),
  ]),
  country("FR", "France", "33", lengths(9), [
    ...ranges("fixed", "1 2 3 4 5"),
    ...ranges("mobile", "6 7"),
    ...ranges("voip", "9"),
    ...ranges("toll_free", "80"),
    ...ranges("shared_cost", "81 82"),
    ...ranges("premium", "89"),
  ]),
  country("NL", "Netherlands", "31", lengths(7, 11), [
    ...ranges("mobile", "6", { lengths: lengths(9) }),
    ...ranges("premium", "90", { lengths: lengths(7, 10) }),
  ]),
  // Middle East.
  country("AE", "United Arab Emirates", "971", lengths(5, 12), [
    ...ranges("mobile", "5", { lengths: lengths(9) }),
    ...ranges("premium", "900", { lengths: lengths(9) }),
  ]),
  country("SA", "Saudi Arabia", "966", lengths(9, 10), ranges("mobile", "5", { lengths: lengths(9) })),
  country("QA", "Qatar", "974", lengths(7, 11), ranges("mobile", "3 5 6 7", { lengths: lengths(8) })),
];
