import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { it } from "node:test";
import { describeConfig } from "./gateway-config";
import { parseGatewayConfig } from "./parse-config";
import { simulatorGatewayConfig } from "./default-config";

const sources = { env: { SMSC_PASSWORD: "from-env" }, readFile: (file: string) => `pem of ${file}` };

const valid = {
  accounts: {
    telkomsel: {
      host: "smsc.example.net",
      port: 2775,
      tls: { caFile: "/etc/ca.pem" },
      systemId: "otp-router",
      passwordEnv: "SMSC_PASSWORD",
      bindMode: "transmitter-receiver",
      binds: 2,
      window: 20,
      tps: 100,
    },
    xl: { host: "10.0.0.2", port: 2775, systemId: "otp", password: "pw" },
  },
  routes: { "sms-telkomsel": ["telkomsel", "xl"], "sms-xl": ["xl"] },
  defaultRoute: "sms-xl",
  messages: {
    default: { brand: "OTP Router" },
    tenants: { "bank-a": { appHash: "FA+9qCX9VSu", templates: { id: "Kode {code} untuk {brand}." } } },
  },
};

it("a valid configuration, with defaults, passwordEnv and a CA file", () => {
  const result = parseGatewayConfig(valid, sources);
  assert.ok(result.ok, result.ok ? "" : result.problems.join("\n"));
  const { config } = result;
  const telkomsel = config.accounts.telkomsel!;
  assert.equal(telkomsel.password, "from-env");
  assert.deepEqual(telkomsel.tls, { rejectUnauthorized: true, ca: "pem of /etc/ca.pem" });
  assert.equal(telkomsel.bindMode, "transmitter-receiver");
  assert.equal(config.accounts.xl!.window, 10);
  assert.equal(config.accounts.xl!.responseTimeoutMs, 10_000);
  assert.equal(config.accounts.xl!.tls, undefined);
  assert.deepEqual(config.routes["sms-telkomsel"], ["telkomsel", "xl"]);
  assert.equal(config.dispatch.consumerGroup, "gateway-smpp");
  const bankA = config.messages.tenants["bank-a"]!;
  assert.equal(bankA.brand, "OTP Router", "inherited from messages.default");
  assert.equal(bankA.templates.id, "Kode {code} untuk {brand}.");
  assert.match(bankA.templates.th ?? "", /รหัส OTP/, "built-in templates stay");
});

it("every problem is reported with its path", () => {
  const result = parseGatewayConfig(
    {
      accounts: {
        bad: {
          host: "smsc",
          port: 70000,
          systemId: "a-system-id-far-too-long",
          password: "pw",
          window: 400,
          tps: 100,
        },
        nopass: { host: "smsc", port: 2775, systemId: "x", bindMode: "duplex", colour: "red" },
      },
      routes: { r1: ["bad", "ghost"], r2: [] },
      defaultRoute: "r3",
      messages: {
        tenants: {
          t: {
            appHash: "short",
            templates: { en: "Your code", id: "{code} {amount}", ms: "{code} https://x.my" },
          },
        },
      },
      dispatch: { inFlightWaitMs: 60_000 },
    },
    sources,
  );
  assert.equal(result.ok, false);
  const problems = result.ok ? [] : result.problems;
  const expected = [
    "accounts.bad.port: 70000 exceeds the maximum of 65535",
    "accounts.bad.window: 400 exceeds 3 × tps (300)",
    "accounts.bad.systemId: expected 1 to 15 printable ASCII characters (SMPP 3.4)",
    "accounts.nopass.colour: unknown field",
    "accounts.nopass.bindMode: expected one of transceiver, transmitter-receiver",
    "accounts.nopass.password: is required",
    'routes.r1[1]: unknown account "ghost"',
    "routes.r2: expected a non-empty list",
    'defaultRoute: "r3" is not a configured route',
    "messages.tenants.t.appHash: expected the 11-character SMS Retriever app hash",
    "messages.tenants.t.templates.en: must contain {code}",
    "messages.tenants.t.templates.id: unknown placeholder {amount}",
    "messages.tenants.t.templates.ms: must not contain links",
    "dispatch.inFlightWaitMs: 60000 exceeds the 25000 ms maximum",
  ];
  for (const prefix of expected) {
    assert.ok(
      problems.some((p) => p.startsWith(prefix)),
      `missing "${prefix}" in:\n${problems.join("\n")}`,
    );
  }
});

it("a password longer than SMPP 3.4's 8 characters is refused, inline or from the environment", () => {
  const result = parseGatewayConfig(
    {
      accounts: {
        a: { host: "h", port: 1, systemId: "s", password: "123456789" },
        b: { host: "h", port: 1, systemId: "s", passwordEnv: "LONG_PASSWORD" },
      },
      routes: { r: ["a", "b"] },
    },
    { ...sources, env: { LONG_PASSWORD: "abcdefghij" } },
  );
  assert.equal(result.ok, false);
  const problems = result.ok ? [] : result.problems;
  assert.ok(problems.some((p) => p.startsWith("accounts.a.password: is required: 1 to 8")));
  assert.ok(problems.some((p) => p.startsWith("accounts.b.passwordEnv: LONG_PASSWORD must hold 1 to 8")));
});

it("passwords never appear in problems or in the logged description", () => {
  const result = parseGatewayConfig(
    {
      accounts: { a: { host: "h", port: 1, systemId: "s", password: "x".repeat(65) } },
      routes: { r: ["a"] },
    },
    sources,
  );
  assert.equal(result.ok, false);
  assert.ok(!JSON.stringify(result).includes("x".repeat(65)));
  const config = simulatorGatewayConfig({
    host: "127.0.0.1",
    port: 2775,
    systemId: "otp",
    password: "hunter2",
  });
  assert.ok(!JSON.stringify(describeConfig(config)).includes("hunter2"));
});

it("passwordEnv naming an unset variable, and password with passwordEnv", () => {
  const result = parseGatewayConfig(
    {
      accounts: {
        a: { host: "h", port: 1, systemId: "s", passwordEnv: "NOPE" },
        b: { host: "h", port: 1, systemId: "s", password: "p", passwordEnv: "SMSC_PASSWORD" },
      },
      routes: { r: ["a", "b"] },
    },
    sources,
  );
  assert.deepEqual(result.ok ? [] : result.problems, [
    "accounts.a.passwordEnv: environment variable NOPE is not set",
    "accounts.b: set password or passwordEnv, not both",
  ]);
});

it("the all-in-one default points at the simulator", () => {
  const config = simulatorGatewayConfig({
    host: "127.0.0.1",
    port: 2775,
    systemId: "otp-router",
    password: "otp-sim",
  });
  assert.equal(config.defaultRoute, "sms-default");
  assert.deepEqual(config.routes["sms-default"], ["simulator"]);
  assert.equal(config.accounts.simulator?.port, 2775);
});

it("the example configuration is valid", () => {
  const json: unknown = JSON.parse(
    readFileSync(path.join(__dirname, "../../config/smpp.example.json"), "utf8"),
  );
  const result = parseGatewayConfig(json, {
    env: { SMPP_TELKOMSEL_PASSWORD: "a", SMPP_XL_PASSWORD: "b" },
    readFile: () => "-----BEGIN CERTIFICATE-----",
  });
  assert.ok(result.ok, result.ok ? "" : result.problems.join("\n"));
});

it("outbind: off unless configured; a listener takes the SMSC's credentials, answers with a receiver bind by default", () => {
  const off = parseGatewayConfig(valid, sources);
  assert.ok(off.ok);
  assert.equal(off.config.accounts.xl!.outbind, undefined);
  const withOutbind = {
    ...valid,
    accounts: {
      ...valid.accounts,
      xl: {
        ...valid.accounts.xl,
        outbind: { host: "0.0.0.0", port: 2776, systemId: "XLSMSC", passwordEnv: "SMSC_PASSWORD" },
      },
    },
  };
  const on = parseGatewayConfig(withOutbind, sources);
  assert.ok(on.ok, on.ok ? "" : on.problems.join("\n"));
  assert.deepEqual(on.config.accounts.xl!.outbind, {
    host: "0.0.0.0",
    port: 2776,
    smscSystemId: "XLSMSC",
    smscPassword: "from-env",
    bindMode: "receiver",
    maxConnections: 4,
  });
  assert.ok(
    !JSON.stringify(describeConfig(on.config)).includes("from-env"),
    "no password in the description",
  );

  const bad = parseGatewayConfig(
    {
      ...valid,
      accounts: {
        xl: { ...valid.accounts.xl, outbind: { port: 2776, bindMode: "transmitter", password: "pw" } },
      },
    },
    sources,
  );
  assert.ok(!bad.ok);
  assert.deepEqual(
    bad.problems.filter((p) => p.startsWith("accounts.xl.outbind")).map((p) => p.split(":")[0]),
    ["accounts.xl.outbind.host", "accounts.xl.outbind.systemId", "accounts.xl.outbind.bindMode"],
  );
});
