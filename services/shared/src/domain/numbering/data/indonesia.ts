/**
 * Indonesia (+62). Mobile numbers are 08xx-xxxx-xxx(xx): "8" and 8 to 11 more digits.
 * Indonesia has no mobile number portability, so the block operator is the operator.
 * Sources: Kominfo allocations as published by the operators; libphonenumber metadata
 * (Apache-2.0) for lengths and special ranges.
 */
import type { CountryPlan } from "../types";
import { lengths, operatorBlocks, ranges } from "./ranges";

export const INDONESIA: CountryPlan = {
  country: "ID",
  name: "Indonesia",
  callingCode: "62",
  nationalLengths: lengths(7, 12),
  typeLengths: {
    mobile: lengths(9, 12),
    fixed: lengths(7, 11),
    premium: lengths(10),
    shared_cost: lengths(10),
    toll_free: lengths(8, 10),
  },
  rangesExhaustive: true,
  mobileNumberPortability: false,
  operators: [
    { id: "id-telkomsel", name: "Telkomsel" },
    { id: "id-indosat", name: "Indosat Ooredoo", group: "Indosat Ooredoo Hutchison" },
    { id: "id-tri", name: "Tri (3)", group: "Indosat Ooredoo Hutchison" },
    { id: "id-xl", name: "XL Axiata", group: "XLSmart" },
    { id: "id-axis", name: "AXIS", group: "XLSmart" },
    { id: "id-smartfren", name: "Smartfren", group: "XLSmart" },
  ],
  ranges: [
    // Geographic numbers: area code (21 Jakarta, 22 Bandung, 31 Surabaya...) + subscriber.
    ...ranges("fixed", "2 3 4 5 6 7 9"),
    // Mobile blocks without a listed operator still are mobile (new or satellite allocations).
    ...ranges("mobile", "81 82 83 85 86 87 88 89"),
    ...operatorBlocks("id-telkomsel", "811 812 813 821 822 823 851 852 853"),
    ...operatorBlocks("id-indosat", "814 815 816 855 856 857 858"),
    ...operatorBlocks("id-tri", "895 896 897 898 899"),
    ...operatorBlocks("id-xl", "817 818 819 859 877 878 879"),
    ...operatorBlocks("id-axis", "831 832 833 838"),
    ...operatorBlocks("id-smartfren", "881 882 883 884 885 886 887 888 889"),
    ...ranges("toll_free", "800 177"),
    ...ranges("premium", "809"),
    // 0804 shared cost; 0807-1 and 1500-xxx are universal access numbers billed to the caller.
    ...ranges("shared_cost", "804 8071"),
    ...ranges("shared_cost", "1500", { lengths: lengths(7) }),
  ],
};
