/**
 * Configuration files for KRaft test brokers on 127.0.0.1: a single node (broker and controller
 * in one JVM, a static quorum of one voter), or one member of a cluster whose nodes are each
 * broker and controller, with a static quorum of every node (test/harness/kafka-cluster.ts).
 */
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import path from "node:path";
import type { KafkaDistribution } from "./jars";

export interface BrokerLayout {
  dir: string;
  brokerPort: number;
  controllerPort: number;
  /** A second listener, SASL_SSL (SCRAM-SHA-512, client certificates required), when given. */
  secure?: SecureListener;
  /** Set for a member of a cluster; a single node is node 1, alone in its quorum. */
  cluster?: ClusterMembership;
}

export interface ClusterMembership {
  nodeId: number;
  /** Every controller: `1@127.0.0.1:p1,2@127.0.0.1:p2,...` */
  voters: string;
  /** Brokers in the cluster: the replication factor of internal topics and new topics. */
  size: number;
}

/** The replication a cluster of `size` brokers runs with: as in production from three on. */
function replicationSettings(size: number): Record<string, number | boolean> {
  const replicas = Math.min(3, size);
  // A write acknowledged by all in-sync replicas is on two of the three at least.
  const minIsr = replicas >= 3 ? 2 : 1;
  return {
    "offsets.topic.replication.factor": replicas,
    "transaction.state.log.replication.factor": replicas,
    "transaction.state.log.min.isr": minIsr,
    "share.coordinator.state.topic.replication.factor": replicas,
    "share.coordinator.state.topic.min.isr": minIsr,
    "default.replication.factor": replicas,
    "min.insync.replicas": minIsr,
    // Never elect a replica that may lack acknowledged writes (Kafka's default, stated).
    "unclean.leader.election.enable": false,
  };
}

export interface SecureListener {
  port: number;
  /** PEM: the broker's certificate chain followed by its PKCS#8 key. */
  keystoreFile: string;
  /** PEM: the CA that signs client certificates. */
  truststoreFile: string;
}

/** The SCRAM mechanism of the secure listener; its users are made by `kafka-storage format --add-scram`. */
export const SCRAM_MECHANISM = "SCRAM-SHA-512";

export function serverPropertiesPath(layout: BrokerLayout): string {
  return path.join(layout.dir, "server.properties");
}

/**
 * A KRaft cluster id: 16 random bytes, base64url without padding (Kafka's Uuid format). One
 * starting with "-" would read as an option to kafka-storage's argument parser, so draw again.
 */
export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString("base64url");
    if (!id.startsWith("-")) return id;
  }
}

export function writeServerProperties(layout: BrokerLayout): void {
  const { dir, brokerPort, controllerPort, secure } = layout;
  const member = layout.cluster ?? { nodeId: 1, voters: `1@127.0.0.1:${controllerPort}`, size: 1 };
  const secureListener = secure ? `,SASL_SSL://127.0.0.1:${secure.port}` : "";
  const settings: Record<string, string | number | boolean> = {
    "process.roles": "broker,controller",
    "node.id": member.nodeId,
    "controller.quorum.voters": member.voters,
    listeners: `PLAINTEXT://127.0.0.1:${brokerPort},CONTROLLER://127.0.0.1:${controllerPort}${secureListener}`,
    "advertised.listeners": `PLAINTEXT://127.0.0.1:${brokerPort}${secureListener}`,
    "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL",
    "controller.listener.names": "CONTROLLER",
    "inter.broker.listener.name": "PLAINTEXT",
    "log.dirs": path.join(dir, "data"),
    // One node: every internal topic has replication factor 1; a cluster: 3, min ISR 2.
    ...replicationSettings(member.size),
    "offsets.topic.num.partitions": 8,
    "transaction.state.log.num.partitions": 4,
    // Tests join groups all the time; waiting 3 s for more members to arrive only slows them.
    "group.initial.rebalance.delay.ms": 0,
    // Routing's takeover tests let a killed owner's session lapse within a few seconds.
    "group.min.session.timeout.ms": 1_000,
    // Topics exist because code created them (EventBus.ensureTopics), never by accident.
    "auto.create.topics.enable": false,
    // After a SIGKILL the restarted broker may register only once its old session expired
    // (default 9 s): keep restarts in fault tests short.
    "broker.session.timeout.ms": 4_000,
    "broker.heartbeat.interval.ms": 500,
    "num.partitions": 1,
    "log.segment.bytes": 16 * 1024 * 1024,
    "num.network.threads": 2,
    "num.io.threads": 4,
    ...(secure ? secureListenerSettings(secure) : {}),
  };
  const text = Object.entries(settings)
    .map(([key, value]) => `${key}=${String(value)}`)
    .join("\n");
  writeFileSync(serverPropertiesPath(layout), `${text}\n`);
}

/**
 * The SASL_SSL listener as deploy/ runs it: TLS with PEM files, SCRAM-SHA-512 users stored in the
 * cluster metadata, and (beyond deploy/) a client certificate required, so the client
 * certificate settings are exercised too. The broker and controller keep talking PLAINTEXT on
 * loopback.
 */
function secureListenerSettings(secure: SecureListener): Record<string, string> {
  const prefix = "listener.name.sasl_ssl";
  return {
    "sasl.enabled.mechanisms": SCRAM_MECHANISM,
    [`${prefix}.${SCRAM_MECHANISM.toLowerCase()}.sasl.jaas.config`]:
      "org.apache.kafka.common.security.scram.ScramLoginModule required;",
    [`${prefix}.ssl.keystore.type`]: "PEM",
    [`${prefix}.ssl.keystore.location`]: secure.keystoreFile,
    [`${prefix}.ssl.truststore.type`]: "PEM",
    [`${prefix}.ssl.truststore.location`]: secure.truststoreFile,
    [`${prefix}.ssl.client.auth`]: "required",
  };
}

/** Writes the logging configuration and returns the JVM flag that points to it. */
export function writeLoggingConfig(layout: BrokerLayout, logging: KafkaDistribution["logging"]): string {
  if (logging === "log4j2") {
    const file = path.join(layout.dir, "log4j2.properties");
    writeFileSync(
      file,
      [
        "status = warn",
        "appender.out.type = Console",
        "appender.out.name = OUT",
        "appender.out.layout.type = PatternLayout",
        "appender.out.layout.pattern = [%d] %p %m (%c)%n",
        "rootLogger.level = INFO",
        "rootLogger.appenderRef.out.ref = OUT",
        // Per-partition state changes flood the log when tests create many topics.
        "logger.stateChange.name = state.change.logger",
        "logger.stateChange.level = WARN",
        "",
      ].join("\n"),
    );
    return `-Dlog4j2.configurationFile=${file}`;
  }
  const file = path.join(layout.dir, "log4j.properties");
  writeFileSync(
    file,
    [
      "log4j.rootLogger=INFO, out",
      "log4j.appender.out=org.apache.log4j.ConsoleAppender",
      "log4j.appender.out.layout=org.apache.log4j.PatternLayout",
      "log4j.appender.out.layout.ConversionPattern=[%d] %p %m (%c)%n",
      "log4j.logger.state.change.logger=WARN",
      "",
    ].join("\n"),
  );
  return `-Dlog4j.configuration=file:${file}`;
}
