import assert from "node:assert/strict";
import { it } from "node:test";
import { lookupIdKeys, messageIdKeys, storedIdKey } from "./message-id";

/** Two ids match when their exact keys are equal or they share a numeric key. */
function matchByKeys(submitted: string, receipt: string): boolean {
  const a = messageIdKeys(submitted);
  const b = messageIdKeys(receipt);
  return a[0] === b[0] || a.slice(1).some((key) => b.slice(1).includes(key));
}

it("one stored key and the lookup's readings match the same pairs as the numeric keys", () => {
  const ids = [
    "1A2B",
    "6699",
    "00006699",
    "0a1b",
    "2587",
    "000A1B",
    "10",
    "16",
    "0",
    "00",
    "abc-1",
    "ABC-1",
    "FF",
    "255",
  ];
  for (const submitted of ids) {
    for (const receipt of ids) {
      assert.equal(
        lookupIdKeys(receipt).includes(storedIdKey(submitted)),
        matchByKeys(submitted, receipt),
        `${submitted} ↔ ${receipt}`,
      );
    }
  }
});
