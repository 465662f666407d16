// System tests split from test/fanout_test.ts: they start processes of other runtimes, Python or servers,
// and run once per `npm test` (the "system" row, on Node 24).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { DiskCacheError, FanoutCache } from "../../mod.ts";
import { python, run, runJson, runners, tempDir } from "../_helpers.ts";

test("FanoutCache and python-diskcache's FanoutCache agree on where keys live", async (t) => {
  if (python() === undefined) return t.skip("python3 with diskcache is not installed");
  using dir = tempDir();
  const res = await run(python()!, [
    "-c",
    `
import sys, diskcache
c = diskcache.FanoutCache(sys.argv[1], shards=5)
for i in range(40):
    c.set("py-%d" % i, i)
    c.set(i * 7919, "int-%d" % i)
    c.set(("b-%d" % i).encode(), i)
    c.set(i + 0.5, i)
print("ok")`,
    dir.path,
  ]);
  assert.equal(res.code, 0, res.stderr);
  {
    using cache = new FanoutCache(dir.path, { shards: 5 });
    for (let i = 0; i < 40; i++) {
      assert.equal(cache.get(`py-${i}`), i);
      assert.equal(cache.get(i * 7919), `int-${i}`);
      assert.equal(cache.get(new TextEncoder().encode(`b-${i}`)), i);
      assert.equal(cache.get(i + 0.5), i);
      cache.set(`js-${i}`, i);
      cache.set(-i * 104729, i);
    }
  }
  const back = await run(python()!, [
    "-c",
    `
import sys, json, diskcache
c = diskcache.FanoutCache(sys.argv[1], shards=5)
print(json.dumps([c.get("js-%d" % i) for i in range(40)] + [c.get(-i * 104729) for i in range(40)]))`,
    dir.path,
  ]);
  assert.equal(back.code, 0, back.stderr);
  const got = JSON.parse(back.stdout);
  assert.deepEqual(got, [...Array.from({ length: 40 }, (_, i) => i), ...Array.from({ length: 40 }, (_, i) => i)]);
});

test("FanoutCache under 6 processes of mixed runtimes with a mixed workload ends with check() clean in every shard", async () => {
  using dir = tempDir();
  new FanoutCache(dir.path, { shards: 4, sizeLimit: 2 * 2 ** 20 }).close();
  const base = runners("fanout_worker");
  const procs = Array.from({ length: Math.max(6, base.length) }, (_, i) => base[i % base.length]!);
  const results = await Promise.all(procs.map((r, i) => runJson<{ incr: number; timeouts: number }>(r, [dir.path, String(i), "400"])));
  using cache = new FanoutCache(dir.path, { shards: 4, timeout: 60_000 });
  assert.deepEqual(cache.check(), []);
  const counted = results.reduce((n, r) => n + r.incr, 0);
  assert.equal(cache.get("counter"), counted, "every acknowledged incr counted once");
  for (const shard of cache.shards) assert.deepEqual(shard.check(), []);
});

test("FanoutCache puts an integral number past 2^53 in the shard of the equal bigint and of Python's int", async (t) => {
  using dir = tempDir();
  const big = [2 ** 60, -(2 ** 60), 2 ** 62 + 2 ** 40, -(2 ** 63), 2 ** 53];
  {
    using cache = new FanoutCache(dir.path, { shards: 8 });
    for (const n of big) {
      assert.equal(cache.shardOf(n), cache.shardOf(BigInt(n)), `${n} and ${BigInt(n)}n share a shard`);
      cache.set(n, `js ${n}`);
      assert.equal(cache.get(BigInt(n)), `js ${n}`);
    }
    cache.set(2n ** 61n, "bigint");
    assert.equal(cache.get(2 ** 61), "bigint");
    cache.set(2 ** 64, "past 64 bits a number stays a float key");
    assert.equal(cache.get(2 ** 64), "past 64 bits a number stays a float key");
  }
  if (python() === undefined) return t.skip("python3 with diskcache is not installed");
  const res = await run(python()!, [
    "-c",
    `
import sys, json, diskcache
c = diskcache.FanoutCache(sys.argv[1], shards=8)
out = [c.get(n) for n in (2**60, -2**60, 2**62 + 2**40, -2**63, 2**53, 2**61)]
c[2**59 + 128] = "py"
print(json.dumps(out))`,
    dir.path,
  ]);
  assert.equal(res.code, 0, res.stderr);
  assert.deepEqual(JSON.parse(res.stdout), [...big.map((n) => `js ${n}`), "bigint"]);
  using cache = new FanoutCache(dir.path, { shards: 8 });
  assert.equal(cache.get(2 ** 59 + 128), "py", "a number finds the equal Python int");
});

test("FanoutCache's constructor waits out a shard that another process (python-diskcache) holds, as python's FanoutCache does", async (t) => {
  if (python() === undefined) return t.skip("python3 with diskcache is not installed");
  using dir = tempDir();
  new FanoutCache(dir.path, { shards: 4 }).close();
  // Python holds shard 002's write lock for half a second, then lets go.
  const holder = spawn(python()!, [
    "-u",
    "-c",
    `
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")
print("locked")
time.sleep(0.5)
db.execute("COMMIT")`,
    join(dir.path, "002", "cache.db"),
  ], { stdio: ["ignore", "pipe", "inherit"] });
  const exited = new Promise((r) => holder.on("close", r));
  await new Promise<void>((resolve) => holder.stdout!.once("data", () => resolve()));
  // A new sizeLimit is written to every shard on open.
  using cache = new FanoutCache(dir.path, { shards: 4, sizeLimit: 4 * 2 ** 20 });
  await exited;
  assert.ok(cache.shards.every((s) => s.reloadSettings().sizeLimit === 2 ** 20));
});

test("FanoutCache refuses a directory python-diskcache's FanoutCache made with 8 shards when opened with 4", async (t) => {
  if (python() === undefined) return t.skip("python3 with diskcache is not installed");
  using dir = tempDir();
  const res = await run(python()!, [
    "-c",
    `
import sys, diskcache
c = diskcache.FanoutCache(sys.argv[1], shards=8)
for i in range(16):
    c.set("py-%d" % i, i)
print("ok")`,
    dir.path,
  ]);
  assert.equal(res.code, 0, res.stderr);
  assert.throws(
    () => new FanoutCache(dir.path, { shards: 4 }),
    (e: Error) => e instanceof DiskCacheError && /holds 8 shards but "shards" is 4/.test(e.message),
  );
  using cache = new FanoutCache(dir.path, { shards: 8 });
  for (let i = 0; i < 16; i++) assert.equal(cache.get(`py-${i}`), i);
});

test("FanoutCache finds, updates and deletes the integral float keys Python's FanoutCache stored (100.0, -0.0, 2.0**60) in their float shards", async (t) => {
  if (python() === undefined) return t.skip("python3 with diskcache is not installed");
  using dir = tempDir();
  const write = await run(python()!, [
    "-c",
    `
import sys, diskcache
c = diskcache.FanoutCache(sys.argv[1], shards=8)
for k, v in ((100.0, "f100"), (-0.0, "negzero"), (2.0**60, "f60"), (3.0, "f3"), (4.0, "f4"), (6.0, "f6"), (9.0, "f9"), (10.0, 1)):
    c[k] = v
# Each float's shard differs from the shard of the equal int, so a lookup by the int's hash misses.
assert all(c._hash(float(k)) % 8 != c._hash(k) % 8 for k in (100, 2**60, 3, 4, 6, 9, 10))`,
    dir.path,
  ]);
  assert.equal(write.code, 0, write.stderr);
  {
    using cache = new FanoutCache(dir.path, { shards: 8 });
    const keys = [...cache.keys()].sort((a, b) => Number(a) - Number(b));
    assert.deepEqual(keys, [-0, 3, 4, 6, 9, 10, 100, 2 ** 60]);
    for (const k of keys) assert.equal(cache.has(k as number), true, `keys() lists ${String(k)}, and has() finds it`);
    assert.equal(cache.get(100), "f100");
    assert.equal(cache.get(100n), "f100");
    assert.equal(cache.get(-0), "negzero");
    assert.equal(cache.get(0), "negzero", "0 and -0.0 are one key, as in SQLite and a Python Cache");
    assert.equal(cache.get(2 ** 60), "f60");
    assert.equal(cache.getEntry(3)?.value, "f3");
    assert.deepEqual(cache.getMany([3, 100, 7]), ["f3", "f100", undefined]);
    assert.equal(cache.add(3, "again"), false, "add sees the float key");
    assert.equal(cache.set(3, "js3"), true);
    assert.equal(cache.incr(10, 5), 6, "incr counts on from Python's value");
    assert.equal(cache.delete(100), true);
    assert.equal(cache.get(100), undefined);
    assert.equal(cache.delete(100), false);
    assert.equal(cache.pop(4), "f4");
    assert.equal(cache.has(4), false);
    assert.equal(cache.deleteMany([6, 9]), 2);
    assert.equal(cache.length, 4, "no copy was written beside Python's keys");
  }
  const read = await run(python()!, [
    "-c",
    `
import sys, json, diskcache
c = diskcache.FanoutCache(sys.argv[1], shards=8)
print(json.dumps([c.get(k) for k in (3.0, 10.0, 100.0, 4.0, 6.0, 9.0, -0.0, 2.0**60)]))`,
    dir.path,
  ]);
  assert.equal(read.code, 0, read.stderr);
  assert.deepEqual(JSON.parse(read.stdout), ["js3", 6, null, null, null, null, "negzero", "f60"]);
});
