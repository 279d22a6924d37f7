/**
 * Secrets that arrive in a URL's query never reach a span: the operator's redirect to the
 * silent-verification callback carries an OIDC authorization code and the session's state, and
 * WhatsApp's webhook challenge carries the verify token.
 */
import { finishedSpans, telemetry } from "./tracing-setup";
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, describe, it } from "node:test";

after(() => telemetry.shutdown());

async function serveOnce(query: string): Promise<string> {
  const server = http.createServer((_req, res) => res.end("ok"));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  try {
    await fetch(`http://127.0.0.1:${port}/silent/callback?${query}`).then((r) => r.text());
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
  for (let i = 0; i < 50; i++) {
    const span = finishedSpans.find((s) => JSON.stringify(s.attributes).includes("keep=1"));
    if (span) return JSON.stringify(span.attributes);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.fail(`no server span for the request; spans: ${finishedSpans.map((s) => s.name).join(", ")}`);
}

describe("query secrets in spans", () => {
  it("redacts an authorization code, a state and a verify token in the server's span, keeps the rest", async () => {
    const attributes = await serveOnce("code=AUTHCODE123&state=STATE456&hub.verify_token=VT789&keep=1");
    for (const secret of ["AUTHCODE123", "STATE456", "VT789"]) {
      assert.doesNotMatch(attributes, new RegExp(secret), `${secret} is in a span: ${attributes}`);
    }
    assert.match(attributes, /keep=1/);
    assert.match(attributes, /code=REDACTED/);
  });
});
