/**
 * Throwaway PKI for tests: a CA and certificates it signs, made with the `openssl` command
 * into a temporary directory (node:crypto can parse certificates but not issue them).
 * EC P-256 keys keep generation fast. Client certificates follow the identity scheme of
 * services/shared/src/platform/grpc/identity.ts: CN=<tenant|service|admin>:<name>.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

export interface KeyPair {
  /** PEM certificate. */
  cert: Buffer;
  /** PEM private key. */
  key: Buffer;
}

export interface IssueOptions {
  /** "server" adds serverAuth and the SANs; "client" adds clientAuth. */
  usage: "server" | "client";
  dnsNames?: string[];
  ipAddresses?: string[];
}

export interface TestCa {
  /** PEM of the CA certificate (what peers trust). */
  ca: Buffer;
  issue(commonName: string, options: IssueOptions): KeyPair;
  /** Deletes the CA's key and every file it made. */
  remove(): void;
}

export function createTestCa(name = "otp-router test CA"): TestCa {
  const dir = mkdtempSync(path.join(tmpdir(), "otp-router-pki-"));
  const caKey = path.join(dir, "ca.key");
  const caCert = path.join(dir, "ca.crt");
  openssl([
    "req",
    "-x509",
    ...newEcKey(caKey),
    "-out",
    caCert,
    "-days",
    "2",
    "-subj",
    `/CN=${name}`,
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ]);
  let serial = 0;

  return {
    ca: readFileSync(caCert),
    issue(commonName, options) {
      serial += 1;
      const base = path.join(dir, `leaf-${serial}`);
      openssl([
        "req",
        "-new",
        ...newEcKey(`${base}.key`),
        "-out",
        `${base}.csr`,
        "-subj",
        `/CN=${commonName}`,
      ]);
      writeFileSync(`${base}.ext`, extensions(options));
      openssl([
        "x509",
        "-req",
        "-in",
        `${base}.csr`,
        "-CA",
        caCert,
        "-CAkey",
        caKey,
        "-set_serial",
        String(1000 + serial),
        "-days",
        "2",
        "-extfile",
        `${base}.ext`,
        "-out",
        `${base}.crt`,
      ]);
      return { cert: readFileSync(`${base}.crt`), key: readFileSync(`${base}.key`) };
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The usual set for gRPC tests: a server cert for localhost and one client per role. */
export interface TestCertificates {
  ca: Buffer;
  server: KeyPair;
  tenant: KeyPair;
  service: KeyPair;
  admin: KeyPair;
  /** A well-formed tenant certificate signed by a CA the server does not trust. */
  foreignTenant: KeyPair;
  /** A client certificate of our CA with any common name. */
  issueClient(commonName: string): KeyPair;
  remove(): void;
}

export function createTestCertificates(tenant = "acme-bank"): TestCertificates {
  const ca = createTestCa();
  const foreignCa = createTestCa("someone else's CA");
  return {
    ca: ca.ca,
    server: ca.issue("localhost", {
      usage: "server",
      dnsNames: ["localhost"],
      ipAddresses: ["127.0.0.1", "::1"],
    }),
    tenant: ca.issue(`tenant:${tenant}`, { usage: "client" }),
    service: ca.issue("service:routing", { usage: "client" }),
    admin: ca.issue("admin:alice", { usage: "client" }),
    foreignTenant: foreignCa.issue(`tenant:${tenant}`, { usage: "client" }),
    issueClient: (commonName) => ca.issue(commonName, { usage: "client" }),
    remove() {
      ca.remove();
      foreignCa.remove();
    },
  };
}

function newEcKey(keyFile: string): string[] {
  return ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", keyFile];
}

function extensions(options: IssueOptions): string {
  const lines = ["basicConstraints=critical,CA:FALSE", "keyUsage=critical,digitalSignature,keyEncipherment"];
  lines.push(`extendedKeyUsage=${options.usage === "server" ? "serverAuth" : "clientAuth"}`);
  const names = [
    ...(options.dnsNames ?? []).map((n) => `DNS:${n}`),
    ...(options.ipAddresses ?? []).map((ip) => `IP:${ip}`),
  ];
  if (names.length > 0) lines.push(`subjectAltName=${names.join(",")}`);
  return lines.join("\n") + "\n";
}

function openssl(args: string[]): void {
  execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
}
