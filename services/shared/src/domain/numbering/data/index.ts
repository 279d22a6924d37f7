/** The numbering plan shipped with the product. */
import type { NumberingPlanData } from "../types";
import { INDONESIA } from "./indonesia";
import { MALAYSIA } from "./malaysia";
import { OTHER_COUNTRIES } from "./other-countries";
import { PHILIPPINES } from "./philippines";
import { SINGAPORE } from "./singapore";
import { THAILAND } from "./thailand";
import { VIETNAM } from "./vietnam";

/** Countries with full range data (types, operators): the product's home markets. */
export const DETAILED_COUNTRIES = ["ID", "PH", "TH", "VN", "MY", "SG"] as const;

export const SHIPPED_PLAN_DATA: NumberingPlanData = {
  countries: Object.fromEntries(
    [INDONESIA, PHILIPPINES, THAILAND, VIETNAM, MALAYSIA, SINGAPORE, ...OTHER_COUNTRIES].map((c) => [
      c.country,
      c,
    ]),
  ),
};
