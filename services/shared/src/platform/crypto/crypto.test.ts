import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import fc from "fast-check";
import { bindingDigest, compareCodeHashes, createCodeHasher } from "./code-hash";
import { randomCode } from "./codes";
import { sealedFromJson, sealedToJson } from "./sealed-json";
import { createSealer, sealedField } from "./sealer";

describe("randomCode", () => {
  it("gives digits of the requested length and rejects lengths outside 4..10", () => {
    for (const n of [4, 6, 10]) assert.match(randomCode(n), new RegExp(`^\\d{${n}}$`));
    assert.throws(() => randomCode(3), RangeError);
    assert.throws(() => randomCode(11), RangeError);
  });

  it("spreads every digit position roughly uniformly", () => {
    const counts = Array.from({ length: 10 }, () => 0);
    for (let i = 0; i < 20_000; i++) for (const d of randomCode(6)) counts[Number(d)]!++;
    // 120k draws, 12k expected per digit; 5 sigma is about 520.
    for (const c of counts) assert.ok(Math.abs(c - 12_000) < 700, `digit count ${c}`);
  });
});

describe("code hashes", () => {
  const hasher = createCodeHasher(randomBytes(32));

  it("binds the code to verification and transaction", () => {
    const bound = bindingDigest({ amountMinor: 150000, currency: "IDR", payee: "Toko Budi" });
    const h = hasher.hash("v1", "123456", bound);
    assert.ok(compareCodeHashes(h, hasher.hash("v1", "123456", bound)));
    assert.ok(!compareCodeHashes(h, hasher.hash("v2", "123456", bound)));
    assert.ok(!compareCodeHashes(h, hasher.hash("v1", "123457", bound)));
    assert.ok(!compareCodeHashes(h, hasher.hash("v1", "123456", "")));
    const otherAmount = bindingDigest({ amountMinor: 150001, currency: "IDR", payee: "Toko Budi" });
    assert.ok(!compareCodeHashes(h, hasher.hash("v1", "123456", otherAmount)));
  });

  it("never contains the code, and differs per secret", () => {
    const other = createCodeHasher(randomBytes(32));
    fc.assert(
      fc.property(fc.stringMatching(/^\d{6}$/), (code) => {
        const h = hasher.hash("v", code, "");
        return !h.includes(code) && h !== other.hash("v", code, "");
      }),
    );
  });

  it("keeps binding digests unambiguous", () => {
    const a = bindingDigest({ amountMinor: 1, currency: "IDR", payee: "2|x" });
    const b = bindingDigest({ amountMinor: 12, currency: "IDR", payee: "x" });
    assert.notEqual(a, b);
    assert.equal(bindingDigest(undefined), "");
  });
});

describe("sealer", () => {
  const k1 = randomBytes(32);
  const k2 = randomBytes(32);

  it("round-trips and refuses another verification's associated data", () => {
    const sealer = createSealer({ activeKeyId: "k1", keys: new Map([["k1", k1]]) });
    const sealed = sealer.seal("+6281234567890", sealedField("v1", "phone"));
    assert.equal(sealed.keyId, "k1");
    assert.ok(!Buffer.from(sealed.ciphertext).toString("utf8").includes("6281234567890"));
    assert.equal(sealer.open(sealed, sealedField("v1", "phone")), "+6281234567890");
    assert.throws(() => sealer.open(sealed, sealedField("v2", "phone")), /failed authentication/);
    assert.throws(() => sealer.open(sealed, sealedField("v1", "code")), /failed authentication/);
  });

  it("opens values sealed under a rotated-out key", () => {
    const before = createSealer({ activeKeyId: "k1", keys: new Map([["k1", k1]]) });
    const after = createSealer({
      activeKeyId: "k2",
      keys: new Map([
        ["k1", k1],
        ["k2", k2],
      ]),
    });
    const old = before.seal("482913", sealedField("v", "code"));
    assert.equal(after.open(old, sealedField("v", "code")), "482913");
    assert.equal(after.seal("x", "ad").keyId, "k2");
  });

  it("opens only full 16-byte tags and 12-byte nonces", () => {
    const sealer = createSealer({ activeKeyId: "k1", keys: new Map([["k1", k1]]) });
    const sealed = sealer.seal("482913", "ad");
    // A truncated tag is what GCM itself would still check (Node accepts 4 bytes and up).
    assert.throws(
      () => sealer.open({ ...sealed, tag: sealed.tag.subarray(0, 12) }, "ad"),
      /failed authentication/,
    );
    const longIv = Buffer.concat([Buffer.from(sealed.iv), Buffer.alloc(4)]);
    assert.throws(() => sealer.open({ ...sealed, iv: longIv }, "ad"), /failed authentication/);
    assert.equal(sealer.open(sealed, "ad"), "482913");
  });

  it("detects tampering", () => {
    const sealer = createSealer({ activeKeyId: "k1", keys: new Map([["k1", k1]]) });
    const sealed = sealer.seal("482913", "ad");
    const flipped = Buffer.from(sealed.ciphertext);
    flipped[0] = flipped[0]! ^ 1;
    assert.throws(() => sealer.open({ ...sealed, ciphertext: flipped }, "ad"));
  });

  it("keeps a sealed value through JSON, still sealed", () => {
    const sealer = createSealer({ activeKeyId: "k1", keys: new Map([["k1", k1]]) });
    const sealed = sealer.seal("+6281234567890", "ad");
    const json = JSON.stringify(sealedToJson(sealed));
    assert.ok(!json.includes("6281234567890"));
    assert.equal(sealer.open(sealedFromJson(JSON.parse(json)), "ad"), "+6281234567890");
  });
});
