import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { it } from "node:test";
import { compactId, fullId } from "./compact-id";

it("stores a UUID in 22 characters and reads every id back exactly", () => {
  const uuid = randomUUID();
  assert.equal(compactId(uuid).length, 22);
  for (const id of [uuid, "evt-1", "=already", "", "2F46B995-BF7F-45F5-8ACA-BED6BC1C8402", "a-b"])
    assert.equal(fullId(compactId(id)), id, id);
});
