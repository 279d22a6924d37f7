import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { classify } from "../numbering/classify";
import { DEFAULT_POLICY } from "./defaults";
import type { TenantPolicy } from "./types";
import { validatePolicy } from "./validate";

function valid(json: unknown): TenantPolicy {
  const result = validatePolicy(json);
  assert.ok(result.ok, result.ok ? "" : result.problems.join("\n"));
  return result.policy;
}

function problemsOf(json: unknown): string[] {
  const result = validatePolicy(json);
  assert.ok(!result.ok, "expected problems");
  return result.problems;
}

describe("validatePolicy: defaults", () => {
  it("an empty policy is the default policy, valid", () => {
    assert.deepEqual(valid({}), DEFAULT_POLICY);
    assert.deepEqual(validatePolicy(structuredClone(DEFAULT_POLICY)), { ok: true, policy: DEFAULT_POLICY });
  });

  it("ships the default purposes with their risk tiers, transaction bound to amount and payee", () => {
    const { purposes } = valid({});
    const tiers = Object.fromEntries(Object.entries(purposes).map(([name, p]) => [name, p.riskTier]));
    assert.deepEqual(tiers, {
      login: "medium",
      signup: "low",
      transaction: "high",
      password_reset: "high",
      change_bank_account: "high",
      change_phone: "high",
    });
    assert.equal(purposes.transaction?.requireTransactionBinding, true);
    assert.equal(purposes.login?.requireTransactionBinding, false);
    for (const rules of Object.values(purposes)) {
      assert.equal(rules.codeLength, 6);
      assert.equal(rules.ttlSeconds, 300);
      assert.equal(rules.maxChecks, 5);
      assert.equal(rules.maxSends, 5);
      assert.equal(rules.workflow, rules.riskTier === "high" ? "high_risk" : "default");
    }
  });

  it("the default workflow is WhatsApp → SMS after 20 s undelivered → voice after 30 s unverified", () => {
    const steps = valid({}).workflows.default;
    assert.deepEqual(
      steps?.slice(0, 2).map((s) => [s.channel, s.timeoutSeconds, s.advanceWhen]),
      [
        ["whatsapp", 20, "not_delivered"],
        ["sms", 30, "not_verified"],
      ],
    );
    assert.equal(steps?.[2]?.channel, "voice");
  });

  it("refuses premium-rate numbers of every home country on every channel, VoIP on SMS and voice", () => {
    const { refusedNumberTypes } = valid({}).fraud;
    for (const number of ["+62 809 1234 567", "+65 1900 123 4567", "+66 1900 123 456", "+60 1600 12 3456"]) {
      const { type } = classify(number);
      assert.equal(type, "premium");
      for (const channel of ["whatsapp", "sms", "voice"] as const) {
        assert.ok(refusedNumberTypes[channel].includes(type), `${channel} must refuse ${number}`);
      }
    }
    for (const number of ["+65 3123 4567", "+60 1300 88 1234"]) {
      const { type } = classify(number);
      assert.ok(refusedNumberTypes.sms.includes(type) && refusedNumberTypes.voice.includes(type), number);
    }
    assert.ok(!refusedNumberTypes.sms.includes(classify("+62 812 3456 7890").type));
  });

  it("returns a frozen copy: changing it is impossible and never touches the defaults", () => {
    const policy = valid({ purposes: { login: { ttlSeconds: 120 } } });
    assert.ok(Object.isFrozen(policy.purposes.login));
    assert.throws(() => {
      (policy.purposes.login as { ttlSeconds: number }).ttlSeconds = 600;
    }, TypeError);
    assert.equal(DEFAULT_POLICY.purposes.login?.ttlSeconds, 300);
  });
});

describe("validatePolicy: tenant values", () => {
  it("overrides fields, adds and removes purposes and workflows", () => {
    const policy = valid({
      purposes: {
        login: { ttlSeconds: 120, codeLength: 8 },
        withdraw: { riskTier: "high", requireTransactionBinding: true },
        change_bank_account: null,
      },
      workflows: {
        whatsapp_only: [{ channel: "whatsapp", timeoutSeconds: 60, advanceWhen: "not_verified" }],
      },
      geo: { allowedCountries: ["ID", "SG"] },
    });
    assert.equal(policy.purposes.login?.ttlSeconds, 120);
    assert.equal(policy.purposes.login?.codeLength, 8);
    assert.equal(policy.purposes.login?.maxChecks, 5);
    assert.equal(policy.purposes.withdraw?.workflow, "high_risk");
    assert.equal(policy.purposes.change_bank_account, undefined);
    assert.equal(policy.workflows.whatsapp_only?.length, 1);
    assert.ok(policy.workflows.default);
    assert.deepEqual(policy.geo.allowedCountries, ["ID", "SG"]);
  });

  it("raising a purpose's risk tier moves it to the high-risk workflow unless one is named", () => {
    assert.equal(valid({ purposes: { login: { riskTier: "high" } } }).purposes.login?.workflow, "high_risk");
    const named = valid({ purposes: { login: { riskTier: "high", workflow: "sms_first" } } });
    assert.equal(named.purposes.login?.workflow, "sms_first");
  });

  it("refuses codes shorter than 6 digits for every purpose, low-risk included", () => {
    assert.equal(valid({ purposes: { signup: { codeLength: 6 } } }).purposes.signup?.codeLength, 6);
    for (const purpose of ["signup", "login"]) {
      assert.deepEqual(problemsOf({ purposes: { [purpose]: { codeLength: 5 } } }), [
        `purposes.${purpose}.codeLength: 5 is below the minimum of 6 (NIST SP 800-63B: at least 20 bits of entropy)`,
      ]);
    }
  });

  it("refuses a TTL too short for the workflow's first channel", () => {
    assert.deepEqual(problemsOf({ purposes: { login: { ttlSeconds: 30, workflow: "high_risk" } } }), [
      'purposes.login.ttlSeconds: 30 s is too short for the first step (whatsapp) of workflow "high_risk": it needs at least 45 s (30 s of code life when sent, 15 s to send it)',
    ]);
    const enough = valid({ purposes: { login: { ttlSeconds: 45, workflow: "high_risk" } } });
    assert.equal(enough.purposes.login?.ttlSeconds, 45);
    const smsOnly = valid({
      workflows: { sms_only: [{ channel: "sms", timeoutSeconds: 20, advanceWhen: "not_delivered" }] },
      purposes: { login: { ttlSeconds: 30, workflow: "sms_only" } },
    });
    assert.equal(smsOnly.purposes.login?.ttlSeconds, 30);
  });
});

describe("validatePolicy: every violation reported with its path", () => {
  const cases: [string, unknown, string][] = [
    ["not an object", [], "expected an object, got an array"],
    [
      "unknown section",
      { purpose: {} },
      "purpose: unknown field (expected one of purposes, workflows, limits, geo, fraud, incident, senders, silent)",
    ],
    [
      "ttl above NIST",
      { purposes: { transaction: { ttlSeconds: 900 } } },
      "purposes.transaction.ttlSeconds: 900 exceeds the 600 s maximum (NIST SP 800-63B)",
    ],
    [
      "ttl too short",
      { purposes: { login: { ttlSeconds: 10 } } },
      "purposes.login.ttlSeconds: 10 is below the 30 s minimum (WhatsApp authentication messages live at least 30 s)",
    ],
    [
      "ttl not an integer",
      { purposes: { login: { ttlSeconds: "300" } } },
      'purposes.login.ttlSeconds: expected an integer, got "300"',
    ],
    [
      "checks above PSD2",
      { purposes: { login: { maxChecks: 6 } } },
      "purposes.login.maxChecks: 6 exceeds the maximum of 5 (PSD2 RTS Art. 4(3)(b))",
    ],
    [
      "sends above 5",
      { purposes: { login: { maxSends: 8 } } },
      "purposes.login.maxSends: 8 exceeds the maximum of 5",
    ],
    [
      "code too long",
      { purposes: { login: { codeLength: 12 } } },
      "purposes.login.codeLength: 12 exceeds the maximum of 10",
    ],
    [
      "code too short",
      { purposes: { signup: { codeLength: 3 } } },
      "purposes.signup.codeLength: 3 is below the minimum of 6 (NIST SP 800-63B: at least 20 bits of entropy)",
    ],
    [
      "cooldown",
      { purposes: { login: { resendCooldownSeconds: 2 } } },
      "purposes.login.resendCooldownSeconds: 2 is below the 10 s minimum",
    ],
    [
      "boolean",
      { purposes: { login: { codePerAttempt: "yes" } } },
      'purposes.login.codePerAttempt: expected true or false, got "yes"',
    ],
    [
      "risk tier",
      { purposes: { login: { riskTier: "critical" } } },
      'purposes.login.riskTier: expected one of low, medium, high, got "critical"',
    ],
    [
      "typo in a field",
      { purposes: { login: { ttl: 60 } } },
      "purposes.login.ttl: unknown field (expected one of riskTier, codeLength, ttlSeconds, maxChecks, maxSends, resendCooldownSeconds, codePerAttempt, requireTransactionBinding, workflow, allowedChannels)",
    ],
    [
      "new purpose without tier",
      { purposes: { withdraw: {} } },
      "purposes.withdraw.riskTier: is required for a purpose without defaults",
    ],
    [
      "bad purpose name",
      { purposes: { "Log In": { riskTier: "low" } } },
      'purposes.Log In: invalid name: expected a lowercase name such as change_phone, got "Log In"',
    ],
    [
      "no purposes left",
      { purposes: Object.fromEntries(Object.keys(DEFAULT_POLICY.purposes).map((k) => [k, null])) },
      "purposes: at least one purpose is required",
    ],
    [
      "unknown workflow",
      { purposes: { login: { workflow: "fast" } } },
      'purposes.login.workflow: unknown workflow "fast" (defined: default, high_risk, silent_first, sms_first)',
    ],
    [
      "workflow removed while used",
      { workflows: { high_risk: null } },
      'purposes.transaction.workflow: unknown workflow "high_risk" (defined: default, silent_first, sms_first)',
    ],
    [
      "fewer sends than steps",
      { purposes: { login: { maxSends: 2 } } },
      'purposes.login.maxSends: 2 is fewer than the 3 steps of workflow "default"',
    ],
    [
      "code dies before a step",
      { purposes: { login: { ttlSeconds: 45 } } },
      'purposes.login.ttlSeconds: the code expires after 45 s, before step 3 (voice) of workflow "default" starts at 50 s',
    ],
    [
      "tenant burst",
      { limits: { perTenant: { requestsPerSecond: 100, burst: 50 } } },
      "limits.perTenant.burst: 50 is below requestsPerSecond 100",
    ],
    [
      "phone limit",
      { limits: { perPhone: { sendsPerHour: 0 } } },
      "limits.perPhone.sendsPerHour: 0 is below the minimum of 1",
    ],
    [
      "prefix digits",
      { limits: { perDestinationPrefix: { prefixDigits: 20 } } },
      "limits.perDestinationPrefix.prefixDigits: 20 exceeds the maximum of 12",
    ],
    [
      "limits typo",
      { limits: { perIp: {} } },
      "limits.perIp: unknown field (expected one of perPhone, perTenant, perClientIp, perDevice, perDestinationPrefix, perCountry)",
    ],
    [
      "country code",
      { geo: { allowedCountries: ["ID", "idn"] } },
      "geo.allowedCountries[1]: expected an ISO 3166-1 alpha-2 code such as ID",
    ],
    [
      "duplicate country",
      { geo: { allowedCountries: ["ID", "ID"] } },
      "geo.allowedCountries[1]: duplicate entry",
    ],
    [
      "no country",
      { geo: { allowedCountries: [] } },
      "geo.allowedCountries: at least one country is required",
    ],
    [
      "conversion",
      { fraud: { pumpingGuard: { minConversion: 1.5 } } },
      "fraud.pumpingGuard.minConversion: 1.5 exceeds the maximum of 1",
    ],
    [
      "guard window",
      { fraud: { pumpingGuard: { windowSeconds: 10 } } },
      "fraud.pumpingGuard.windowSeconds: 10 is below the 60 s minimum",
    ],
    [
      "premium allowed on SMS",
      { fraud: { refusedNumberTypes: { sms: ["shared_cost", "voip"] } } },
      "fraud.refusedNumberTypes.sms: must include premium (premium-rate ranges are the SMS pumping and IRSF vector)",
    ],
    [
      "VoIP allowed on voice",
      { fraud: { refusedNumberTypes: { voice: ["premium", "shared_cost"] } } },
      "fraud.refusedNumberTypes.voice: must include voip (NIST SP 800-63B §5.1.3.1: VoIP numbers prove no device)",
    ],
    [
      "unknown number type",
      { fraud: { refusedNumberTypes: { whatsapp: ["premium", "satellite"] } } },
      "fraud.refusedNumberTypes.whatsapp[1]: expected one of mobile, fixed, premium, shared_cost, voip, toll_free, unknown",
    ],
    [
      "incident for high risk",
      { incident: { riskTiers: ["low", "high"] } },
      "incident.riskTiers[1]: high-risk purposes never loosen in incident mode",
    ],
    [
      "incident extension",
      { incident: { extendTtlSeconds: 900 } },
      "incident.extendTtlSeconds: 900 exceeds the 570 s maximum (codes never live beyond 600 s; the extension is capped there anyway)",
    ],
    [
      "sender id too long",
      { senders: { sms: { senderId: "MyBankVerify1" } } },
      'senders.sms.senderId: expected 1 to 11 letters, digits, spaces or .&- with at least one letter, got "MyBankVerify1"',
    ],
    [
      "numeric sender id as alphanumeric",
      { senders: { sms: { senderIdByOperator: { "id-xl": "12345" } } } },
      'senders.sms.senderIdByOperator.id-xl: expected 1 to 11 letters, digits, spaces or .&- with at least one letter, got "12345"',
    ],
    [
      "numeric fallback",
      { senders: { sms: { numericFallback: "+62-21" } } },
      'senders.sms.numericFallback: expected 3 to 15 digits (optional +), or empty, got "+62-21"',
    ],
    [
      "template",
      { senders: { whatsapp: { templates: { id: { name: "OTP Code" } } } } },
      "senders.whatsapp.templates.id.language: is required",
    ],
    [
      "default locale",
      { senders: { voice: { defaultLocale: "de" } } },
      'senders.voice.defaultLocale: "de" has no entry (available: en, fil, id, ms, th, vi)',
    ],
  ];
  for (const [name, json, problem] of cases) {
    it(name, () => {
      const problems = problemsOf(json);
      assert.ok(problems.includes(problem), `missing: ${problem}\nin:\n${problems.join("\n")}`);
    });
  }

  it("collects every problem at once", () => {
    const problems = problemsOf({
      purposes: { login: { ttlSeconds: 900, maxChecks: 9 } },
      limits: { perPhone: { sendsPerHour: -1 } },
      incident: { riskTiers: ["high"] },
    });
    assert.equal(problems.length, 4, problems.join("\n"));
  });

  it("checks allowed countries against the numbering plan when given one", () => {
    const result = validatePolicy(
      { geo: { allowedCountries: ["ID", "ZZ"] } },
      { knownCountries: new Set(["ID", "SG"]) },
    );
    assert.deepEqual(result, {
      ok: false,
      problems: ["geo.allowedCountries[1]: ZZ is not in the numbering plan"],
    });
  });
});

describe("validatePolicy: secrets", () => {
  it("a plaintext client secret where a sealed one belongs is refused without being shown", () => {
    const gateway = {
      operators: ["id-telkomsel"],
      authorizeUrl: "https://og.example/authorize",
      tokenUrl: "https://og.example/token",
      verifyUrl: "https://og.example/verify",
      clientId: "otp-router",
      clientSecret: "hunter2-plaintext-secret",
      redirectUri: "https://otp.example/silent/callback",
    };
    const problems = problemsOf({ silent: { gateways: { og: gateway } } });
    const text = problems.join("\n");
    assert.match(
      text,
      /silent\.gateways\.og\.clientSecret: expected a sealed secret .*got a string of 24 characters \(not shown\)/,
    );
    assert.doesNotMatch(text, /hunter2/);
  });
});

describe("validatePolicy: workflow steps", () => {
  const workflow = (steps: unknown) => ({ workflows: { custom: steps } });
  const step = { channel: "sms", timeoutSeconds: 30, advanceWhen: "not_delivered" };
  const cases: [string, unknown, string][] = [
    ["not a list", { sms: 1 }, "workflows.custom: expected a list of steps, got an object"],
    ["empty", [], "workflows.custom: a workflow needs at least one step"],
    ["too many", Array(6).fill(step), "workflows.custom: 6 steps exceed the maximum of 5"],
    [
      "unknown channel",
      [{ ...step, channel: "email" }],
      'workflows.custom[0].channel: expected one of whatsapp, sms, voice, silent, got "email"',
    ],
    [
      "missing channel",
      [{ timeoutSeconds: 30, advanceWhen: "not_delivered" }],
      "workflows.custom[0].channel: is required",
    ],
    [
      "timeout too short",
      [{ ...step, timeoutSeconds: 2 }],
      "workflows.custom[0].timeoutSeconds: 2 is below the 5 s minimum",
    ],
    [
      "timeout too long",
      [step, { ...step, timeoutSeconds: 1200 }],
      "workflows.custom[1].timeoutSeconds: 1200 exceeds the 900 s maximum",
    ],
    [
      "missing timeout",
      [{ channel: "sms", advanceWhen: "not_delivered" }],
      "workflows.custom[0].timeoutSeconds: is required",
    ],
    [
      "bad condition",
      [{ ...step, advanceWhen: "failed" }],
      'workflows.custom[0].advanceWhen: expected one of not_delivered, not_verified, got "failed"',
    ],
    [
      "bad route",
      [{ ...step, route: "../etc" }],
      'workflows.custom[0].route: expected a route name such as smpp-telkomsel, got "../etc"',
    ],
    [
      "unknown field",
      [{ ...step, retries: 2 }],
      "workflows.custom[0].retries: unknown field (expected one of channel, route, timeoutSeconds, advanceWhen)",
    ],
  ];
  for (const [name, steps, problem] of cases) {
    it(name, () => {
      const problems = problemsOf(workflow(steps));
      assert.ok(problems.includes(problem), `missing: ${problem}\nin:\n${problems.join("\n")}`);
    });
  }

  it("accepts steps with routes and the bounds themselves", () => {
    const policy = valid(
      workflow([
        { channel: "sms", route: "smpp-telkomsel", timeoutSeconds: 5, advanceWhen: "not_delivered" },
        { channel: "voice", timeoutSeconds: 900, advanceWhen: "not_verified" },
      ]),
    );
    assert.deepEqual(policy.workflows.custom, [
      { channel: "sms", route: "smpp-telkomsel", timeoutSeconds: 5, advanceWhen: "not_delivered" },
      { channel: "voice", timeoutSeconds: 900, advanceWhen: "not_verified" },
    ]);
  });
});
