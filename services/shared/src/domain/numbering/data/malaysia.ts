/**
 * Malaysia (+60). Mobile numbers are 01x-xxx xxxx (9 digits after the country code; 011 and
 * some 014/018/019 blocks have 10); landlines 03-xxxx xxxx (9) and 0x-xxx xxxx (8) elsewhere.
 * 1-300 / 1-700 numbers are shared cost, 1-600 premium, 1-800 toll free; 015 is allocated to
 * internet telephony. Mobile number portability since 2008 and blocks are split between
 * operators and MVNOs, so the operator is the majority holder of each block (derived from the
 * carrier tables of libphonenumber, Apache-2.0; Celcom and DiGi merged into CelcomDigi):
 * a guess. MVNO-dominated and mixed blocks carry no operator.
 */
import type { CountryPlan } from "../types";
import { lengths, operatorBlocks, ranges } from "./ranges";

const TEN = lengths(10);

export const MALAYSIA: CountryPlan = {
  country: "MY",
  name: "Malaysia",
  callingCode: "60",
  nationalLengths: lengths(8, 10),
  typeLengths: {
    mobile: lengths(9),
    fixed: lengths(8),
    voip: lengths(9, 10),
    premium: TEN,
    shared_cost: TEN,
    toll_free: TEN,
  },
  rangesExhaustive: true,
  mobileNumberPortability: true,
  operators: [
    { id: "my-maxis", name: "Maxis (Hotlink)" },
    { id: "my-celcomdigi", name: "CelcomDigi" },
    { id: "my-umobile", name: "U Mobile" },
    { id: "my-yes", name: "Yes (YTL)" },
    { id: "my-unifi", name: "unifi Mobile (TM)" },
  ],
  ranges: [
    ...ranges("fixed", "3", { lengths: lengths(9) }),
    ...ranges("fixed", "4 5 6 7 8 9"),
    // Blocks without a majority operator; 12, 13, 16 and 19 are whole-operator blocks below.
    ...ranges("mobile", "10 17"),
    ...ranges("mobile", "11", { lengths: TEN }),
    ...ranges("mobile", "14 18", { lengths: lengths(9, 10) }),
    ...ranges("voip", "15"),
    // Same first digits as mobile blocks (013, 016, 017, 018) but one digit longer.
    ...ranges("shared_cost", "1300 1700"),
    ...ranges("premium", "1600"),
    ...ranges("toll_free", "1800"),
    ...operatorBlocks("my-maxis", "12 142 147 171 172 173 174 175 176 177 178 179 1042 1043 1070 1071 1089"),
    ...operatorBlocks("my-maxis", "1112 1123 1125", TEN),
    ...operatorBlocks("my-celcomdigi", "19", lengths(9, 10)),
    ...operatorBlocks("my-celcomdigi", "13 16 102 109 143 145 146 148 149"),
    ...operatorBlocks("my-celcomdigi", "1036 1037 1038 1039 1040 1041 1046 1056 1057 1058 1059 1066"),
    ...operatorBlocks("my-celcomdigi", "1076 1082 1088"),
    ...operatorBlocks("my-celcomdigi", "1116 1119 1122 1126 1129 1131 1132 1133 1136 1140 1141", TEN),
    ...operatorBlocks("my-celcomdigi", "1150 1151 1154 1170 1171", TEN),
    ...operatorBlocks("my-umobile", "182 184 1831 1832 1835 1836 1837 1838 1839 1857 1866 1876"),
    ...operatorBlocks("my-umobile", "1877 1878 1887 1890 1891 1894 1895 1896 1897 1898 1899"),
    ...operatorBlocks("my-umobile", "1111 1121 1128 1137 1138 1139 1142 1160 1161 1169", TEN),
    ...operatorBlocks("my-yes", "1830 1833 1834 1858 1859 1860 1861 1862 1863 1864 1865 1867"),
    ...operatorBlocks("my-yes", "1868 1869 1870 1871 1880 1881 1882 1892 1893"),
    ...operatorBlocks("my-yes", "1130 1165 1166 1167 1173 1174 1175", TEN),
    ...operatorBlocks("my-unifi", "1035 1044 1045 1055"),
    ...operatorBlocks("my-unifi", "1168", TEN),
  ],
};
