// `ttl: 0` means "expires at once" in our own API and "no expiry" in Keyv's
// and unstorage's: each adapter keeps its host's convention.
import { test } from "node:test";
import assert from "node:assert/strict";
import Keyv6 from "keyv6";
import Keyv5 from "keyv";
import { createStorage } from "unstorage";
import { DiskCache } from "../mod.ts";
import { KeyvDiskCache } from "../keyv.ts";
import { diskcacheDriver } from "../unstorage.ts";
import { tempDir } from "./_helpers.ts";

const DAY = 86_400_000;

test("ttl: 0 expires at once in DiskCache's own API", () => {
  using dir = tempDir();
  using cache = new DiskCache(dir.path);
  cache.set("k", 1, { ttl: 0 });
  assert.equal(cache.get("k"), undefined);
  cache.set("k", 1);
  assert.equal(cache.touch("k", 0), true);
  assert.equal(cache.get("k"), undefined);
});

test("ttl 0 means no expiry through Keyv 5 and Keyv 6, as Keyv says, in the store's set and setMany too", async () => {
  for (const [name, Keyv] of [["keyv 5", Keyv5], ["keyv 6", Keyv6]] as const) {
    using dir = tempDir();
    let offset = 0;
    const store = new KeyvDiskCache(dir.path, { clock: () => Date.now() + offset });
    const keyv = new (Keyv as typeof Keyv6)({ store });
    await keyv.set("through keyv", "v", 0);
    await store.set("store set", "v", 0);
    await store.setMany([{ key: "store setMany", value: "v", ttl: 0 }]);
    offset += 365 * DAY; // a year later on the cache's clock
    assert.equal(await keyv.get("through keyv"), "v", name);
    assert.ok(await store.get("store set") !== undefined, name);
    assert.ok(await store.get("store setMany") !== undefined, name);
    await store.disconnect();
  }
});

test("ttl 0 means no expiry in the unstorage driver, per item and as the default", async () => {
  using dir = tempDir();
  let offset = 0;
  const driver = diskcacheDriver({ base: dir.path, ttl: 0, clock: () => Date.now() + offset });
  const storage = createStorage({ driver });
  await storage.setItem("default", "v");
  await storage.setItem("per item", "v", { ttl: 0 });
  offset += 365 * DAY;
  assert.equal(await storage.getItem("default"), "v");
  assert.equal(await storage.getItem("per item"), "v");
  assert.equal((await storage.getMeta("per item")).ttl, undefined);
  await storage.dispose();
});
