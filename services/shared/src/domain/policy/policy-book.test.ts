import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { OtpError } from "../errors";
import { loadPolicies } from "@platform/files/load-policy";
import { mergeJson, validatePolicyFile } from "./policy-book";

const FILE = {
  default: {
    geo: { allowedCountries: ["ID", "MY", "SG"] },
    purposes: { login: { ttlSeconds: 240 } },
  },
  tenants: {
    "bank-a": {
      purposes: { login: { codeLength: 8 }, transaction: { ttlSeconds: 180 } },
      senders: { sms: { senderId: "BankA" } },
    },
    "shop-b": {
      geo: { allowedCountries: ["PH"] },
      workflows: { default: [{ channel: "sms", timeoutSeconds: 30, advanceWhen: "not_verified" }] },
    },
  },
};

describe("policy book", () => {
  it("tenants inherit from the file's default, which inherits from the built-in one", () => {
    const result = validatePolicyFile(FILE);
    assert.ok(result.ok, result.ok ? "" : result.problems.join("\n"));
    const { book } = result;
    assert.deepEqual(book.tenants, ["bank-a", "shop-b"]);
    const bankA = book.policyFor("bank-a");
    assert.equal(bankA.purposes.login?.ttlSeconds, 240);
    assert.equal(bankA.purposes.login?.codeLength, 8);
    assert.equal(bankA.purposes.transaction?.ttlSeconds, 180);
    assert.equal(bankA.senders.sms.senderId, "BankA");
    assert.deepEqual(bankA.geo.allowedCountries, ["ID", "MY", "SG"]);
    const shopB = book.policyFor("shop-b");
    assert.deepEqual(shopB.geo.allowedCountries, ["PH"]);
    assert.equal(shopB.workflows.default?.length, 1);
    assert.equal(shopB.purposes.login?.codeLength, 6);
  });

  it("falls back to the default policy for other tenants", () => {
    const result = validatePolicyFile(FILE);
    assert.ok(result.ok);
    assert.equal(result.book.policyFor("unknown-tenant"), result.book.defaultPolicy);
    assert.equal(result.book.policyFor("__proto__"), result.book.defaultPolicy);
    assert.equal(result.book.defaultPolicy.purposes.login?.ttlSeconds, 240);
  });

  it("reports tenants' problems under their name, the default's once", () => {
    const tenantProblems = validatePolicyFile({
      ...FILE,
      tenants: {
        ...FILE.tenants,
        "bank-c": { purposes: { transaction: { ttlSeconds: 900 } } },
        "bad name!": {},
      },
      extra: true,
    });
    assert.deepEqual(tenantProblems, {
      ok: false,
      problems: [
        "extra: unknown field (expected one of default, tenants)",
        "tenants.bank-c.purposes.transaction.ttlSeconds: 900 exceeds the 600 s maximum (NIST SP 800-63B)",
        "tenants.bad name!: invalid tenant name (letters, digits, . _ -, up to 64)",
      ],
    });
    const defaultProblems = validatePolicyFile({
      default: { incident: { riskTiers: ["high"] } },
      tenants: { a: {} },
    });
    assert.deepEqual(defaultProblems, {
      ok: false,
      problems: ["default.incident.riskTiers[0]: high-risk purposes never loosen in incident mode"],
    });
  });

  it("merges objects field by field; lists, values and null replace", () => {
    assert.deepEqual(mergeJson({ a: { b: 1, c: [1, 2] }, d: 1 }, { a: { c: [3] }, d: null, e: 2 }), {
      a: { b: 1, c: [3] },
      d: null,
      e: 2,
    });
  });
});

describe("loadPolicies", () => {
  const dir = mkdtempSync(join(tmpdir(), "policies-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("reads a policy file", () => {
    const path = join(dir, "policies.json");
    writeFileSync(path, JSON.stringify(FILE));
    const book = loadPolicies(path, { knownCountries: new Set(["ID", "MY", "SG", "PH"]) });
    assert.equal(book.policyFor("bank-a").senders.sms.senderId, "BankA");
  });

  it("fails with CONFIG_INVALID listing every problem", () => {
    const path = join(dir, "invalid.json");
    writeFileSync(
      path,
      JSON.stringify({ tenants: { a: { purposes: { login: { maxChecks: 10, ttlSeconds: 601 } } } } }),
    );
    assert.throws(
      () => loadPolicies(path),
      (err: unknown) =>
        err instanceof OtpError &&
        err.code === "CONFIG_INVALID" &&
        err.message.includes("tenants.a.purposes.login.maxChecks: 10 exceeds the maximum of 5") &&
        err.message.includes("tenants.a.purposes.login.ttlSeconds: 601 exceeds the 600 s maximum"),
    );
    assert.throws(
      () => loadPolicies(join(dir, "absent.json"), { knownCountries: new Set(["ID"]) }),
      (err: unknown) => err instanceof OtpError && err.code === "CONFIG_INVALID",
    );
  });

  it("checks allowed countries against the numbering plan", () => {
    const path = join(dir, "countries.json");
    writeFileSync(path, JSON.stringify({ default: { geo: { allowedCountries: ["ID", "XK"] } } }));
    assert.throws(
      () => loadPolicies(path, { knownCountries: new Set(["ID"]) }),
      (err: unknown) =>
        err instanceof OtpError &&
        err.message.includes("default.geo.allowedCountries[1]: XK is not in the numbering plan"),
    );
  });
});
