// cache-manager 7 on this cache (through Keyv), and two tiers: this cache in
// front of a real redis-server.
import { test } from "node:test";
import assert from "node:assert/strict";
import Keyv from "keyv";
import { createCache } from "cache-manager";
import { KeyvDiskCache } from "../keyv.ts";
import { tempDir } from "./_helpers.ts";

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
