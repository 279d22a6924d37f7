import assert from "node:assert/strict";
import { it } from "node:test";
import fc from "fast-check";
import { GSM7_CHARACTERS, decodeGsm7, encodeGsm7 } from "./gsm7";
import { concatInfo, decodeSmsBody, encodeSms, splitUdh } from "./sms-encoding";

const gsmText = fc
  .array(fc.constantFrom(...GSM7_CHARACTERS), { maxLength: 700 })
  .map((chars) => chars.join(""));
const anyText = fc.string({ unit: "grapheme", maxLength: 400 });

function reassemble(text: string): { decoded: string; parts: Buffer[]; dataCoding: number } {
  const encoded = encodeSms(text, { reference: 42 });
  const bodies = encoded.parts.map((part) => (encoded.esmClass === 0x40 ? splitUdh(part).body : part));
  return {
    decoded: bodies.map((body) => decodeSmsBody(body, encoded.dataCoding)).join(""),
    parts: encoded.parts,
    dataCoding: encoded.dataCoding,
  };
}

it("GSM 7-bit: decode(encode(x)) = x", () => {
  fc.assert(fc.property(gsmText, (text) => decodeGsm7(encodeGsm7(text)) === text));
});

it("any text survives encoding, splitting and reassembly", () => {
  fc.assert(fc.property(fc.oneof(gsmText, anyText), (text) => reassemble(text).decoded === text));
});

it("parts stay within the limits and never split an escape or a surrogate pair", () => {
  fc.assert(
    fc.property(fc.oneof(gsmText, anyText), (text) => {
      const encoded = encodeSms(text, { reference: 7 });
      const gsm = encoded.dataCoding === 0;
      if (encoded.parts.length === 1 && encoded.esmClass === 0) {
        return (encoded.parts[0]?.length ?? 0) <= (gsm ? 160 : 140);
      }
      return encoded.parts.every((part, index) => {
        const { elements, body } = splitUdh(part);
        const info = concatInfo(elements);
        const limitOk = body.length <= (gsm ? 153 : 134) && part.length <= 140 + 19;
        const lastByte = body[body.length - 1];
        const splitsEscape = gsm && lastByte === 0x1b;
        const lastUnit =
          body.length >= 2 ? ((body[body.length - 2] ?? 0) << 8) | (body[body.length - 1] ?? 0) : 0;
        const splitsSurrogate = !gsm && lastUnit >= 0xd800 && lastUnit <= 0xdbff;
        return (
          limitOk &&
          !splitsEscape &&
          !splitsSurrogate &&
          info?.reference === 7 &&
          info.total === encoded.parts.length &&
          info.sequence === index + 1
        );
      });
    }),
  );
});

it("exact boundaries: 160 GSM / 70 UCS-2 fit one SMS, one more makes two parts", () => {
  assert.equal(encodeSms("a".repeat(160), { reference: 1 }).parts.length, 1);
  assert.equal(encodeSms("a".repeat(161), { reference: 1 }).parts.length, 2);
  assert.equal(encodeSms("€".repeat(80), { reference: 1 }).parts.length, 1, "extension chars count 2");
  assert.equal(encodeSms("€".repeat(81), { reference: 1 }).parts.length, 2);
  assert.equal(encodeSms("ก".repeat(70), { reference: 1 }).parts.length, 1);
  assert.equal(encodeSms("ก".repeat(71), { reference: 1 }).parts.length, 2);
  assert.equal(encodeSms("a".repeat(306), { reference: 1 }).parts.length, 2);
  assert.equal(encodeSms("a".repeat(307), { reference: 1 }).parts.length, 3);
});

it("data coding: GSM 0x00 when possible, UCS-2 0x08 otherwise", () => {
  assert.equal(encodeSms("Code 1234 @£$", { reference: 1 }).dataCoding, 0x00);
  assert.equal(encodeSms("Mã của bạn", { reference: 1 }).dataCoding, 0x08);
  assert.deepEqual([...encodeGsm7("@a€")], [0x00, 0x61, 0x1b, 0x65]);
  assert.deepEqual([...encodeGsm7("{x}\f")], [0x1b, 0x28, 0x78, 0x1b, 0x29, 0x1b, 0x0a]);
  for (const outside of ["ł", "😀", "`"]) assert.throws(() => encodeGsm7(`a${outside}`), RangeError, outside);
});

it("too many parts is refused", () => {
  assert.throws(() => encodeSms("a".repeat(153 * 3 + 1), { reference: 1, maxParts: 3 }), RangeError);
});
