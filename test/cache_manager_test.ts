// cache-manager 7 on this cache (through Keyv), and two tiers: this cache in
// front of a real redis-server.
import { test } from "node:test";
import assert from "node:assert/strict";
import Keyv from "keyv";
import KeyvRedis from "@keyv/redis";
import { createCache } from "cache-manager";
import { KeyvDiskCache } from "../keyv.ts";
import { startRedis, tempDir } from "./_helpers.ts";

test("cache-manager: createCache over KeyvDiskCache, with wrap()", async () => {
  using dir = tempDir();
  const cache = createCache({ stores: [new Keyv({ store: new KeyvDiskCache(dir.path) })] });
  let calls = 0;
  // deno-lint-ignore require-await -- wrap() is given an async producer, as callers write it
  const load = () => cache.wrap("user:1", async () => (calls++, { id: 1 }), 60_000);
  assert.deepEqual(await load(), { id: 1 });
  assert.deepEqual(await load(), { id: 1 });
  assert.equal(calls, 1, "the second call was served from disk");
  await cache.set("k", "v");
  assert.equal(await cache.get("k"), "v");
  await cache.del("k");
  assert.equal(await cache.get("k"), undefined);
  await cache.disconnect();
});

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
