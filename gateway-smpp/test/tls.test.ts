import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { it } from "node:test";
import { startSmscSimulator } from "../src/simulator/smsc-simulator";
import { PASSWORD, SYSTEM_ID, randomPhone, sessionTo } from "./harness";

/** A throw-away self-signed certificate for 127.0.0.1 (openssl is part of the base system). */
function selfSignedCertificate(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), "smpp-tls-"));
  try {
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=127.0.0.1",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
        "-keyout",
        join(dir, "key.pem"),
        "-out",
        join(dir, "cert.pem"),
      ],
      { stdio: "ignore" },
    );
    return {
      key: readFileSync(join(dir, "key.pem"), "utf8"),
      cert: readFileSync(join(dir, "cert.pem"), "utf8"),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

it("SMPP over TLS: the session verifies the SMSC certificate and submits", async () => {
  const tls = selfSignedCertificate();
  const simulator = await startSmscSimulator({ port: 0, credentials: { [SYSTEM_ID]: PASSWORD }, tls });
  const session = sessionTo(simulator, { tls: { ca: tls.cert } });
  try {
    const phone = randomPhone();
    const result = await session.submit({ source: "MyBank", destination: phone, text: "over TLS" });
    assert.equal(result.messageIds.length, 1);
    assert.equal(simulator.inbox.messages(phone)[0]?.text, "over TLS");
  } finally {
    await session.close();
    await simulator.close();
  }
});
