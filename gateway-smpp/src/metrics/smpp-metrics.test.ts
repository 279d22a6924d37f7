import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { commandStatusLabel } from "./smpp-metrics";

describe("SMPP metrics", () => {
  it("labels command_status as gateway-smpp does", () => {
    assert.equal(commandStatusLabel(0x58), "0x00000058");
    assert.equal(commandStatusLabel(undefined), "timeout");
  });
});
