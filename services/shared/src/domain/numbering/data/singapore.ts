/**
 * Singapore (+65). Eight-digit numbers: 8/9 mobile, 6 fixed, 3 internet telephony (VoIP);
 * 1800 toll free and 1900 premium rate have 11 digits, 800 international toll free 10.
 * Full mobile number portability since 2008, and 4-digit blocks are shared between operators,
 * so the operator is the majority holder of each 3-digit block (derived from the carrier
 * tables of libphonenumber, Apache-2.0): a guess. Mixed blocks carry no operator.
 */
import type { CountryPlan } from "../types";
import { lengths, operatorBlocks, ranges } from "./ranges";

export const SINGAPORE: CountryPlan = {
  country: "SG",
  name: "Singapore",
  callingCode: "65",
  nationalLengths: lengths(8, 11),
  typeLengths: {
    mobile: lengths(8),
    fixed: lengths(8),
    voip: lengths(8),
    premium: lengths(11),
    toll_free: lengths(11),
  },
  rangesExhaustive: true,
  mobileNumberPortability: true,
  operators: [
    { id: "sg-singtel", name: "Singtel" },
    { id: "sg-starhub", name: "StarHub" },
    { id: "sg-m1", name: "M1" },
    { id: "sg-simba", name: "SIMBA (formerly TPG)" },
  ],
  ranges: [
    ...ranges("fixed", "6"),
    ...ranges("mobile", "8 90 91 92 93 94 95 96 97 98"),
    ...ranges("voip", "3 666"),
    ...ranges("toll_free", "800", { lengths: lengths(10) }),
    ...ranges("toll_free", "1800"),
    ...ranges("premium", "1900"),
    ...operatorBlocks("sg-singtel", "812 826 828 830 831 834 835 840 842 843 845 863 865 867 870 873"),
    ...operatorBlocks("sg-singtel", "874 901 903 905 908 911 912 913 915 917 920 923 935 937 939 944"),
    ...operatorBlocks("sg-singtel", "946 961 962 963 964 965 966 967 971 972 973 975 977 978 981 982"),
    ...operatorBlocks("sg-singtel", "983 986 989"),
    ...operatorBlocks("sg-starhub", "811 813 814 815 816 818 820 822 823 824 825 829 833 836 847 849"),
    ...operatorBlocks("sg-starhub", "856 859 860 872 900 902 906 910 914 916 918 924 938 942 945 948"),
    ...operatorBlocks("sg-starhub", "985 988"),
    ...operatorBlocks("sg-m1", "810 817 819 821 827 841 844 846 848 854 855 862 871 878 881 904"),
    ...operatorBlocks("sg-m1", "907 909 919 922 927 932 934 936 943 947 968 969 974 976 979 984"),
    ...operatorBlocks("sg-m1", "987"),
    ...operatorBlocks("sg-simba", "801 806 807 808 880 885 891 895 896"),
  ],
};
