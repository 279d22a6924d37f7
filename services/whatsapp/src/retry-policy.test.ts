import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { backoffDelay, parseRetryAfter, retryDelay } from "./retry-policy";
import { createTokenBucket } from "./token-bucket";

const policy = { maxAttempts: 5, initialDelayMs: 100, maxDelayMs: 2_000 };

describe("backoff", () => {
  it("stays within [0, min(max, initial·2^(n-1))]", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }),
        fc.double({ min: 0, max: 0.999999, noNaN: true }),
        (retry, r) => {
          const delay = backoffDelay(retry, policy, () => r);
          return delay >= 0 && delay <= Math.min(2_000, 100 * 2 ** (retry - 1));
        },
      ),
    );
  });

  it("waits at least what Retry-After asks", () => {
    assert.equal(
      retryDelay(1, policy, () => 0.5, 3_000),
      3_000,
    );
    assert.equal(
      retryDelay(1, policy, () => 1, undefined),
      100,
    );
  });
});

describe("parseRetryAfter", () => {
  it("reads seconds and HTTP dates, ignores garbage", () => {
    assert.equal(parseRetryAfter("2", 0), 2_000);
    assert.equal(parseRetryAfter(new Date(10_000).toUTCString(), 4_000), 6_000);
    assert.equal(parseRetryAfter("soon", 0), undefined);
    assert.equal(parseRetryAfter(null, 0), undefined);
  });
});

describe("token bucket", () => {
  it("lets a burst through, then spaces sends at the rate", () => {
    const bucket = createTokenBucket(4);
    assert.deepEqual(
      [0, 0, 0, 0].map(() => bucket.reserve(1_000)),
      [0, 0, 0, 0],
    );
    assert.equal(bucket.reserve(1_000), 250);
    assert.equal(bucket.reserve(1_000), 500);
    // A second later the queue has drained and one token is back.
    assert.equal(bucket.reserve(2_500), 0);
  });

  it("never lets more than burst + rate·t through in t", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 200 }), (gaps) => {
        const bucket = createTokenBucket(10);
        let t = 0;
        const sendTimes = gaps.map((gap) => {
          t += gap;
          return t + bucket.reserve(t);
        });
        const last = Math.max(...sendTimes);
        return sendTimes.length <= 10 + Math.floor((last * 10) / 1000) + 1;
      }),
    );
  });
});
