// getOrSet (src/get_or_set.ts): the stored value, or one computation of it
// across concurrent callers of one process and of processes of every runtime;
// a compute that throws or returns undefined stores nothing; a holder killed
// mid-computation is taken over once its lease runs out.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { DiskCache, FanoutCache, type Key } from "../mod.ts";
import { leaseKey } from "../src/get_or_set.ts";
import { countCalls, rawOpen, recipeCaches, tempDir, until } from "./_helpers.ts";
import { holdLock, settled, tickCounter, ticksPass } from "./_lock_holder.ts";

/** Whether the lease on `key` is held: on a FanoutCache, in the shard holding `key`. */
function leaseHeld(cache: DiskCache | FanoutCache, key: Key): boolean {
  return (cache instanceof FanoutCache ? cache.shardOf(key) : cache).has(leaseKey(key));
}

for (const [kind, open] of recipeCaches) {
  test(`getOrSet on a ${kind}: a miss computes and stores with ttl and tag, a hit does not compute`, async () => {
    using dir = tempDir();
    using cache = open(dir.path);
    let calls = 0;
    const compute = async () => {
      calls++;
      await new Promise((r) => setTimeout(r, 1));
      return { rows: 42 };
    };
    assert.deepEqual(await cache.getOrSet("report", compute, { ttl: 60_000, tag: "reports" }), { rows: 42 });
    assert.deepEqual(await cache.getOrSet("report", compute), { rows: 42 });
    assert.equal(calls, 1);
    const entry = cache.getEntry("report");
    assert.equal(entry?.tag, "reports");
    assert.ok(entry?.expireTime !== undefined && entry.expireTime !== null, "stored with its ttl");
    assert.equal(leaseHeld(cache, "report"), false, "the lease is gone");
    assert.equal(await cache.getOrSet("sync", () => "plain"), "plain", "a synchronous compute");
    assert.equal(await cache.getOrSet("nothing", () => null), null, "null is a value");
    assert.equal(await cache.getOrSet("nothing", () => "again"), null);
  });

  test(`getOrSet on a ${kind}: concurrent callers in one process compute once`, async () => {
    using dir = tempDir();
    using cache = open(dir.path);
    let calls = 0;
    let finish!: (v: string) => void;
    const gate = new Promise<string>((r) => (finish = r));
    const callers = Array.from({ length: 5 }, () =>
      cache.getOrSet(["k", 1], () => {
        calls++;
        return gate;
      }));
    await until(() => calls > 0);
    assert.ok(leaseHeld(cache, ["k", 1]), "the lease is held while computing");
    finish("done");
    assert.deepEqual(await Promise.all(callers), ["done", "done", "done", "done", "done"]);
    assert.equal(calls, 1);
  });

  test(`getOrSet on a ${kind}: a compute that throws or returns undefined stores nothing and rejects its callers`, async () => {
    using dir = tempDir();
    using cache = open(dir.path);
    const failing = [cache.getOrSet("k", () => Promise.reject(new Error("backend down"))), cache.getOrSet("k", () => "unused")];
    for (const p of failing) await assert.rejects(p, /backend down/, "the caller sharing the computation gets its error");
    await assert.rejects(
      cache.getOrSet("k", () => {
        throw new Error("sync throw");
      }),
      /sync throw/,
    );
    await assert.rejects(
      cache.getOrSet("k", () => undefined),
      (e: unknown) => e instanceof TypeError && /compute\(\) returned undefined.*return null/.test(e.message),
    );
    assert.equal(cache.has("k"), false, "nothing stored");
    assert.equal(leaseHeld(cache, "k"), false, "the lease was released each time");
    assert.equal(await cache.getOrSet("k", () => "at last"), "at last", "the next caller computes");
  });
}

test("getOrSet refuses bad arguments (as rejections) before computing, and a signal stops a wait", async () => {
  using dir = tempDir();
  using cache = new DiskCache(dir.path);
  let calls = 0;
  const compute = () => ++calls;
  await assert.rejects(cache.getOrSet("k", 5 as never), /Cannot getOrSet: "compute" must be a function/);
  await assert.rejects(cache.getOrSet("k", compute, { lease: 0 }), /"lease" must be a positive number/);
  await assert.rejects(cache.getOrSet("k", compute, { ttl: -1 }), RangeError);
  await assert.rejects(cache.getOrSet("k", compute, { tag: {} as never }), /"tag"/);
  await assert.rejects(cache.getOrSet("k", compute, { expire: 1 } as never), /unknown option "expire"/);
  await assert.rejects(cache.getOrSet(Symbol("k") as never, compute), TypeError);
  assert.equal(calls, 0, "nothing computed");
  // Another holder's lease: a signal ends the wait.
  assert.ok(cache.add(leaseKey("k"), "someone else", { ttl: 60_000 }));
  const controller = new AbortController();
  const waiting = cache.getOrSet("k", compute, { signal: controller.signal });
  controller.abort(new Error("gave up"));
  await assert.rejects(waiting, /gave up/);
  await assert.rejects(cache.getOrSet("k", compute, { signal: AbortSignal.abort() }), { name: "AbortError" });
  assert.equal(calls, 0);
});

test("getOrSet refuses options that are not an object and a signal that is not an AbortSignal", async () => {
  using dir = tempDir();
  using cache = new DiskCache(dir.path);
  let calls = 0;
  const compute = () => ++calls;
  await assert.rejects(cache.getOrSet("k", compute, 5 as never), /Cannot getOrSet: options must be an object: received 5/);
  await assert.rejects(cache.getOrSet("k", compute, null as never), /Cannot getOrSet: options must be an object: received null/);
  await assert.rejects(cache.getOrSet("k", compute, { signal: {} as never }), /Cannot getOrSet: "signal" must be an AbortSignal/);
  assert.equal(calls, 0, "nothing computed");
});

test("getOrSet with a signal that never aborts waits out another holder's lease and returns the value that holder stores", async () => {
  using dir = tempDir();
  using cache = new DiskCache(dir.path);
  assert.ok(cache.add(leaseKey("k"), "someone else", { ttl: 60_000 }));
  const tries = countCalls(cache, "transactAsync");
  let calls = 0;
  const waiting = cache.getOrSet("k", () => ++calls, { signal: new AbortController().signal });
  assert.ok(await until(() => tries.count >= 2), "it tried the lease again after a pause");
  cache.set("k", "theirs");
  assert.equal(await waiting, "theirs");
  assert.equal(calls, 0, "it never computed");
});

test("getOrSet: a caller sharing this process's computation with a signal gets its value, or its signal's reason once it aborts", async () => {
  using dir = tempDir();
  using cache = new DiskCache(dir.path);
  let finish!: (v: string) => void;
  const gate = new Promise<string>((r) => (finish = r));
  const computing = cache.getOrSet("k", () => gate);
  const sharing = cache.getOrSet("k", () => "unused", { signal: new AbortController().signal });
  const controller = new AbortController();
  const leaving = cache.getOrSet("k", () => "unused", { signal: controller.signal });
  controller.abort(new Error("gave up"));
  await assert.rejects(leaving, /gave up/);
  finish("computed");
  assert.deepEqual(await Promise.all([computing, sharing]), ["computed", "computed"]);
  assert.equal(cache.get("k"), "computed");
});

test("getOrSet: a value stored while its lease add waited for the write lock is returned once the lease is taken, without computing", async () => {
  using dir = tempDir();
  using cache = new DiskCache(dir.path);
  const db = rawOpen(join(dir.path, "cache.db"));
  db.exec("BEGIN IMMEDIATE");
  let calls = 0;
  const pending = cache.getOrSet("k", () => ++calls); // missed, and its lease add now waits on timers
  db.exec("COMMIT");
  db.close();
  cache.set("k", "stored meanwhile");
  assert.equal(await pending, "stored meanwhile");
  assert.equal(calls, 0);
  assert.equal(leaseHeld(cache, "k"), false, "the lease taken to look again was released");
});

test("getOrSet: a bigint key and the equal number key are one key, computed once", async () => {
  using dir = tempDir();
  using cache = new DiskCache(dir.path);
  let calls = 0;
  const compute = async () => {
    calls++;
    await new Promise((r) => setTimeout(r, 1));
    return "v";
  };
  assert.deepEqual(await Promise.all([cache.getOrSet(5n, compute), cache.getOrSet(5, compute)]), ["v", "v"]);
  assert.equal(calls, 1);
  assert.equal(cache.get(5), "v");
});

test("getOrSet: a cache closed while computing rejects with the closed error (not the release's), and stores nothing", async () => {
  using dir = tempDir();
  const cache = new DiskCache(dir.path);
  await assert.rejects(
    cache.getOrSet("k", () => {
      cache.close();
      return "v";
    }),
    /Cannot call setAsync\(\): the cache at .* is closed/,
  );
  using again = new DiskCache(dir.path);
  assert.equal(again.get("k"), undefined, "nothing stored");
  assert.equal(leaseHeld(again, "k"), true, "the lease could not be released: it runs out with its ttl");
});

test("getOrSet on a FanoutCache waits out a busy shard (counted as timeouts) instead of failing; a value it cannot store rejects", async () => {
  using dir = tempDir();
  // Without WAL, an exclusive lock keeps readers out too.
  using cache = new FanoutCache(join(dir.path, "c"), { shards: 2, timeout: 20, sqliteJournalMode: "delete" });
  const db = rawOpen(join(cache.shardOf("k").directory, "cache.db"));
  db.exec("BEGIN EXCLUSIVE");
  let calls = 0;
  const pending = cache.getOrSet("k", () => ++calls);
  await until(() => cache.stats().timeouts >= 3);
  assert.equal(calls, 0, "no lease taken while the shard is locked");
  db.exec("ROLLBACK");
  db.close();
  assert.equal(await pending, 1);
  assert.equal(cache.get("k"), 1);
  await assert.rejects(cache.getOrSet("f", () => () => 1), TypeError, "a function cannot be stored");
  assert.equal(leaseHeld(cache, "f"), false, "its lease was released");
});

test("getOrSet on a FanoutCache: a store and a release that meet a busy shard do not fail the call; the release is tried again until the lease goes", async () => {
  using dir = tempDir();
  // Without WAL, an exclusive lock keeps readers out too.
  using cache = new FanoutCache(join(dir.path, "c"), { shards: 2, timeout: 20, sqliteJournalMode: "delete" });
  const db = rawOpen(join(cache.shardOf("k").directory, "cache.db"));
  // The lease's add, then each try of its release, is one transactAsync of the shard.
  const tries = countCalls(cache.shardOf("k"), "transactAsync");
  const pending = cache.getOrSet("k", () => {
    db.exec("BEGIN EXCLUSIVE"); // another connection takes the shard while this caller computes
    return "v";
  });
  assert.ok(await until(() => tries.count >= 3), "the release met the lock and was tried again");
  db.exec("ROLLBACK");
  db.close();
  assert.equal(await pending, "v", "the value is returned, though it could not be stored");
  assert.equal(cache.get("k"), undefined);
  assert.equal(leaseHeld(cache, "k"), false, "a later try of the release went through");
});

test("getOrSet on a FanoutCache closed while computing rejects with the closed error, as on a DiskCache", async () => {
  using dir = tempDir();
  const cache = new FanoutCache(join(dir.path, "c"), { shards: 2 });
  await assert.rejects(
    cache.getOrSet("k", () => {
      cache.close();
      return "v";
    }),
    /Cannot call setAsync\(\): the cache at .* is closed/,
  );
});

test("getOrSet: a lease past the longest timer delay is renewed at that delay, not at once (Node fires an overlong timer after 1 ms)", async () => {
  using dir = tempDir();
  using cache = new DiskCache(dir.path);
  const transactions = countCalls(cache, "transactAsync");
  const value = await cache.getOrSet("k", async () => {
    for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 2));
    return "v";
  }, { lease: 2 ** 40 });
  assert.equal(value, "v");
  assert.equal(transactions.count, 2, "the lease's add and its release alone: no renewal during a computation far shorter than the lease");
});

for (const [kind, open] of recipeCaches) {
  test(`getOrSet on a ${kind}: while another process holds the write lock, its lease add, renewals and store wait on timers (the event loop turns), and it computes once`, async () => {
    using dir = tempDir();
    using cache = open(dir.path, { timeout: 60_000 });
    const key = ["report", 7];
    const shardDir = cache instanceof FanoutCache ? cache.shardOf(key).directory : cache.directory;
    const counter = tickCounter();
    try {
      let calls = 0;
      let finish!: (v: string) => void;
      const gate = new Promise<string>((r) => (finish = r));
      const compute = () => {
        calls++;
        return gate;
      };
      // 1. The lock is held before the first caller: its lease add waits on timers.
      // A lease long enough that a loaded machine's late renewal never lets it lapse
      // (the lease is checked below); short ones failed here at load average 14.
      let holder = await holdLock(shardDir);
      const first = cache.getOrSet(key, compute, { lease: 600 });
      const second = cache.getOrSet(key, compute, { lease: 600 });
      await ticksPass(counter, 20);
      assert.equal(await settled(first), false, "the lease add waits while the lock is held");
      assert.equal(calls, 0, "nothing computed before the lease is taken");
      await holder.commit();
      assert.ok(await until(() => calls > 0), "the lease was taken once the holder let go");
      assert.ok(leaseHeld(cache, key));
      // 2. Held again while computing: the lease's renewals (every third of it) and then the store wait on timers.
      holder = await holdLock(shardDir);
      await ticksPass(counter, 40);
      finish("done");
      await ticksPass(counter, 20);
      assert.equal(await settled(first), false, "the store waits while the lock is held");
      assert.equal(await settled(second), false, "the caller of this process sharing it too");
      assert.equal(cache.get(key), undefined);
      await holder.commit();
      assert.deepEqual(await Promise.all([first, second]), ["done", "done"]);
      assert.equal(calls, 1, "one computation, shared by this process's callers");
      assert.equal(cache.get(key), "done");
      assert.equal(leaseHeld(cache, key), false, "the lease was released");
    } finally {
      counter.stop();
    }
  });
}
