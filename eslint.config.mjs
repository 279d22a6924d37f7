import js from "@eslint/js";
import tseslint from "typescript-eslint";
import fences from "./eslint/fences.mjs";

export default tseslint.config(
  // patches/: replacement files for installed dependencies, in their CommonJS (patches/README.md).
  { ignores: ["node_modules/", "dist/", ".cache/", "proto/gen/", "**/*.mjs", "patches/"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/switch-exhaustiveness-check": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/require-await": "off",
      "@typescript-eslint/restrict-template-expressions": [
        "error",
        { allowNumber: true, allowBoolean: true },
      ],
      "no-console": "error",
    },
  },
  {
    // A function reads on one screen (STYLE.md): a factory's helpers live at module level, with
    // the state they share passed in. Test files are exempt: there a describe block lists its
    // cases (a suite shared by several test files groups its cases in functions of its own).
    files: ["**/*.ts"],
    ignores: ["**/*.test.ts"],
    rules: {
      "max-lines-per-function": [
        "error",
        { max: 100, skipBlankLines: true, skipComments: true, IIFEs: true },
      ],
    },
  },
  {
    // Which part may import which (eslint/fences.mjs says why).
    plugins: { fences },
    rules: { "fences/boundaries": "error" },
  },
  {
    // The admission core decides from plain data: no clock, no I/O, no transport.
    files: [
      "services/shared/src/domain/admission/load.ts",
      "services/shared/src/domain/admission/fair-share.ts",
      "services/shared/src/domain/admission/control.ts",
      "services/shared/src/domain/admission/decide.ts",
    ],
    rules: {
      "no-restricted-imports": ["error", { patterns: ["node:*", "@grpc/*", "kafkajs", "ioredis", "../*"] }],
      "no-restricted-globals": ["error", "Date", "performance", "setTimeout", "setInterval"],
    },
  },
  {
    // Pure cores decide from plain data; adapters at the edge do the I/O (STYLE.md).
    files: ["**/core/**/*.ts", "services/shared/src/domain/**/*.ts"],
    ignores: ["**/*.test.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            { group: ["node:*"], message: "a pure core does no I/O: take the value from the caller" },
            {
              group: ["@grpc/*", "kafkajs", "ioredis", "@opentelemetry/*", "prom-client"],
              message: "a pure core knows no transport, store or telemetry",
            },
            {
              group: [
                "@platform/*",
                "@verification-state/*",
                "**/bus/**",
                "**/store/**",
                "**/grpc/**",
                "**/telemetry/**",
                "**/runtime/**",
              ],
              message: "a pure core imports no adapter",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["test/**/*.ts", "**/*.test.ts"],
    rules: {
      // node:test's describe/it return promises the runner itself awaits.
      "@typescript-eslint/no-floating-promises": [
        "error",
        {
          allowForKnownSafeCalls: [
            {
              from: "package",
              package: "node:test",
              name: ["describe", "it", "test", "suite", "before", "after", "beforeEach", "afterEach"],
            },
          ],
        },
      ],
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-non-null-assertion": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "no-console": "off",
    },
  },
);
