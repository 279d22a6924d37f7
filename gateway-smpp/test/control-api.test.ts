import assert from "node:assert/strict";
import { it } from "node:test";
import { startControlApi } from "../src/simulator/control-api";
import { randomPhone, sessionTo, startSimulator } from "./harness";

it("control API: inbox per phone, scenario get/put, stats, clear", async () => {
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

it("control API: /inbox/stream sends each message as a JSON line as it arrives", async () => {
  const simulator = await startSimulator();
  const api = await startControlApi(simulator, 0);
  const session = sessionTo(simulator);
  const phone = randomPhone();
  const other = randomPhone();
  const aborter = new AbortController();
  try {
    const all = await fetch(`http://127.0.0.1:${api.port}/inbox/stream`, { signal: aborter.signal });
    const one = await fetch(`http://127.0.0.1:${api.port}/inbox/stream?phone=%2B${phone}`, {
      signal: aborter.signal,
    });
    assert.equal(all.headers.get("content-type"), "application/x-ndjson");
    await session.submit({ source: "MyBank", destination: phone, text: "Your code is 918273" });
    await session.submit({ source: "MyBank", destination: other, text: "Your code is 111222" });
    const [first, second] = await readLines(all.body!, 2);
    assert.equal(first?.phone, phone);
    assert.equal(first?.text, "Your code is 918273");
    assert.equal(second?.phone, other);
    const [only] = await readLines(one.body!, 1);
    assert.equal(only?.text, "Your code is 918273", "the phone filter leaves the other handset out");
  } finally {
    aborter.abort();
    await session.close();
    await api.close();
    await simulator.close();
  }
});

/** The first `count` JSON lines of a stream. */
async function readLines(
  body: ReadableStream<Uint8Array>,
  count: number,
): Promise<Array<{ phone: string; text: string }>> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  while (text.split("\n").length <= count) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  reader.releaseLock();
  return text
    .split("\n")
    .slice(0, count)
    .map((line) => JSON.parse(line) as { phone: string; text: string });
}
