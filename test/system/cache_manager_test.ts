// System tests split from test/cache_manager_test.ts: they start processes of other runtimes, Python or servers,
// and run once per `npm test` (the "system" row, on Node 24).
import { test } from "node:test";
import assert from "node:assert/strict";
import Keyv from "keyv";
import KeyvRedis from "@keyv/redis";
import { createCache } from "cache-manager";
import { KeyvDiskCache } from "../../keyv.ts";
import { startRedis, tempDir } from "../_helpers.ts";

test("cache-manager two tiers, this cache in front of Redis: reads fall through and fill, writes reach both", async (t) => {
  await using redis = await startRedis();
  if (redis === undefined) return t.skip("redis-server is not installed (apt-get install redis-server)");
  using dir = tempDir();
  const local = new Keyv({ store: new KeyvDiskCache(dir.path) });
  const remote = new Keyv({ store: new KeyvRedis(redis.url) });
  const cache = createCache({ stores: [local, remote] });
  try {
    await cache.set("both", { v: 1 }, 60_000);
    assert.deepEqual(await local.get("both"), { v: 1 }, "the write reached the local tier");
    assert.deepEqual(await remote.get("both"), { v: 1 }, "and Redis");
    await remote.set("only-remote", "from redis", 60_000);
    assert.equal(await local.get("only-remote"), undefined);
    assert.equal(await cache.get("only-remote"), "from redis", "a local miss falls through to Redis");
    let calls = 0;
    // deno-lint-ignore require-await -- wrap() is given an async producer, as callers write it
    assert.equal(await cache.wrap("only-remote", async () => (calls++, "recomputed"), 60_000), "from redis");
    assert.equal(calls, 0);
    assert.equal(await local.get("only-remote"), "from redis", "wrap() filled the local tier");
  } finally {
    await cache.disconnect();
  }
});
