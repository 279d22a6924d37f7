/**
 * Thailand (+66). Mobile numbers are 06/08/09x-xxx-xxxx (9 digits after the country code);
 * landlines 0x-xxx-xxxx (8). Blocks are split between operators at the 4- and 5-digit level
 * and mobile number portability has existed since 2010, so the operator is the majority
 * holder of each 3-digit block (derived from the carrier tables of libphonenumber,
 * Apache-2.0): a guess. Mixed blocks carry no operator.
 */
import type { CountryPlan } from "../types";
import { lengths, operatorBlocks, ranges } from "./ranges";

export const THAILAND: CountryPlan = {
  country: "TH",
  name: "Thailand",
  callingCode: "66",
  nationalLengths: lengths(8, 10),
  typeLengths: {
    mobile: lengths(9),
    fixed: lengths(8),
    voip: lengths(9),
    premium: lengths(10),
    toll_free: lengths(10),
  },
  rangesExhaustive: true,
  mobileNumberPortability: true,
  operators: [
    { id: "th-ais", name: "AIS" },
    { id: "th-true", name: "TrueMove H", group: "True Corporation" },
    { id: "th-dtac", name: "dtac", group: "True Corporation" },
    { id: "th-nt", name: "NT Mobile (National Telecom, formerly TOT and CAT)" },
  ],
  ranges: [
    ...ranges("fixed", "2 3 4 5 7"),
    ...ranges("mobile", "61 62 63 64 65 8 9"),
    // 060 and 068 are allocated to internet telephony.
    ...ranges("voip", "60 68"),
    ...ranges("toll_free", "1800"),
    ...ranges("premium", "1900"),
    ...operatorBlocks("th-ais", "610 611 612 613 614 615 616 621 622 623 624 625 630 631 632 636"),
    ...operatorBlocks("th-ais", "649 650 651 653 654 655 656 659 67 800 801 806 807 808 811 817"),
    ...operatorBlocks("th-ais", "818 819 821 822 828 833 843 844 847 848 849 852 854 856 857 860"),
    ...operatorBlocks("th-ais", "861 862 870 871 872 878 879 883 884 890 892 895 898 899 901 903"),
    ...operatorBlocks("th-ais", "904 908 912 913 916 923 924 925 926 927 928 929 930 931 932 933"),
    ...operatorBlocks("th-ais", "934 935 936 937 979 98"),
    ...operatorBlocks("th-dtac", "617 618 619 620 626 627 628 629 633 634 66 804 805 814 815 816"),
    ...operatorBlocks("th-dtac", "823 824 827 831 836 846 850 851 853 868 869 873 874 875 876 877"),
    ...operatorBlocks("th-dtac", "880 881 888 894 896 897 900 906 911 914 920 921 943 944 945 946"),
    ...operatorBlocks("th-dtac", "947 948 949 950 990 991 992 993 994"),
    ...operatorBlocks("th-true", "637 638 639 802 803 809 820 825 826 829 830 834 838 839 840 841"),
    ...operatorBlocks("th-true", "842 855 858 859 863 864 865 866 886 889 891 902 909 910 917 918"),
    ...operatorBlocks("th-true", "938 939 940 941 952 953 954 955 956 957 958 959 96 970 971 972"),
    ...operatorBlocks("th-true", "995 996 997 998 999"),
    ...operatorBlocks("th-nt", "893 919 974 975 976 977 978"),
  ],
};
