import assert from "node:assert/strict";
import { it } from "node:test";
import { isOtpError } from "@domain/errors";
import { parseRedisUrl } from "./redis-url";

it("one node, with credentials, database and TLS", () => {
  assert.deepEqual(parseRedisUrl("redis://127.0.0.1:6380"), {
    nodes: [{ host: "127.0.0.1", port: 6380 }],
    db: 0,
    tls: false,
  });
  assert.deepEqual(parseRedisUrl("rediss://app:p%40ss@redis.internal/2"), {
    nodes: [{ host: "redis.internal", port: 6379 }],
    username: "app",
    password: "p@ss",
    db: 2,
    tls: true,
  });
  assert.deepEqual(parseRedisUrl("redis://:secret@[::1]:7000").nodes, [{ host: "::1", port: 7000 }]);
  assert.equal(parseRedisUrl("redis://:secret@h:1").password, "secret");
});

it("several comma-separated nodes (a cluster)", () => {
  assert.deepEqual(parseRedisUrl("redis://a:7000,b:7001,c").nodes, [
    { host: "a", port: 7000 },
    { host: "b", port: 7001 },
    { host: "c", port: 6379 },
  ]);
});

it("bad URLs are CONFIG_INVALID and never echo the password", () => {
  for (const url of ["http://h:1", "redis://", "redis://h:99999", "redis://:hunter2@h:1:2", "h:6379"]) {
    assert.throws(
      () => parseRedisUrl(url),
      (err) => isOtpError(err) && err.code === "CONFIG_INVALID" && !err.message.includes("hunter2"),
      url,
    );
  }
});
