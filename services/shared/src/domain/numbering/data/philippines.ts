/**
 * Philippines (+63). Mobile numbers are 09xx-xxx-xxxx (10 digits after the country code);
 * Metro Manila landlines 02-8xxx-xxxx. Mobile number portability since September 2021, so the
 * block operator is a guess. Sources: NTC allocations; libphonenumber metadata (Apache-2.0).
 */
import type { CountryPlan } from "../types";
import { lengths, operatorBlocks, ranges } from "./ranges";

export const PHILIPPINES: CountryPlan = {
  country: "PH",
  name: "Philippines",
  callingCode: "63",
  nationalLengths: lengths(9, 13),
  typeLengths: {
    mobile: lengths(10),
    fixed: lengths(9),
    toll_free: lengths(11, 13),
  },
  rangesExhaustive: true,
  mobileNumberPortability: true,
  operators: [
    { id: "ph-globe", name: "Globe Telecom (Globe, TM)" },
    { id: "ph-smart", name: "Smart Communications (Smart, TNT, Sun)" },
    { id: "ph-dito", name: "DITO Telecommunity" },
  ],
  ranges: [
    ...ranges("fixed", "2 3 4 5 6 7"),
    // Mindanao area codes (082 Davao, 088 Cagayan de Oro...): 10 digits.
    ...ranges("fixed", "82 83 84 85 86 87 88", { lengths: lengths(10) }),
    ...ranges("mobile", "9"),
    ...operatorBlocks("ph-globe", "817 905 906 914 915 916 917 926 927 935 936 937 945"),
    ...operatorBlocks("ph-globe", "952 953 954 955 956 957 959 965 966 967 971 972"),
    ...operatorBlocks("ph-globe", "975 976 977 978 983 986 987 995 996 997"),
    ...operatorBlocks("ph-smart", "813 907 908 909 910 911 912 918 919 920 921 922 923 925"),
    ...operatorBlocks("ph-smart", "928 929 930 931 932 933 938 939 940 941 942 943 946 947"),
    ...operatorBlocks("ph-smart", "948 949 950 951 958 960 961 962 963 964 968 969 970 981"),
    ...operatorBlocks("ph-smart", "985 988 998 999"),
    ...operatorBlocks("ph-dito", "895 896 897 898 924 934 944 991 992 993 994"),
    ...ranges("toll_free", "1800"),
  ],
};
