/**
 * What can be checked of deploy/ without Docker or a cluster: every YAML file parses; every
 * image in the Compose file names an entry point that exists and that `npm run build` emits
 * where the Dockerfile runs it; the services' settings in Compose and Kubernetes pass the
 * services' own configuration readers; the Kubernetes objects fit together (selectors, HPA,
 * PDB, headless Services for Prometheus, Secret references) and the Kafka topics are durable.
 */
import assert from "node:assert/strict";
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { parseAllDocuments } from "yaml";
import { loadGatewayConfig } from "@gateway-smpp/src/config/load-config";
import { parseGatewayConfig } from "@gateway-smpp/src/config/parse-config";
import { assistantConfigFromEnv } from "@services/assistant/src/config";
import { kafkaSecurityFromEnv } from "@platform/bus/kafka-security";
import { eventKeysFromEnv } from "@platform/crypto/event-keys";
import { secretsFromEnv } from "@platform/crypto/keys";
import { EVENT_ROLES, type Producer } from "@domain/events/ownership";
import { silentConfigFromEnv } from "@services/silent/src/config";
import { CALLBACK_PATH } from "@services/silent/src/callback-handler";
import { validatePolicyFile } from "@domain/policy/policy-book";
import { openGatewaySecret } from "@platform/silent/gateway-secret";
import { compose, DEPLOY, envOf, filesUnder, ofKind, ROOT, type Env } from "./deploy-files";
import { voiceConfigFromEnv } from "@services/voice/src/channel-config";
import { whatsAppConfigFromEnv } from "@services/whatsapp/src/channel-config";

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

/** The producer name (OTP_EVENT_KEYS, EVENT_ROLES) of each deployed service. */
const PRODUCER_OF: Record<string, Producer> = {
  issuance: "issuance",
  verification: "verification",
  routing: "routing",
  "gateway-smpp": "gateway-smpp",
  whatsapp: "whatsapp-connector",
  voice: "voice-connector",
  assistant: "assistant",
  silent: "silent-connector",
};
/** Certificates are files the cluster mounts; only their presence matters here. */
const anyPem = (): Buffer => Buffer.from("-----BEGIN CERTIFICATE-----\n");

let buildDir: string | undefined;
after(() => {
  if (buildDir) rmSync(buildDir, { recursive: true, force: true });
});

describe("deploy/", () => {
  it("has only YAML files that parse", () => {
    const files = filesUnder(DEPLOY, /\.ya?ml$/);
    assert.ok(files.length >= 10);
    for (const file of files) {
      for (const doc of parseAllDocuments(readFileSync(file, "utf8"), { merge: true })) {
        assert.deepEqual(doc.errors, [], `${path.relative(ROOT, file)} does not parse`);
      }
    }
  });

  it("runs every platform service and simulator in Compose, each on an entry point that exists", () => {
    for (const name of [
      ...PLATFORM_SERVICES,
      "smsc-simulator",
      "whatsapp-simulator",
      "voice-simulator",
      "open-gateway-simulator",
    ]) {
      const entry = compose.services[name]?.build?.args?.ENTRY;
      assert.ok(entry, `compose service ${name} has no ENTRY`);
      assert.ok(existsSync(path.join(ROOT, `${entry}.ts`)), `${name}: ${entry}.ts does not exist`);
    }
    for (const name of ["kafka", "redis", "jaeger", "prometheus", "grafana"]) {
      assert.ok(compose.services[name], `compose has no ${name}`);
    }
    for (const name of PLATFORM_SERVICES) {
      const env = envOf(name);
      assert.equal(env.OTEL_SERVICE_NAME, name);
      assert.equal(env.METRICS_LISTEN, "0.0.0.0:9464");
      assert.match(env.OTEL_EXPORTER_OTLP_ENDPOINT ?? "", /^http:\/\/jaeger:4318$/);
    }
  });

  it("builds, with `npm run build`, every entry point the Dockerfile is given", () => {
    const dockerfile = readFileSync(path.join(DEPLOY, "docker/Dockerfile"), "utf8");
    assert.match(dockerfile, /RUN npm ci\b/);
    assert.match(dockerfile, /RUN npm run build\b/);
    assert.match(dockerfile, /exec node (--[\w=-]+ )*dist\/\$\{OTP_ENTRY\}\.js/);
    const scripts = (JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Env })
      .scripts;
    // tsc leaves the path aliases (@platform/…) as written; tsc-alias makes them relative.
    assert.equal(scripts.build, "tsc -p tsconfig.build.json && tsc-alias -p tsconfig.build.json");
    buildDir = mkdtempSync(path.join(tmpdir(), "otp-build-"));
    for (const tool of ["tsc", "tsc-alias"]) {
      const built: SpawnSyncReturns<string> = spawnSync(
        path.join(ROOT, "node_modules/.bin", tool),
        ["-p", "tsconfig.build.json", "--outDir", buildDir],
        { cwd: ROOT, encoding: "utf8" },
      );
      assert.equal(built.status, 0, `npm run build fails in ${tool}:\n${built.stdout}${built.stderr}`);
    }
    // The built modules resolve every import with plain node (no tsx, no tsconfig).
    const load = spawnSync(
      process.execPath,
      [
        "-e",
        'require("./services/routing/src/routing-service.js"); require("./services/issuance/src/issuance.js")',
      ],
      {
        cwd: buildDir,
        encoding: "utf8",
        env: { ...process.env, NODE_PATH: path.join(ROOT, "node_modules") },
      },
    );
    assert.equal(load.status, 0, `the build does not load:\n${load.stderr}`);
    for (const [name, service] of Object.entries(compose.services)) {
      const entry = service.build?.args?.ENTRY;
      if (entry === undefined) continue;
      assert.ok(existsSync(path.join(buildDir, `${entry}.js`)), `${name}: the build emits no ${entry}.js`);
    }
    assert.ok(existsSync(path.join(buildDir, "services/shared/src/platform/telemetry/instrumentation.js")));
  });

  it("gives the connectors and the gateway settings their own readers accept", () => {
    assert.doesNotThrow(() => whatsAppConfigFromEnv(envOf("whatsapp")));
    assert.doesNotThrow(() => voiceConfigFromEnv(envOf("voice")));
    assert.doesNotThrow(() => assistantConfigFromEnv(envOf("assistant")));
    assert.doesNotThrow(() => silentConfigFromEnv(envOf("silent")));
    const gateway = loadGatewayConfig(envOf("gateway-smpp"));
    assert.equal(gateway.accounts.simulator?.host, "smsc-simulator");
    assert.equal(envOf("smsc-simulator").SMSC_SIM_PASSWORD, envOf("gateway-smpp").SMSC_SIM_PASSWORD);
    for (const name of PLATFORM_SERVICES) {
      const secrets = secretsFromEnv(envOf(name), { allowEphemeral: false });
      assert.equal(secrets.ephemeral, false, `${name} has real (development) keys`);
    }
    const smpp = ofKind("ConfigMap").find((c) => c.metadata.name === "gateway-smpp-config")?.data?.[
      "smpp.json"
    ];
    const parsed = parseGatewayConfig(JSON.parse(smpp ?? "null"), {
      env: { SMPP_TELKOMSEL_PASSWORD: "x", SMPP_INDOSAT_PASSWORD: "y" },
      readFile: () => "",
    });
    assert.ok(
      parsed.ok,
      `the Kubernetes SMPP configuration is invalid: ${parsed.ok ? "" : parsed.problems.join("; ")}`,
    );
  });

  it("gives Compose a policy whose silent gateway is the Open Gateway simulator, its secret sealed with the services' keys", () => {
    const file = envOf("issuance").OTP_POLICY_FILE ?? "";
    assert.equal(path.dirname(file), "/etc/otp/policy");
    const parsed = validatePolicyFile(
      JSON.parse(readFileSync(path.join(DEPLOY, "policy", path.basename(file)), "utf8")),
    );
    assert.ok(parsed.ok, JSON.stringify(parsed));
    const [name, gateway] = Object.entries(parsed.book.defaultPolicy.silent.gateways)[0]!;
    const sim = envOf("open-gateway-simulator");
    const silent = envOf("silent");
    const sealer = secretsFromEnv(silent, { allowEphemeral: false }).sealer;
    assert.equal(openGatewaySecret(sealer, name, gateway.clientSecret), sim.OG_SIM_CLIENT_SECRET);
    assert.equal(gateway.clientId, sim.OG_SIM_CLIENT_ID);
    assert.ok(sim.OG_SIM_REDIRECT_URIS!.split(",").includes(gateway.redirectUri));
    const callbackPort = silent.SILENT_CALLBACK_LISTEN!.split(":")[1];
    assert.equal(gateway.redirectUri, `http://localhost:${callbackPort}${CALLBACK_PATH}`);
    assert.ok(gateway.tokenUrl.startsWith(`http://open-gateway-simulator:${sim.OG_SIM_PORT}/`));
    for (const name of PLATFORM_SERVICES) assert.equal(envOf(name).OTP_POLICY_FILE, file, name);
  });

  it("scrapes every service in Compose and in the cluster", () => {
    const promCompose = readFileSync(path.join(DEPLOY, "prometheus/prometheus.yml"), "utf8");
    const promK8s = readFileSync(path.join(DEPLOY, "prometheus/prometheus-kubernetes.yml"), "utf8");
    for (const name of PLATFORM_SERVICES) {
      assert.ok(promCompose.includes(`"${name}:9464"`), `prometheus.yml does not scrape ${name}`);
      assert.ok(
        promK8s.includes(`${name}-pods.otp-router.svc`),
        `prometheus-kubernetes.yml does not scrape ${name}`,
      );
    }
  });

  it("deploys every service with Services, an HPA and a PodDisruptionBudget that select its pods", () => {
    const readme = readFileSync(path.join(DEPLOY, "README.md"), "utf8");
    for (const name of PLATFORM_SERVICES) {
      const deployment = ofKind("Deployment").find((d) => d.metadata.name === name);
      assert.ok(deployment, `no Deployment ${name}`);
      const spec = deployment.spec as {
        selector: { matchLabels: Record<string, string> };
        template: {
          metadata: { labels: Record<string, string> };
          spec: { containers: Array<{ env: Array<{ name: string; value?: string; valueFrom?: unknown }> }> };
        };
      };
      const podLabels = spec.template.metadata.labels;
      const selects = (selector: Record<string, string> | undefined) =>
        selector !== undefined && Object.entries(selector).every(([k, v]) => podLabels[k] === v);
      assert.ok(selects(spec.selector.matchLabels), `${name}: selector does not match its pods`);
      const headless = ofKind("Service").find((s) => s.metadata.name === `${name}-pods`);
      assert.equal((headless?.spec as { clusterIP?: string } | undefined)?.clusterIP, "None");
      assert.ok(selects((headless?.spec as { selector?: Record<string, string> }).selector));
      const hpa = ofKind("HorizontalPodAutoscaler").find((h) => h.metadata.name === name);
      assert.equal((hpa?.spec as { scaleTargetRef?: { name?: string } }).scaleTargetRef?.name, name);
      const pdb = ofKind("PodDisruptionBudget").find((p) => p.metadata.name === name);
      assert.ok(
        selects((pdb?.spec as { selector?: { matchLabels?: Record<string, string> } }).selector?.matchLabels),
      );
      const env = spec.template.spec.containers[0]!.env;
      assert.equal(env.find((e) => e.name === "OTEL_SERVICE_NAME")?.value, name);
      for (const ref of JSON.stringify(env).matchAll(/"secretKeyRef":\{"name":"([^"]+)"/g)) {
        assert.ok(readme.includes(ref[1]!), `deploy/README.md does not explain Secret ${ref[1]}`);
      }
    }
    const kustomization = readFileSync(path.join(DEPLOY, "kubernetes/kustomization.yaml"), "utf8");
    for (const file of readdirSync(path.join(DEPLOY, "kubernetes")).filter(
      (f) => f !== "kustomization.yaml",
    )) {
      assert.ok(kustomization.includes(file), `kustomization.yaml leaves out ${file}`);
    }
  });

  it("connects every service in Compose to Kafka over SASL_SSL as its own user, with the event keys its role needs", () => {
    const scramUsers = new Map(
      envOf("kafka")
        .KAFKA_SCRAM_USERS!.split(",")
        .map((entry) => entry.split("=", 2) as [string, string]),
    );
    const secretOf = new Map<string, string>();
    for (const name of PLATFORM_SERVICES) {
      const env = envOf(name);
      const security = kafkaSecurityFromEnv(env, anyPem);
      assert.ok(
        security.ssl && security.sasl?.mechanism === "scram-sha-512",
        `${name}: Kafka without SASL_SSL`,
      );
      assert.equal(env.KAFKA_SASL_USERNAME, `otp-${name}`);
      assert.equal(
        scramUsers.get(`otp-${name}`),
        env.KAFKA_SASL_PASSWORD,
        `${name}: no such SCRAM user on the broker`,
      );
      const role = EVENT_ROLES[PRODUCER_OF[name]!];
      assert.doesNotThrow(() => eventKeysFromEnv(env, role, { allowEphemeral: false }), name);
      // A producer's key is the same wherever it is held, and held only where it is read.
      for (const entry of env.OTP_EVENT_KEYS!.split(",")) {
        const [producer = "", , secret = ""] = entry.split(":");
        assert.equal(secretOf.get(producer) ?? secret, secret, `${name}: another key of ${producer}`);
        secretOf.set(producer, secret);
        assert.ok(
          [...role.signs, ...role.reads].includes(producer as Producer),
          `${name} holds ${producer}'s key without reading its events`,
        );
      }
    }
  });

  it("connects every Deployment to Kafka over SASL_SSL as its KafkaUser, with its own event keys", () => {
    const settings = ofKind("ConfigMap").find((c) => c.metadata.name === "otp-router-config")!.data!;
    const users = ofKind("KafkaUser");
    for (const name of PLATFORM_SERVICES) {
      const deployment = ofKind("Deployment").find((d) => d.metadata.name === name)!;
      const pod = (deployment.spec as { template: { spec: Record<string, unknown> } }).template.spec as {
        containers: Array<{
          env: Array<{
            name: string;
            value?: string;
            valueFrom?: { secretKeyRef?: { name: string; key: string } };
          }>;
          volumeMounts?: Array<{ name: string; mountPath: string }>;
        }>;
        volumes?: Array<{ name: string; secret?: { secretName: string } }>;
      };
      const container = pod.containers[0]!;
      const env = (n: string) => container.env.find((e) => e.name === n);
      const username = env("KAFKA_SASL_USERNAME")?.value;
      assert.equal(username, `otp-${name}`);
      assert.deepEqual(env("KAFKA_SASL_PASSWORD")?.valueFrom?.secretKeyRef, {
        name: username,
        key: "password",
      });
      assert.equal(env("OTP_EVENT_KEYS")?.valueFrom?.secretKeyRef?.name, `otp-event-keys-${name}`);
      const user = users.find((u) => u.metadata.name === username);
      assert.equal(
        (user?.spec as { authentication?: { type: string } }).authentication?.type,
        "scram-sha-512",
      );
      const security = kafkaSecurityFromEnv(
        { ...settings, KAFKA_SASL_USERNAME: username, KAFKA_SASL_PASSWORD: "from-the-secret" },
        anyPem,
      );
      assert.ok(security.ssl && security.sasl, `${name}: Kafka without SASL_SSL`);
      const caDir = path.dirname(settings.KAFKA_TLS_CA!);
      const mount = container.volumeMounts?.find((m) => m.mountPath === caDir);
      assert.ok(mount, `${name} does not mount ${caDir}`);
      assert.ok(pod.volumes?.find((v) => v.name === mount.name)?.secret?.secretName);
    }
  });

  it("declares the Kafka topics with replication 3 and min.insync.replicas 2", () => {
    const changelog = ofKind("KafkaTopic").find(
      (t) => (t.spec as { topicName: string }).topicName === "otp.routing.state.v1",
    );
    const verifications = ofKind("KafkaTopic").find(
      (t) => (t.spec as { topicName: string }).topicName === "otp.verifications.v1",
    );
    assert.equal(
      (changelog?.spec as { config: Record<string, unknown> }).config["cleanup.policy"],
      "compact",
      "routing's changelog is compacted",
    );
    assert.equal(
      (changelog?.spec as { partitions: number }).partitions,
      (verifications?.spec as { partitions: number }).partitions,
      "routing's changelog has the verifications topic's partitions",
    );
    const topics = ofKind("KafkaTopic");
    const names = topics.map((t) => (t.spec as { topicName: string }).topicName).sort();
    assert.deepEqual(names, [
      "otp.routing.state.v1",
      "otp.routing.v1",
      "otp.routing.v1.dlq",
      "otp.support.inbound.v1",
      "otp.support.inbound.v1.dlq",
      "otp.support.v1",
      "otp.verifications.v1",
      "otp.verifications.v1.dlq",
    ]);
    for (const topic of topics) {
      const spec = topic.spec as { replicas: number; config: Record<string, unknown> };
      assert.equal(spec.replicas, 3);
      assert.equal(spec.config["min.insync.replicas"], 2);
      assert.equal(spec.config["unclean.leader.election.enable"], false);
    }
  });
});
