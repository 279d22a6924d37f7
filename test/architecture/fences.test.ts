/**
 * The import fences of eslint/fences.mjs, rule by rule: for each, an import it allows and one it
 * refuses, so a rule loosened or tightened by mistake fails here. Then the ESLint rule itself,
 * which resolves aliases and relative paths before asking `fenceViolation`.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { before, describe, it } from "node:test";
import { Linter } from "eslint";

const ROOT = path.resolve(__dirname, "../..");

type FenceViolation = (from: string, target: string) => string | undefined;
interface FencesModule {
  fenceViolation: FenceViolation;
  default: { rules: Record<string, unknown> };
}

let fences: FencesModule;
let why: FenceViolation;

before(async () => {
  // An ES module of the ESLint configuration: loaded as one, not compiled with the tests.
  fences = (await import(pathToFileURL(path.join(ROOT, "eslint/fences.mjs")).href)) as FencesModule;
  why = fences.fenceViolation;
});

const allows = (from: string, target: string) =>
  assert.equal(why(from, target), undefined, `${from} may import ${target}`);
const refuses = (from: string, target: string, reason: RegExp) => {
  const answer = why(from, target);
  assert.ok(answer !== undefined, `${from} may not import ${target}`);
  assert.match(answer, reason);
};

const DOMAIN = "services/shared/src/domain/";
const PLATFORM = "services/shared/src/platform/";
const VERIFICATION_STATE = "services/shared/src/verification-state/";
const PROTO = "proto/gen/otp/v1/common";

describe("import fences", () => {
  it("lets every part import the generated protos", () => {
    for (const from of [
      `${DOMAIN}verification.ts`,
      `${PLATFORM}bus/codec.ts`,
      `${VERIFICATION_STATE}scripts.ts`,
      "services/routing/src/core/types.ts",
      "gateway-smpp/src/gateway.ts",
    ])
      allows(from, PROTO);
  });

  it("keeps the domain pure: itself and the protos only", () => {
    allows(`${DOMAIN}verification.ts`, `${DOMAIN}policy/types`);
    refuses(`${DOMAIN}verification.ts`, `${PLATFORM}crypto/sealer`, /the domain is pure/);
    refuses(`${DOMAIN}verification.ts`, "services/routing/src/core/types", /the domain is pure/);
  });

  it("lets the platform import the domain and itself, not the contract or a service", () => {
    allows(`${PLATFORM}grpc/server.ts`, `${DOMAIN}errors`);
    allows(`${PLATFORM}grpc/server.ts`, `${PLATFORM}log`);
    refuses(`${PLATFORM}grpc/server.ts`, `${VERIFICATION_STATE}view`, /platform imports only/);
    refuses(`${PLATFORM}http/channel-service.ts`, "services/whatsapp/src/channel", /platform imports only/);
  });

  it("lets the verification-state contract import the domain and the platform, not a service", () => {
    allows(`${VERIFICATION_STATE}projection.ts`, `${DOMAIN}verification`);
    allows(`${VERIFICATION_STATE}projection.ts`, `${PLATFORM}store/port`);
    refuses(
      `${VERIFICATION_STATE}projection.ts`,
      "services/verification/src/lifecycle-metrics",
      /contract imports only/,
    );
  });

  it("lets a shared part's tests use the other shared parts and test support, never a service", () => {
    allows(`${DOMAIN}verification.test.ts`, `${PLATFORM}crypto/keys`);
    allows(`${PLATFORM}bus/codec.test.ts`, `${VERIFICATION_STATE}projection`);
    allows(`${VERIFICATION_STATE}projector.test.ts`, "test/support/cancelled-verification");
    refuses(
      `${PLATFORM}telemetry/telemetry.test.ts`,
      "gateway-smpp/src/metrics/smpp-metrics",
      /platform imports only/,
    );
    // The shared parts' tests in their own test/ folder are that, not a service named "shared".
    allows("services/shared/test/verification-state-scripts.test.ts", `${VERIFICATION_STATE}scripts`);
    allows("services/shared/test/incidents.test.ts", "test/support/store-backends");
    refuses(
      "services/shared/test/incidents.test.ts",
      "services/routing/src/incident-reader",
      /shared parts' tests use only/,
    );
  });

  it("lets a service import itself, the domain and the platform, and no other service", () => {
    allows("services/routing/src/effects.ts", "services/routing/src/core/types");
    allows("services/routing/src/effects.ts", `${DOMAIN}policy/proto`);
    allows("gateway-smpp/src/gateway.ts", `${PLATFORM}bus/port`);
    refuses("services/assistant/src/service.ts", "services/whatsapp/src/channel", /over gRPC and Kafka/);
    refuses("gateway-smpp/src/gateway.ts", "services/routing/src/core/types", /over gRPC and Kafka/);
    refuses("services/routing/src/main.ts", "gateway-smpp/src/gateway", /over gRPC and Kafka/);
  });

  it("keeps the verification-state contract to issuance and verification", () => {
    allows("services/issuance/src/issuance.ts", `${VERIFICATION_STATE}scripts`);
    allows("services/verification/src/app.ts", `${VERIFICATION_STATE}projector`);
    refuses(
      "services/assistant/src/service.ts",
      `${VERIFICATION_STATE}view`,
      /only issuance and verification/,
    );
  });

  it("lets a service's tests, but not its code, use test support", () => {
    allows("services/voice/test/channel.test.ts", "test/support/channel-fixture");
    allows("services/cli/src/retry.test.ts", "test/support/env");
    allows("gateway-smpp/test/tls.test.ts", "test/certs");
    refuses("services/voice/src/channel.ts", "test/support/channel-fixture", /imports no test code/);
  });

  it("lets the all-in-one wire every service, but not use test code outside its tests", () => {
    allows("services/all-in-one/src/all-in-one.ts", "services/issuance/src/app");
    allows("services/all-in-one/src/assistant.ts", `${VERIFICATION_STATE}view`);
    allows("services/all-in-one/src/all-in-one.ts", "gateway-smpp/src/gateway");
    allows("services/all-in-one/src/dev-mode.test.ts", "test/support/env");
    refuses("services/all-in-one/src/all-in-one.ts", "test/support/env", /imports no test code/);
  });

  it("lets the scenario runner import what it is listed with, and nothing else of other services", () => {
    allows("services/scenario/src/sim/simulate.ts", "services/routing/src/core/health-observations");
    allows("services/scenario/src/instance.ts", "services/all-in-one/src/all-in-one");
    allows("services/scenario/src/network.ts", "services/whatsapp/src/simulator/scenario");
    allows("services/scenario/src/main.ts", "services/cli/src/args");
    refuses("services/scenario/src/sim/simulate.ts", "services/routing/src/effects", /over gRPC and Kafka/);
    refuses("services/scenario/src/main.ts", "services/cli/src/commands", /over gRPC and Kafka/);
    // The extras are the scenario runner's own, not every tool's.
    refuses("services/cli/src/connection.ts", "services/all-in-one/src/all-in-one", /over gRPC and Kafka/);
  });

  it("keeps the development platform's conveniences to the all-in-one, the tools and tests", () => {
    const tokens = `${PLATFORM}development/tokens`;
    allows("services/all-in-one/src/main.ts", tokens);
    allows("services/cli/src/connection.ts", tokens);
    allows("services/scenario/src/instance.ts", tokens);
    allows("test/integration/cli.test.ts", tokens);
    allows("services/issuance/test/support.test.ts", tokens);
    allows(`${PLATFORM}development/handset-inbox.ts`, tokens);
    refuses("services/issuance/src/main.ts", tokens, /development platform/);
    refuses("gateway-smpp/src/main.ts", tokens, /development platform/);
    refuses(`${PLATFORM}runtime/grpc-from-env.ts`, tokens, /development platform/);
  });

  it("lets the tests and the deployment import anything", () => {
    allows("test/integration/all-in-one.test.ts", "services/all-in-one/src/all-in-one");
    allows("test/faults/fault-stack.ts", "services/routing/src/health/health-store");
    allows("deploy/kubernetes/render.ts", "services/issuance/src/main");
  });
});

describe("the fences/boundaries rule", () => {
  const lint = (file: string, code: string): string[] => {
    const linter = new Linter({ configType: "flat" });
    const messages = linter.verify(
      code,
      [
        {
          files: ["**/*.ts"],
          plugins: { fences: fences.default as never },
          rules: { "fences/boundaries": "error" },
        },
      ],
      { filename: path.join(ROOT, file) },
    );
    return messages.map((m) => m.message);
  };

  it("resolves aliases and relative paths, on imports, re-exports and dynamic imports", () => {
    const from = "services/assistant/src/adapters/example.ts";
    const reported = lint(
      from,
      [
        'import { a } from "@services/routing/src/effects";',
        'import { b } from "../../../whatsapp/src/channel";',
        'export { c } from "@verification-state/view";',
        'export * from "@gateway-smpp/src/gateway";',
        'const d = import("@test/support/env");',
        // Allowed: its own code, the platform, the domain, the protos, packages.
        'import { e } from "../ports";',
        'import { f } from "@platform/log";',
        'import { g } from "@domain/errors";',
        'import { h } from "@proto/otp/v1/common";',
        'import { i } from "kafkajs";',
      ].join("\n"),
    );
    assert.deepEqual(
      reported.map((m) => /may not import (\S+):/.exec(m)?.[1]),
      [
        "services/routing/src/effects",
        "services/whatsapp/src/channel",
        "services/shared/src/verification-state/view",
        "gateway-smpp/src/gateway",
        "test/support/env",
      ],
    );
  });
});
