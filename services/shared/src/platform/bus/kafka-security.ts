/**
 * How every Kafka client of the project reaches the brokers: TLS (a CA, optionally a client
 * certificate) and SASL SCRAM, from the environment:
 *
 *   KAFKA_TLS_CA            PEM file of the CA(s) that sign the brokers' certificates (turns TLS on)
 *   KAFKA_TLS               `true`: TLS with the system's CAs (when no KAFKA_TLS_CA is given)
 *   KAFKA_TLS_CERT/KEY      PEM files of a client certificate and its key, for brokers that ask
 *   KAFKA_SASL_MECHANISM    `scram-sha-512` (or `scram-sha-256`)
 *   KAFKA_SASL_USERNAME/PASSWORD
 *   KAFKA_ALLOW_PLAINTEXT   `true`: plaintext brokers off loopback; SASL without TLS on loopback
 *
 * Plaintext reaches only loopback brokers unless allowed, and a SASL password never crosses a
 * network in clear: SASL without TLS is refused unless every broker is on loopback and
 * KAFKA_ALLOW_PLAINTEXT says so (a local test broker). See ADR 0010.
 */
import { readFileSync } from "node:fs";
import type { KafkaConfig, SASLOptions } from "kafkajs";
import { OtpError } from "@domain/errors";
import type { Env } from "../config";

/** What kafkajs needs beside brokers and client id. */
export type KafkaSecurity = Pick<KafkaConfig, "ssl" | "sasl" | "connectionTimeout">;

/** kafkajs waits 1 s for a connection by default: too short for a TLS handshake on a busy broker. */
const TLS_CONNECTION_TIMEOUT_MS = 5_000;

const SASL_MECHANISMS = ["scram-sha-512", "scram-sha-256"] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

/** The settings as read, before any file is opened. */
interface KafkaSecuritySettings {
  brokers: string[];
  tls: boolean;
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  sasl?: { mechanism: string; username?: string; password?: string };
  allowPlaintext: boolean;
}

const TRUE = /^(1|true|yes|on)$/i;
const FALSE = /^(0|false|no|off)?$/i;

/** Reads the variables; problems with their form are collected, not thrown. */
function readKafkaSecuritySettings(env: Env, problems: string[]): KafkaSecuritySettings {
  const flag = (name: string): boolean => {
    const raw = env[name] ?? "";
    if (TRUE.test(raw)) return true;
    if (!FALSE.test(raw)) problems.push(`${name}=${JSON.stringify(raw)}: expected true or false`);
    return false;
  };
  const value = (name: string): string | undefined => (env[name] ? env[name] : undefined);
  const mechanism = value("KAFKA_SASL_MECHANISM");
  const username = value("KAFKA_SASL_USERNAME");
  const password = value("KAFKA_SASL_PASSWORD");
  return {
    brokers: (env.KAFKA_BROKERS ?? "")
      .split(",")
      .map((b) => b.trim())
      .filter(Boolean),
    tls: flag("KAFKA_TLS"),
    caFile: value("KAFKA_TLS_CA"),
    certFile: value("KAFKA_TLS_CERT"),
    keyFile: value("KAFKA_TLS_KEY"),
    sasl:
      mechanism || username || password
        ? { mechanism: (mechanism ?? "").toLowerCase(), username, password }
        : undefined,
    allowPlaintext: flag("KAFKA_ALLOW_PLAINTEXT"),
  };
}

/** Whether the settings are consistent and safe; each problem names its variable. Pure. */
function kafkaSecurityProblems(s: KafkaSecuritySettings): string[] {
  const problems: string[] = [];
  const tls = s.tls || s.caFile !== undefined;
  if ((s.certFile === undefined) !== (s.keyFile === undefined)) {
    problems.push(
      s.certFile === undefined
        ? "KAFKA_TLS_KEY is set without KAFKA_TLS_CERT: give the client certificate and its key together"
        : "KAFKA_TLS_CERT is set without KAFKA_TLS_KEY: give the client certificate and its key together",
    );
  }
  if (s.certFile !== undefined && !tls) {
    problems.push("KAFKA_TLS_CERT needs TLS: set KAFKA_TLS_CA (or KAFKA_TLS=true)");
  }
  if (s.sasl) {
    if (!(SASL_MECHANISMS as readonly string[]).includes(s.sasl.mechanism)) {
      problems.push(
        s.sasl.mechanism === ""
          ? `KAFKA_SASL_MECHANISM is required with KAFKA_SASL_USERNAME/PASSWORD: one of ${SASL_MECHANISMS.join(", ")}`
          : `KAFKA_SASL_MECHANISM=${JSON.stringify(s.sasl.mechanism)}: expected one of ${SASL_MECHANISMS.join(", ")}`,
      );
    }
    if (!s.sasl.username) problems.push("KAFKA_SASL_USERNAME is required with KAFKA_SASL_MECHANISM");
    if (!s.sasl.password) problems.push("KAFKA_SASL_PASSWORD is required with KAFKA_SASL_MECHANISM");
  }
  const remote = s.brokers.filter((b) => !isLoopback(b));
  if (!tls && s.sasl && (remote.length > 0 || !s.allowPlaintext)) {
    problems.push(
      remote.length > 0
        ? `KAFKA_SASL_MECHANISM without TLS would send the password in clear to ${remote.join(", ")}: set KAFKA_TLS_CA (or KAFKA_TLS=true)`
        : "KAFKA_SASL_MECHANISM without TLS: set KAFKA_TLS_CA (or KAFKA_TLS=true), or KAFKA_ALLOW_PLAINTEXT=true for brokers on loopback",
    );
  } else if (!tls && remote.length > 0 && !s.allowPlaintext) {
    problems.push(
      `KAFKA_BROKERS ${remote.join(", ")} are not on loopback and TLS is off: set KAFKA_TLS_CA and ` +
        "KAFKA_SASL_* (or KAFKA_ALLOW_PLAINTEXT=true to accept an unauthenticated, unencrypted bus)",
    );
  }
  return problems;
}

/** `host:port` on 127.0.0.0/8, ::1 or localhost. */
export function isLoopback(broker: string): boolean {
  const host = broker.replace(/:\d+$/, "").replace(/^\[(.*)\]$/, "$1");
  return host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * The kafkajs settings from the environment; throws one CONFIG_INVALID listing every problem
 * (never a password). Unset variables mean plaintext without SASL, allowed on loopback only.
 */
export function kafkaSecurityFromEnv(
  env: Env,
  readFile: (file: string) => Buffer = (file) => readFileSync(file),
): KafkaSecurity {
  const problems: string[] = [];
  const settings = readKafkaSecuritySettings(env, problems);
  problems.push(...kafkaSecurityProblems(settings));
  const pem = (name: string, file: string | undefined): Buffer | undefined => {
    if (file === undefined) return undefined;
    try {
      return readFile(file);
    } catch (err) {
      problems.push(`${name}=${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? "error"})`);
      return undefined;
    }
  };
  const ca = pem("KAFKA_TLS_CA", settings.caFile);
  const cert = pem("KAFKA_TLS_CERT", settings.certFile);
  const key = pem("KAFKA_TLS_KEY", settings.keyFile);
  if (problems.length > 0) {
    throw new OtpError("CONFIG_INVALID", `invalid configuration:\n  - ${problems.join("\n  - ")}`);
  }
  const tls = settings.tls || ca !== undefined;
  const security: KafkaSecurity = {};
  if (tls) {
    security.ssl = {
      ...(ca ? { ca: [ca] } : {}),
      ...(cert && key ? { cert, key } : {}),
      // Node checks the broker's name against its certificate; never turned off here.
      rejectUnauthorized: true,
    };
    security.connectionTimeout = TLS_CONNECTION_TIMEOUT_MS;
  }
  if (settings.sasl) {
    security.sasl = {
      mechanism: settings.sasl.mechanism as SaslMechanism,
      username: settings.sasl.username ?? "",
      password: settings.sasl.password ?? "",
    } as SASLOptions;
  }
  return security;
}

/** For logs and banners: how the bus connects, without secrets. */
export function describeKafkaSecurity(security: KafkaSecurity): string {
  const tls = security.ssl ? "TLS" : "plaintext";
  const sasl = security.sasl ? `, SASL ${security.sasl.mechanism.toUpperCase()}` : "";
  return `${tls}${sasl}`;
}
