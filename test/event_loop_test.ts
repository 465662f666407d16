// The asynchronous writes (setAsync, deleteAsync, transactAsync, and the
// adapters built on them) wait for the write lock on timers: while another
// process holds the lock, the event loop keeps turning, the write lands once
// the holder lets go, and Timeout comes after `timeout`, as the synchronous
// API throws it. Real processes hold the lock; nothing here measures time.
import { test } from "node:test";
import assert from "node:assert/strict";
import { DiskCache, Timeout } from "../mod.ts";
import { KeyvDiskCache } from "../keyv.ts";
import { diskcacheDriver } from "../unstorage.ts";
import { cachedFetch, DiskCacheStore } from "../http.ts";
import { tempDir } from "./_helpers.ts";
import { holdLock, settled, tickCounter, ticksPass } from "./_lock_holder.ts";

test("setAsync() waits for another process's write lock on timers: the event loop keeps turning, and the value lands after the holder commits", async () => {
  using dir = tempDir();
  using cache = new DiskCache(dir.path, { timeout: 60_000 });
  cache.set("before", 0);
  await using holder = await holdLock(dir.path);
  const counter = tickCounter();
  try {
    const pending = cache.setAsync("k", "v");
    const start = counter.ticks;
    await ticksPass(counter, 20);
    assert.ok(counter.ticks - start >= 20, "timers fired while set waited");
    assert.equal(await settled(pending), false, "the set waits while the lock is held");
    assert.equal(cache.get("before"), 0, "reads go on meanwhile");
    await holder.commit();
    assert.equal(await pending, true);
    assert.equal(cache.get("k"), "v");
  } finally {
    counter.stop();
  }
});

test("deleteAsync() and transactAsync() wait on timers too; transactAsync runs its callback once, after the lock was taken", async () => {
  using dir = tempDir();
  using cache = new DiskCache(dir.path, { timeout: 60_000 });
  cache.set("a", 1);
  await using holder = await holdLock(dir.path);
  const counter = tickCounter();
  try {
    let calls = 0;
    const deleting = cache.deleteAsync("a");
    const moving = cache.transactAsync(() => {
      calls++;
      cache.set("b", 2);
      cache.set("c", 3);
      return cache.get("b");
    });
    await ticksPass(counter, 20);
    assert.equal(calls, 0, "the callback has not run while the lock is held");
    assert.equal(await settled(deleting), false);
    await holder.commit();
    assert.equal(await deleting, true);
    assert.equal(await moving, 2);
    assert.equal(calls, 1);
    assert.deepEqual([cache.get("a"), cache.get("b"), cache.get("c")], [undefined, 2, 3]);
  } finally {
    counter.stop();
  }
});

test("setAsync() rejects with Timeout after `timeout` while the lock stays held, having written nothing, and never stalled the loop", async () => {
  using dir = tempDir();
  using cache = new DiskCache(dir.path, { timeout: 200 });
  await using holder = await holdLock(dir.path);
  const counter = tickCounter();
  try {
    await assert.rejects(cache.setAsync("k", 1), (e: unknown) => e instanceof Timeout && /stayed locked.*200 ms/.test(e.message));
    assert.ok(counter.ticks > 0, "timers fired while set waited");
    await assert.rejects(cache.transactAsync(() => cache.set("k", 1)), Timeout);
    await holder.commit();
    assert.equal(cache.get("k"), undefined);
  } finally {
    counter.stop();
  }
});

test("the synchronous API still waits in SQLite's busy handler after an asynchronous write met the lock", async () => {
  using dir = tempDir();
  using cache = new DiskCache(dir.path, { timeout: 60_000 });
  await using first = await holdLock(dir.path);
  const pending = cache.setAsync("k", 1);
  // Its first try ran at the call and met the lock: the connection no longer waits in SQLite.
  await first.commit();
  assert.equal(await pending, true);
  // This holder lets go by itself in a while: the synchronous set must wait for it, not fail at once.
  await using second = await holdLock(dir.path, { releaseAfterMs: 300 });
  assert.equal(cache.set("sync", 2), true);
  await second.commit();
  assert.equal(cache.get("sync"), 2);
});

test("in a rollback-journal mode, where readers wait for writers, a synchronous read still waits after an asynchronous write or an access-time flush met the lock", async () => {
  using dir = tempDir();
  let now = 1_000_000;
  const options = { timeout: 60_000, sqliteJournalMode: "delete", evictionPolicy: "least-recently-used", clock: () => now } as const;
  using cache = new DiskCache(dir.path, options);
  cache.set("k", 1);
  {
    await using holder = await holdLock(dir.path);
    const pending = cache.setAsync("k", 2); // meets the lock
    await holder.commit();
    assert.equal(await pending, true);
  }
  {
    // This holder keeps readers out, and lets go by itself in a while: the read must wait for it.
    await using holder = await holdLock(dir.path, { releaseAfterMs: 300, exclusive: true });
    assert.equal(cache.get("k"), 2);
    await holder.commit();
  }
  {
    await using holder = await holdLock(dir.path);
    now += 10_000;
    assert.equal(cache.get("k"), 2); // a hit long after the last write: its access time is flushed, and the flush meets the lock
    await holder.commit();
  }
  await using holder = await holdLock(dir.path, { releaseAfterMs: 300, exclusive: true });
  assert.equal(cache.get("k"), 2);
  await holder.commit();
});

test("the Keyv adapter and the unstorage driver write through the asynchronous path: the loop turns while another process holds the lock", async () => {
  using dir = tempDir();
  using cache = new DiskCache(dir.path, { timeout: 60_000, tagIndex: true });
  const keyv = new KeyvDiskCache(undefined, { cache });
  const storage = diskcacheDriver({ cache });
  await using holder = await holdLock(dir.path);
  const counter = tickCounter();
  try {
    const writes = [
      keyv.set("a", 1),
      keyv.setMany([{ key: "b", value: 2 }]),
      keyv.delete("zz"),
      Promise.resolve(storage.setItem!("u", "x", {})),
      Promise.resolve(storage.removeItem!("none", {})),
    ];
    await ticksPass(counter, 20);
    for (const w of writes) assert.equal(await settled(w), false, "each write waits for the lock");
    await holder.commit();
    await Promise.all(writes);
    assert.equal(await keyv.get("a"), 1);
    assert.equal(await keyv.get("b"), 2);
    assert.equal(cache.get("u"), "x");
  } finally {
    counter.stop();
  }
});

test("cachedFetch and DiskCacheStore store and delete through the asynchronous path: the loop turns while another process holds the lock", async () => {
  using dir = tempDir();
  using cache = new DiskCache(dir.path, { timeout: 60_000 });
  let calls = 0;
  const origin = (_input: string | URL | Request) => {
    calls++;
    return Promise.resolve(new Response("from the origin", { headers: { "cache-control": "max-age=600" } }));
  };
  const fetch = cachedFetch(cache, { fetch: origin });
  const store = new DiskCacheStore(cache);
  const key = { origin: "http://example.test", path: "/s", method: "GET", headers: {} };
  const value = {
    statusCode: 200,
    statusMessage: "OK",
    headers: {},
    cachedAt: Date.now(),
    staleAt: Date.now() + 600_000,
    deleteAt: Date.now() + 600_000,
  };
  await using holder = await holdLock(dir.path);
  const counter = tickCounter();
  try {
    const body = fetch("http://example.test/f").then((res) => res.text());
    const stream = store.createWriteStream(key, value);
    const written = new Promise((resolve, reject) => stream.once("error", reject).once("finish", resolve));
    stream.end("stored body");
    const deleted = store.delete({ ...key, path: "/none" });
    await ticksPass(counter, 20);
    for (const w of [body, written, deleted]) assert.equal(await settled(w), false, "each write waits for the lock");
    await holder.commit();
    assert.equal(await body, "from the origin");
    await written;
    await deleted;
    assert.equal(await (await fetch("http://example.test/f")).text(), "from the origin");
    assert.equal(calls, 1, "the second fetch was answered from the cache");
    assert.ok(store.get(key), "the store's response was stored");
  } finally {
    counter.stop();
  }
});
