import assert from "node:assert/strict";
import { it } from "node:test";
import { eventually, randomPhone, sessionTo, startSimulator } from "./harness";

const cases = [
  { name: "UCS-2 (Thai + emoji)", text: "รหัสของคุณคือ 482913 😀 ".repeat(8), parts: 3 },
  { name: "GSM 7-bit with extension characters", text: "Code 482913 {valid} €5 ~ ".repeat(12), parts: 3 },
];

for (const { name, text, parts } of cases) {
  it(`long ${name} message is concatenated and reassembled on the handset`, async () => {
    const simulator = await startSimulator();
    const session = sessionTo(simulator);
    try {
      const phone = randomPhone();
      const result = await session.submit({ source: "MyBank", destination: phone, text });
      assert.equal(result.messageIds.length, parts);
      await eventually("reassembled", () => simulator.inbox.messages(phone).length === 1);
      const [message] = simulator.inbox.messages(phone);
      assert.equal(message?.text, text);
      assert.equal(message?.parts, parts);
      assert.deepEqual(message?.messageIds, result.messageIds);
    } finally {
      await session.close();
      await simulator.close();
    }
  });
}
