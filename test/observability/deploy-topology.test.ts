/**
 * deploy/ runs the topology the failover suite proves (ADR 0014): three Kafka nodes, each broker
 * and controller, replication 3 and min ISR 2 without unclean election, every network listener
 * encrypted and authenticated; a Redis Cluster of three masters with a replica each; services
 * that know every seed and wait for a replica's acknowledgement of a check. Checked on the files,
 * and on what deploy/kafka/start-kafka.sh really writes for a node (its Kafka commands stubbed).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { parseRedisUrl } from "@platform/store/redis-url";
import { compose, DEPLOY, envOf, ofKind } from "./deploy-files";

const KAFKA_NODES = ["kafka", "kafka-2", "kafka-3"];
const REDIS_NODES = ["redis", "redis-2", "redis-3", "redis-4", "redis-5", "redis-6"];
const PLATFORM_SERVICES = [
  "issuance",
  "verification",
  "routing",
  "gateway-smpp",
  "whatsapp",
  "voice",
  "assistant",
  "silent",
];

const scratch = mkdtempSync(path.join(tmpdir(), "start-kafka-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs start-kafka.sh as Compose runs it for one node, with Kafka's commands recording their arguments. */
function startKafkaScript(env: Record<string, string>): {
  properties: Map<string, string>;
  formatArgs: string;
} {
  const dir = mkdtempSync(path.join(scratch, "node-"));
  mkdirSync(path.join(dir, "bin"));
  for (const command of ["kafka-storage.sh", "kafka-server-start.sh"]) {
    const at = path.join(dir, "bin", command);
    writeFileSync(at, `#!/bin/sh\necho "$@" > "${dir}/${command}.args"\n`);
    chmodSync(at, 0o755);
  }
  const config = path.join(dir, "server.properties");
  const run = spawnSync("/bin/sh", [path.join(DEPLOY, "kafka/start-kafka.sh")], {
    env: { PATH: process.env.PATH ?? "", ...env, KAFKA_HOME: dir, KAFKA_CONFIG_FILE: config },
    encoding: "utf8",
  });
  assert.equal(run.status, 0, run.stderr);
  const properties = new Map(
    readFileSync(config, "utf8")
      .split("\n")
      .filter((line) => line.includes("="))
      .map(
        (line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)] as [string, string],
      ),
  );
  assert.equal(readFileSync(path.join(dir, "kafka-server-start.sh.args"), "utf8").trim(), config);
  return { properties, formatArgs: readFileSync(path.join(dir, "kafka-storage.sh.args"), "utf8") };
}

describe("deploy/ topology", () => {
  it("runs three Kafka nodes in Compose through start-kafka.sh, each its own id and volume", () => {
    const ids = KAFKA_NODES.map((name) => {
      const service = compose.services[name];
      assert.ok(service, `compose has no ${name}`);
      assert.deepEqual(service.entrypoint, ["/bin/sh", "/scripts/start-kafka.sh"]);
      assert.equal(envOf(name).KAFKA_NODES, "3");
      assert.ok(service.volumes?.some((v) => v.endsWith(":/var/lib/kafka/data")));
      return envOf(name).KAFKA_NODE_ID;
    });
    assert.deepEqual(ids, ["1", "2", "3"]);
    const volumes = KAFKA_NODES.map((name) =>
      compose.services[name]!.volumes!.find((v) => v.includes("/var/lib/kafka")),
    );
    assert.equal(new Set(volumes).size, 3, "the nodes share a data volume");
  });

  it("makes each node a voter of one quorum of three, replicating 3 with min ISR 2, authenticated on every network listener", () => {
    const { properties: p, formatArgs } = startKafkaScript(envOf("kafka-2"));
    assert.equal(p.get("node.id"), "2");
    assert.equal(p.get("controller.quorum.voters"), "1@kafka:9093,2@kafka-2:9093,3@kafka-3:9093");
    assert.equal(p.get("default.replication.factor"), "3");
    assert.equal(p.get("min.insync.replicas"), "2");
    assert.equal(p.get("offsets.topic.replication.factor"), "3");
    assert.equal(p.get("transaction.state.log.replication.factor"), "3");
    assert.equal(p.get("transaction.state.log.min.isr"), "2");
    assert.equal(p.get("unclean.leader.election.enable"), "false");
    assert.match(p.get("advertised.listeners") ?? "", /SASL_SSL:\/\/kafka-2:9092/);
    const protocols = new Map(
      p
        .get("listener.security.protocol.map")!
        .split(",")
        .map((e) => e.split(":") as [string, string]),
    );
    for (const listener of p.get("listeners")!.split(",")) {
      const [, name = "", host = ""] = /^(\w+):\/\/([^:]*):\d+$/.exec(listener) ?? [];
      const protocol = protocols.get(name);
      if (host === "127.0.0.1") continue; // the container's own health check
      assert.ok(
        protocol === "SSL" || protocol === "SASL_SSL",
        `${name} listens in ${protocol} on the network`,
      );
      if (protocol === "SSL")
        assert.equal(
          p.get(`listener.name.${name.toLowerCase()}.ssl.client.auth`),
          "required",
          `${name} takes anyone`,
        );
    }
    assert.notEqual(protocols.get(p.get("inter.broker.listener.name")!), "PLAINTEXT");
    for (const service of PLATFORM_SERVICES) {
      assert.ok(formatArgs.includes(`name=otp-${service},password=`), `no SCRAM user for ${service}`);
    }
  });

  it("connects the services to every Kafka node and every Redis node, waiting for a replica on checks", () => {
    for (const name of PLATFORM_SERVICES) {
      const env = envOf(name);
      assert.deepEqual(
        env.KAFKA_BROKERS!.split(",").map((b) => b.split(":")[0]),
        KAFKA_NODES,
        `${name}: KAFKA_BROKERS`,
      );
      assert.deepEqual(
        parseRedisUrl(env.REDIS_URL!).nodes.map((n) => n.host),
        REDIS_NODES,
        `${name}: REDIS_URL`,
      );
      assert.equal(env.REDIS_REPLICA_ACKS, "1", `${name}: checks not confirmed by a replica`);
      const dependsOn = compose.services[name]!.depends_on ?? {};
      for (const node of KAFKA_NODES)
        assert.equal(dependsOn[node]?.condition, "service_healthy", `${name} → ${node}`);
      assert.equal(dependsOn["redis-cluster-init"]?.condition, "service_completed_successfully");
    }
  });

  it("forms a Redis Cluster of three masters with a replica each from six cluster-enabled nodes", () => {
    for (const name of REDIS_NODES) {
      const command = compose.services[name]?.command ?? [];
      assert.equal(command[command.indexOf("--cluster-enabled") + 1], "yes", `${name} is not a cluster node`);
      assert.equal(command[command.indexOf("--appendonly") + 1], "yes", `${name} keeps no append-only file`);
    }
    const init = compose.services["redis-cluster-init"]!;
    assert.match(init.command!.join("\n"), /--cluster-replicas 1/);
    for (const name of REDIS_NODES) assert.match(init.command!.join("\n"), new RegExp(`\\b${name}\\b`));
  });

  it("runs the same topology in Kubernetes: three Strimzi nodes on a SCRAM TLS listener, six Redis pods", () => {
    const pool = ofKind("KafkaNodePool")[0]?.spec as { replicas: number; roles: string[] };
    assert.equal(pool.replicas, 3);
    assert.deepEqual([...pool.roles].sort(), ["broker", "controller"]);
    const kafka = ofKind("Kafka")[0]?.spec as {
      kafka: {
        listeners: Array<{ port: number; tls: boolean; authentication?: { type: string } }>;
        authorization?: { type: string };
        config: Record<string, unknown>;
      };
    };
    assert.equal(kafka.kafka.config["min.insync.replicas"], 2);
    assert.equal(kafka.kafka.config["transaction.state.log.min.isr"], 2);
    assert.equal(kafka.kafka.config["unclean.leader.election.enable"], false);
    assert.equal(kafka.kafka.authorization?.type, "simple", "the KafkaUsers' ACLs need an authorizer");
    for (const listener of kafka.kafka.listeners) {
      assert.ok(
        listener.tls && listener.authentication?.type === "scram-sha-512",
        `listener ${listener.port}`,
      );
    }
    const settings = ofKind("ConfigMap").find((c) => c.metadata.name === "otp-router-config")!.data!;
    const port = Number(settings.KAFKA_BROKERS!.split(":").at(-1));
    assert.ok(
      kafka.kafka.listeners.some((l) => l.port === port),
      "KAFKA_BROKERS names no listener",
    );

    const redis = ofKind("StatefulSet").find((s) => s.metadata.name === "otp-redis")?.spec as {
      replicas: number;
      serviceName: string;
    };
    assert.equal(redis.replicas, 6);
    for (const node of parseRedisUrl(settings.REDIS_URL!).nodes) {
      assert.match(
        node.host,
        new RegExp(`^otp-redis-\\d\\.${redis.serviceName}\\.`),
        "a seed outside the StatefulSet",
      );
    }
    assert.equal(settings.REDIS_REPLICA_ACKS, "1");
    const config = ofKind("ConfigMap").find((c) => c.metadata.name === "otp-redis-config")!.data![
      "redis.conf"
    ]!;
    assert.match(config, /cluster-enabled yes/);
    assert.ok(ofKind("Job").some((j) => JSON.stringify(j.spec).includes("--cluster-replicas 1")));
  });
});
