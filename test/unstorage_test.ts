// The unstorage driver, through unstorage's createStorage, on every runtime.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createStorage } from "unstorage";
import { diskcacheDriver } from "../unstorage.ts";
import { KeyvDiskCache } from "../keyv.ts";
import { DiskCache } from "../mod.ts";
import { bytesRead, tempDir } from "./_helpers.ts";

test("diskcacheDriver under unstorage: items, raw bytes, meta, keys by base, clear by base, ttl", async () => {
  using dir = tempDir();
  let offset = 0; // the cache's clock runs ahead of the wall clock when a test steps it
  const driver = diskcacheDriver({ base: dir.path, minFileSize: 1024, clock: () => Date.now() + offset });
  const storage = createStorage({ driver });
  await storage.setItem("users:ada", { admin: true });
  await storage.setItem("users:bob", "plain");
  await storage.setItem("posts:1", 42);
  assert.deepEqual(await storage.getItem("users:ada"), { admin: true });
  assert.equal(await storage.getItem("users:bob"), "plain");
  assert.equal(await storage.hasItem("posts:1"), true);
  assert.equal(await storage.getItem("nope"), null);
  const bytes = new Uint8Array(5000).fill(3);
  await storage.setItemRaw("blobs:x", bytes);
  assert.deepEqual(await storage.getItemRaw("blobs:x"), bytes, "bytes stay bytes");
  assert.deepEqual((await storage.getKeys("users")).sort(), ["users:ada", "users:bob"]);
  assert.deepEqual((await storage.getKeys("")).sort(), ["blobs:x", "posts:1", "users:ada", "users:bob"]);
  const meta = await storage.getMeta("users:bob");
  assert.ok(meta.mtime instanceof Date && Math.abs(meta.mtime.getTime() - Date.now()) < 60_000);
  assert.equal(meta.size, 5, "the bytes of the stored string");
  await storage.setItem("session:1", "x", { ttl: 60 });
  const withTtl = await storage.getMeta("session:1");
  assert.ok(withTtl.ttl !== undefined && withTtl.ttl > 55 && withTtl.ttl <= 60);
  // unstorage only hands clear(base) to drivers mounted under base; call the driver directly.
  await driver.clear("users:");
  assert.deepEqual((await storage.getKeys("")).sort(), ["blobs:x", "posts:1", "session:1"]);
  await storage.removeItem("posts:1");
  assert.equal(await storage.hasItem("posts:1"), false);
  await storage.setItem("gone", "soon", { ttl: 0.02 });
  offset += 60; // the ttl ran out on the cache's clock
  assert.equal(await storage.getItem("gone"), null, "expired by the cache");
  await storage.clear();
  assert.deepEqual(await storage.getKeys(""), []);
  await storage.dispose();
});

test("diskcacheDriver: meta sizes of strings, bytes and objects; misses are null; keys that are not strings are not listed", async () => {
  using dir = tempDir();
  const driver = diskcacheDriver({ base: dir.path });
  const cache = driver.getInstance!() as import("../mod.ts").DiskCache;
  await driver.setItem!("s", "héllo", {});
  await driver.setItemRaw!("b", new Uint8Array(7), {});
  await driver.setItem!("o", { a: 1 } as never, {});
  assert.equal((await driver.getMeta!("s", {}))?.size, 6, "UTF-8 bytes of the string");
  assert.equal((await driver.getMeta!("b", {}))?.size, 7);
  assert.equal((await driver.getMeta!("o", {}))?.size, cache.inspect("o")!.size, "the bytes stored (its row says)");
  assert.equal(await driver.getMeta!("missing", {}), null);
  assert.equal(await driver.getItemRaw!("missing", {}), null);
  cache.set(42, "a number key, set by another user of the cache");
  cache.set(["a", "list"], "a structured key");
  assert.deepEqual((await driver.getKeys("", {})).sort(), ["b", "o", "s"]);
  cache.close();
});

test("diskcacheDriver reads expiry on the cache's clock: getMeta's ttl counts down as an injected clock steps, and the item expires", async () => {
  using dir = tempDir();
  let now = 1_000_000_000; // far from the wall clock: a driver reading Date.now() would see the item long expired
  const driver = diskcacheDriver({ base: dir.path, clock: () => now });
  await driver.setItem("session", "x", { ttl: 60 });
  assert.equal(driver.getMeta("session")?.ttl, 60);
  now += 30_000;
  assert.equal(driver.getMeta("session")?.ttl, 30);
  assert.equal(driver.getInstance().now, now, "the cache tells the time on its own clock");
  now += 31_000;
  assert.equal(driver.getItem("session"), null, "expired on the injected clock");
  assert.equal(driver.getMeta("session"), null);
  driver.dispose();
});

test("diskcacheDriver.getMeta() reads the size from the row, not the value", (t) => {
  if (bytesRead() === undefined) return t.skip("no /proc/self/io here");
  using dir = tempDir();
  const driver = diskcacheDriver({ base: dir.path });
  const MiB = 1 << 20;
  driver.setItemRaw("big", new Uint8Array(32 * MiB));
  driver.setItem("text", "é".repeat(MiB));
  const before = bytesRead()!;
  const big = driver.getMeta("big"), text = driver.getMeta("text");
  const read = bytesRead()! - before;
  assert.equal(big?.size, 32 * MiB);
  assert.equal(text?.size, 2 * MiB, "UTF-8 bytes");
  assert.ok(read < MiB, `getMeta read ${read} bytes`);
  driver.dispose();
});

test("diskcacheDriver lists and clears only what it stored: a Keyv item, and a DiskCache item of the same key, stay", async () => {
  using dir = tempDir();
  const driver = diskcacheDriver({ base: dir.path });
  const storage = createStorage({ driver });
  const keyv = new KeyvDiskCache(dir.path);
  using mine = new DiskCache(dir.path);
  await keyv.set("k", "keyv's");
  mine.set("users:eve", "set by the cache's own user");
  mine.set("other", 1);
  await storage.setItem("users:ada", "a");
  await storage.setItem("posts:1", "p");
  assert.deepEqual(await storage.getKeys(""), ["posts:1", "users:ada"]);
  assert.deepEqual(driver.getKeys("users"), ["users:ada"]);
  driver.clear("users");
  assert.equal(mine.get("users:eve"), "set by the cache's own user", "clear(base) leaves what others stored under base");
  await storage.clear();
  assert.deepEqual(await storage.getKeys(""), []);
  assert.equal(await keyv.get("k"), "keyv's", "clear() leaves Keyv's items");
  assert.equal(mine.get("other"), 1, "and the cache's own items");
  assert.equal(mine.get("users:eve"), "set by the cache's own user");
  await keyv.disconnect();
  await storage.dispose();
});
