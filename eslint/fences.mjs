/**
 * The fences between the parts of the repository, enforced on every import (relative or by
 * alias), so the layering holds by rule rather than by habit:
 *
 * - services/shared/src/domain: pure rules; imports only itself and the generated protos.
 * - services/shared/src/platform: the adapters every service stands on; adds the domain. Its
 *   development/ folder (the development platform's public tokens, the handset inbox's format)
 *   is reached only by the all-in-one, the CLI, the scenario runner and tests, so nothing that
 *   runs in production can grant those tokens.
 * - services/shared/src/verification-state: the issuance ↔ verification contract; adds the
 *   platform. Only issuance and verification import it.
 * - a service (services/<name>, gateway-smpp): itself, the shared parts and the protos. Services
 *   talk to each other over gRPC and Kafka, never through each other's source.
 * - services/all-in-one: the composition root of the whole platform in one process; it may
 *   wire any service. test/ and deploy/ may import anything.
 * - tools (the CLI, the scenario runner): like a service, plus what each is listed with below.
 *
 * A service's own tests (its test/ folder, its *.test.ts) may also use test/ support code.
 */
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "..");
const SHARED = "services/shared/src/";

const ALIASES = [
  ["@domain/", SHARED + "domain/"],
  ["@platform/", SHARED + "platform/"],
  ["@verification-state/", SHARED + "verification-state/"],
  ["@proto/", "proto/gen/"],
  ["@gateway-smpp/", "gateway-smpp/"],
  ["@services/", "services/"],
  ["@test/", "test/"],
];

const VERIFICATION_STATE_USERS = new Set(["issuance", "verification"]);

const DEVELOPMENT = SHARED + "platform/development/";
const DEVELOPMENT_USERS = new Set(["all-in-one", "cli", "scenario"]);

/** What a tool may import beyond a service's allowance: path prefixes. */
const TOOL_EXTRAS = {
  // The scenario runner starts the whole platform and drives routing's pure core on a simulated
  // clock, with the simulators' scenario formats.
  scenario: [
    "services/all-in-one/",
    "services/routing/src/core/",
    "services/cli/src/args",
    "gateway-smpp/src/simulator/",
    "services/whatsapp/src/simulator/",
    "services/voice/src/simulator/",
    "services/silent/src/simulator/",
  ],
};

function zoneOf(p) {
  if (p.startsWith(SHARED + "domain/")) return { kind: "domain" };
  if (p.startsWith(SHARED + "platform/")) return { kind: "platform" };
  if (p.startsWith(SHARED + "verification-state/")) return { kind: "verification-state" };
  if (p.startsWith("proto/")) return { kind: "proto" };
  // services/shared/test/: the shared parts' tests that need a real Redis, not a service "shared".
  if (p.startsWith("services/shared/test/")) return { kind: "shared-tests" };
  if (p.startsWith("gateway-smpp/")) return { kind: "service", name: "gateway-smpp" };
  const m = /^services\/([^/]+)\//.exec(p);
  if (m) return { kind: "service", name: m[1] };
  if (p.startsWith("test/")) return { kind: "test" };
  return { kind: "other" };
}

/** Why `from` may not import `target` (both repository-relative), or undefined when it may. */
export function fenceViolation(from, target) {
  const z = zoneOf(from);
  const t = zoneOf(target);
  if (t.kind === "proto") return undefined;
  const isTest = /\/test\//.test(from) || from.endsWith(".test.ts");
  if (target.startsWith(DEVELOPMENT) && !from.startsWith(DEVELOPMENT)) {
    const developer = z.kind === "service" && DEVELOPMENT_USERS.has(z.name);
    if (!developer && !isTest && z.kind !== "test" && z.kind !== "other")
      return "the development platform's public tokens and handset inbox are for the all-in-one, the tools and tests only";
  }
  // Tests of a shared part may set it up with the other shared parts and test support code.
  const shared = ["domain", "platform", "verification-state"];
  const sharedTest = isTest && (shared.includes(z.kind) || z.kind === "shared-tests");
  if (sharedTest && (shared.includes(t.kind) || t.kind === "test" || t.kind === "shared-tests"))
    return undefined;
  switch (z.kind) {
    case "domain":
      return t.kind === "domain" ? undefined : "the domain is pure: it imports only itself and the protos";
    case "platform":
      return t.kind === "domain" || t.kind === "platform"
        ? undefined
        : "the platform imports only the domain, itself and the protos";
    case "verification-state":
      return ["domain", "platform", "verification-state"].includes(t.kind)
        ? undefined
        : "the verification-state contract imports only the domain, the platform and itself";
    case "shared-tests":
      return "the shared parts' tests use only the shared parts and test support code";
    case "service": {
      if (z.name === "all-in-one")
        return t.kind === "test" && !isTest ? "production code imports no test code" : undefined;
      if (t.kind === "domain" || t.kind === "platform") return undefined;
      if (t.kind === "service" && t.name === z.name) return undefined;
      if (t.kind === "verification-state") {
        return VERIFICATION_STATE_USERS.has(z.name)
          ? undefined
          : "only issuance and verification share the verification-state contract";
      }
      if (t.kind === "test" && isTest) return undefined;
      if ((TOOL_EXTRAS[z.name] ?? []).some((prefix) => target.startsWith(prefix))) return undefined;
      return t.kind === "test"
        ? "production code imports no test code"
        : "services talk to each other over gRPC and Kafka, not through each other's source";
    }
    default:
      return undefined;
  }
}

function targetOf(file, spec) {
  for (const [alias, root] of ALIASES) if (spec.startsWith(alias)) return root + spec.slice(alias.length);
  if (spec.startsWith("./") || spec.startsWith("../")) {
    return path
      .relative(ROOT, path.resolve(path.dirname(file), spec))
      .split(path.sep)
      .join("/");
  }
  return undefined;
}

const boundaries = {
  meta: { type: "problem", schema: [], docs: { description: "imports respect the fences between parts" } },
  create(context) {
    const file = path.relative(ROOT, context.filename).split(path.sep).join("/");
    const check = (node, source) => {
      if (!source || typeof source.value !== "string") return;
      const target = targetOf(context.filename, source.value);
      if (!target) return;
      const why = fenceViolation(file, target);
      if (why) context.report({ node, message: `${file} may not import ${target}: ${why}` });
    };
    return {
      ImportDeclaration: (node) => check(node, node.source),
      ExportNamedDeclaration: (node) => check(node, node.source),
      ExportAllDeclaration: (node) => check(node, node.source),
      ImportExpression: (node) => check(node, node.source),
    };
  },
};

export default { rules: { boundaries } };
