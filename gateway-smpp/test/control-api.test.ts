import assert from "node:assert/strict";
import { test } from "node:test";
import { startControlApi } from "../src/simulator/control-api";
import { randomPhone, sessionTo, startSimulator } from "./harness";

test("control API: inbox per phone, scenario get/put, stats, clear", async () => {
  const simulator = await startSimulator();
  const api = await startControlApi(simulator, 0);
  const session = sessionTo(simulator);
  const base = `http://127.0.0.1:${api.port}`;
  try {
    const phone = randomPhone();
    await session.submit({ source: "MyBank", destination: phone, text: "Your code is 918273" });
    const inbox = (await (await fetch(`${base}/inbox?phone=%2B${phone}`)).json()) as {
      messages: Array<{ text: string }>;
    };
    assert.equal(inbox.messages[0]?.text, "Your code is 918273");

    const put = await fetch(`${base}/scenario`, { method: "PUT", body: JSON.stringify({ hexIds: true }) });
    assert.equal(put.status, 200);
    assert.deepEqual(await (await fetch(`${base}/scenario`)).json(), { hexIds: true });
    const bad = await fetch(`${base}/scenario`, { method: "PUT", body: JSON.stringify({ hexIds: "yes" }) });
    assert.equal(bad.status, 400);

    const stats = (await (await fetch(`${base}/stats`)).json()) as { accepted: number };
    assert.equal(stats.accepted, 1);
    assert.equal((await fetch(`${base}/inbox`, { method: "DELETE" })).status, 204);
    const all = (await (await fetch(`${base}/inbox`)).json()) as { messages: unknown[] };
    assert.equal(all.messages.length, 0);
  } finally {
    await session.close();
    await api.close();
    await simulator.close();
  }
});
