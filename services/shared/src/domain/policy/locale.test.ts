import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_POLICY } from "./defaults";
import { resolveLocale } from "./locale";
import type { TenantPolicy } from "./types";

describe("resolveLocale", () => {
  it("keeps a locale the tenant speaks, or its language", () => {
    assert.equal(resolveLocale(DEFAULT_POLICY, "id"), "id");
    assert.equal(resolveLocale(DEFAULT_POLICY, "id-ID"), "id");
    assert.equal(resolveLocale(DEFAULT_POLICY, "FIL"), "fil");
  });

  it("falls back to the tenant's default for a locale it has no sender for, or none", () => {
    const tenant: TenantPolicy = {
      ...DEFAULT_POLICY,
      senders: {
        ...DEFAULT_POLICY.senders,
        whatsapp: { ...DEFAULT_POLICY.senders.whatsapp, defaultLocale: "id" },
      },
    };
    assert.equal(resolveLocale(tenant, "de-DE"), "id");
    assert.equal(resolveLocale(tenant, ""), "id");
    assert.equal(resolveLocale(DEFAULT_POLICY, "zh_TW"), "en");
  });
});
