/**
 * What the numbers mean: the floor under any StartVerification on this machine. A minimal
 * grpc-js server in this process whose one unary method does exactly one ioredis SET and one
 * kafkajs send with acks=all, called in open loop at the same rate as StartVerification, on
 * the same Kafka broker and Redis. StartVerification's latency divided by this one is our
 * overhead: validation, limits, sealing, several Redis round trips, projection, identity.
 */
import { randomBytes, randomUUID } from "node:crypto";
import * as grpc from "@grpc/grpc-js";
import { Redis } from "ioredis";
import { Kafka, logLevel } from "kafkajs";
import type { CpuPerOperation, CpuReader } from "./lifecycle.bench";
import { openLoop, type LatencySummary } from "./load";
import { cpuPerOperation } from "./process-stats";
import { testKafkaSecurity } from "../support/kafka-security";

const identity = (b: Buffer): Buffer => b;
const METHOD: grpc.MethodDefinition<Buffer, Buffer> = {
  path: "/bench.Baseline/Start",
  requestStream: false,
  responseStream: false,
  requestSerialize: identity,
  requestDeserialize: identity,
  responseSerialize: identity,
  responseDeserialize: identity,
};
const DEFINITION = { start: METHOD } as grpc.ServiceDefinition;

/** About the size of a VerificationStarted envelope. */
const PAYLOAD_BYTES = 400;

export interface BaselineOptions {
  brokers: string;
  redisUrl: string;
  rates: number[];
  seconds: number;
  cpu?: CpuReader;
}

export interface BaselineResult {
  latency: Record<number, LatencySummary>;
  /** CPU ms per call, per process. */
  cpu: Record<number, CpuPerOperation>;
}

export async function benchBaseline(o: BaselineOptions): Promise<BaselineResult> {
  const run = randomUUID().slice(0, 8);
  const topic = `bench-${run}.baseline`;
  const kafka = new Kafka({
    clientId: "bench-baseline",
    brokers: o.brokers.split(","),
    logLevel: logLevel.NOTHING,
    ...testKafkaSecurity(),
  });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [{ topic, numPartitions: 12, replicationFactor: 1 }],
    waitForLeaders: true,
  });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const redis = new Redis(o.redisUrl);
  const payload = randomBytes(PAYLOAD_BYTES);

  const server = new grpc.Server();
  server.addService(DEFINITION, {
    start: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
      const key = `bench-${run}:baseline:${call.request.toString("hex")}`;
      redis
        .set(key, "1", "PX", 60_000)
        .then(() => producer.send({ topic, acks: -1, messages: [{ key, value: payload }] }))
        .then(
          () => callback(null, call.request),
          (err: Error) => callback({ code: grpc.status.UNAVAILABLE, details: err.message }),
        );
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const call = (i: number) =>
    new Promise<void>((resolve, reject) => {
      const request = Buffer.alloc(8);
      request.writeDoubleBE(i);
      client.makeUnaryRequest(
        METHOD.path,
        identity,
        identity,
        request,
        new grpc.Metadata(),
        { deadline: Date.now() + 10_000 },
        (err) => (err ? reject(err) : resolve()),
      );
    });
  try {
    await openLoop(200, 1, call); // warm-up
    const results: BaselineResult = { latency: {}, cpu: {} };
    for (const rate of o.rates) {
      const before = await o.cpu?.();
      const run = await openLoop(rate, o.seconds, call);
      const after = await o.cpu?.();
      results.latency[rate] = run;
      if (before && after) results.cpu[rate] = cpuPerOperation(before, after, run.count);
    }
    return results;
  } finally {
    client.close();
    server.forceShutdown();
    await producer.disconnect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
    redis.disconnect();
  }
}
