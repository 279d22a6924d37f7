/**
 * Vietnam (+84). Since the 2018 renumbering mobile numbers are 0xx-xxx-xxxx (9 digits after
 * the country code); landlines 02x-xxxx-xxxx (10). Mobile number portability since 2019, so
 * the block operator is a guess. Sources: MIC allocations; libphonenumber (Apache-2.0).
 */
import type { CountryPlan } from "../types";
import { lengths, operatorBlocks, ranges } from "./ranges";

export const VIETNAM: CountryPlan = {
  country: "VN",
  name: "Vietnam",
  callingCode: "84",
  nationalLengths: lengths(8, 10),
  typeLengths: {
    mobile: lengths(9),
    fixed: lengths(10),
    voip: lengths(9),
    premium: lengths(8, 10),
    toll_free: lengths(8, 10),
  },
  rangesExhaustive: true,
  mobileNumberPortability: true,
  operators: [
    { id: "vn-viettel", name: "Viettel" },
    { id: "vn-vinaphone", name: "VinaPhone" },
    { id: "vn-mobifone", name: "MobiFone" },
    { id: "vn-vietnamobile", name: "Vietnamobile" },
    { id: "vn-gmobile", name: "Gmobile (Wintel)" },
    { id: "vn-reddi", name: "Reddi (MVNO)" },
    { id: "vn-itelecom", name: "Itelecom (MVNO)" },
  ],
  ranges: [
    ...ranges("fixed", "2"),
    ...ranges("mobile", "3 51 9"),
    ...ranges("voip", "672"),
    ...ranges("toll_free", "1800"),
    ...ranges("premium", "1900"),
    ...operatorBlocks("vn-viettel", "32 33 34 35 36 37 38 39 86 96 97 98"),
    ...operatorBlocks("vn-vinaphone", "81 82 83 84 85 88 91 94"),
    ...operatorBlocks("vn-mobifone", "70 76 77 78 79 89 90 93"),
    ...operatorBlocks("vn-vietnamobile", "52 56 58 92"),
    ...operatorBlocks("vn-gmobile", "59 99"),
    ...operatorBlocks("vn-reddi", "55"),
    ...operatorBlocks("vn-itelecom", "87 998 999"),
  ],
};
