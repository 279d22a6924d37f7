/** The broker and store a test or bench runs on, which its runner started and named in the environment. */
export function requireEnv(
  name: "KAFKA_BROKERS" | "REDIS_URL",
  runThrough = "`npm test`, which starts Kafka and Redis",
): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run through ${runThrough}`);
  return value;
}
