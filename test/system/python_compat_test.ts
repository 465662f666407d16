// Both directions of compatibility with python-diskcache 5.x, using Python's
// own library (Debian python3-diskcache) on the same directory.
import { test } from "node:test";
import assert from "node:assert/strict";
import { DiskCache, DiskCacheError, ForeignKey } from "../../mod.ts";
import { join } from "node:path";
import { rawOpen, tempDir } from "../_helpers.ts";
import { pythonJson, skipWithoutPython } from "../_services.ts";

const PY_HELPERS = `
import sys, json, warnings, diskcache
def enc(v):
    if isinstance(v, bytes): return {"bytes": v.hex()}
    if isinstance(v, bool): return {"bool": v}
    if isinstance(v, int): return {"int": str(v)}
    if isinstance(v, float): return {"float": repr(v)}
    if isinstance(v, str): return {"str": v}
    if v is None: return None
    return {"other": type(v).__name__}
def check(c):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        res = c.check()
    return [str(x.message) for x in w] + [str(x) for x in res]
`;

const PY_READ = PY_HELPERS + `
c = diskcache.Cache(sys.argv[1])
items = []
for k in c:
    v, exp, tag = c.get(k, expire_time=True, tag=True)
    items.append([enc(k), enc(v), exp, enc(tag)])
print(json.dumps({"items": items, "count": len(c), "check": check(c), "size_limit": c.size_limit}))
`;

const PY_WRITE = PY_HELPERS + `
c = diskcache.Cache(sys.argv[1], disk_min_file_size=1024)
c.set("str", "h\\u00e9llo \\u2603")
c.set(b"bytes-key", b"\\x00\\x01\\xff")
c.set(7, 99)
c.set(1.5, 2.5)
c.set(-3, -2**63)
c.set("big", 2**62)
c.set("long-text", "t" * 5000)
c.set("long-bytes", b"b" * 5000)
c.set("pickled", {"a": 1})
c.set("tagged", "v", tag="tg", expire=1000)
print(json.dumps({"count": len(c)}))
`;

const PY_CHECK = PY_HELPERS + `
c = diskcache.Cache(sys.argv[1])
print(json.dumps({"check": check(c), "count": len(c), "keys": [enc(k) for k in c]}))
`;

test("python-diskcache reads a directory written by DiskCache, and check() finds nothing wrong", async (t) => {
  if (skipWithoutPython(t)) return;
  using dir = tempDir();
  const now = Date.now();
  {
    using cache = new DiskCache(dir.path, { minFileSize: 1024, sizeLimit: 10 * 2 ** 20 });
    cache.set("str", "héllo ☃");
    cache.set(new Uint8Array([0, 1, 255]), new Uint8Array([9, 8]));
    cache.set(7, 99);
    cache.set(1.5, 2.5);
    cache.set(-3, -(2n ** 63n));
    cache.set(2n ** 62n, 2n ** 62n);
    cache.set("long-text", "t".repeat(5000));
    cache.set("long-bytes", new Uint8Array(5000).fill(98));
    cache.set("tagged", "v", { tag: "tg", ttl: 3_600_000 });
    cache.set("int-tag", 1, { tag: 5 });
    cache.set("replaced", "x".repeat(3000));
    cache.set("replaced", "short");
    cache.set("deleted", "y".repeat(3000));
    cache.delete("deleted");
    cache.incr("counter", 5);
  }
  const out = await pythonJson<{ items: [unknown, unknown, number | null, unknown][]; count: number; check: string[]; size_limit: number }>(PY_READ, dir.path);
  assert.deepEqual(out.check, [], "Python's check() reports no warnings");
  assert.equal(out.count, 12);
  assert.equal(out.size_limit, 10 * 2 ** 20);
  const items = out.items.map(([k, v, , tag]) => [k, v, tag]);
  assert.deepEqual(items, [
    [{ str: "str" }, { str: "héllo ☃" }, null],
    [{ bytes: "0001ff" }, { bytes: "0908" }, null],
    [{ int: "7" }, { int: "99" }, null],
    [{ float: "1.5" }, { float: "2.5" }, null],
    [{ int: "-3" }, { int: String(-(2n ** 63n)) }, null],
    [{ int: String(2n ** 62n) }, { int: String(2n ** 62n) }, null],
    [{ str: "long-text" }, { str: "t".repeat(5000) }, null],
    [{ str: "long-bytes" }, { bytes: "62".repeat(5000) }, null],
    [{ str: "tagged" }, { str: "v" }, { str: "tg" }],
    [{ str: "int-tag" }, { int: "1" }, { int: "5" }],
    [{ str: "replaced" }, { str: "short" }, null],
    [{ str: "counter" }, { int: "5" }, null],
  ]);
  const expire = out.items[8]![2]!;
  assert.ok(Math.abs(expire - (now / 1000 + 3600)) < 60, `expire_time ${expire} is in seconds`);
});

test("DiskCache reads a directory written by python-diskcache, and Python still checks it clean after", async (t) => {
  if (skipWithoutPython(t)) return;
  using dir = tempDir();
  const written = await pythonJson<{ count: number }>(PY_WRITE, dir.path);
  assert.equal(written.count, 10);
  {
    using cache = new DiskCache(dir.path);
    assert.equal(cache.minFileSize, 1024, "Python's settings are read");
    assert.equal(cache.length, 10);
    assert.equal(cache.get("str"), "héllo ☃");
    assert.deepEqual(cache.get(new Uint8Array([...new TextEncoder().encode("bytes-key")])), new Uint8Array([0, 1, 255]));
    assert.equal(cache.get(7), 99);
    assert.equal(cache.get(1.5), 2.5);
    assert.equal(cache.get(-3), -(2n ** 63n));
    assert.equal(cache.get("big"), 2n ** 62n);
    assert.equal(cache.get("long-text"), "t".repeat(5000));
    assert.deepEqual(cache.get("long-bytes"), new Uint8Array(5000).fill(98));
    const entry = cache.getEntry("tagged");
    assert.equal(entry?.tag, "tg");
    assert.ok(entry?.expireTime && Math.abs(entry.expireTime - (Date.now() + 1_000_000)) < 60_000);
    assert.throws(() => cache.get("pickled"), (e: Error) => e instanceof DiskCacheError && /"pickled"/.test(e.message) && /pickle/.test(e.message));
    assert.equal(cache.incr(7), 100);
    cache.set("from-js", "x".repeat(2000));
    cache.delete("long-bytes");
    cache.set("long-text", "replaced");
  }
  const after = await pythonJson<{ check: string[]; count: number; keys: unknown[] }>(PY_CHECK, dir.path);
  assert.deepEqual(after.check, []);
  assert.equal(after.count, 10);
  assert.ok(after.keys.some((k) => JSON.stringify(k) === JSON.stringify({ str: "from-js" })));
});

test("after a random mix of every operation, Python's check() is clean and Python sees the same live keys and values", async (t) => {
  if (skipWithoutPython(t)) return;
  using dir = tempDir();
  let seed = 7;
  const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
  let now = Date.now(); // ahead of the real clock, so what is live here is live for Python too
  {
    using cache = new DiskCache(dir.path, { minFileSize: 500, sizeLimit: 400_000, cullLimit: 5, tagIndex: true, clock: () => now });
    const keyOf = () => [`k${rand(40)}`, rand(40), new Uint8Array([rand(40)]), rand(40) + 0.5][rand(4)]!;
    const valueOf = () => [rand(1000), `v${rand(1000)}`, "s".repeat(rand(2000)), new Uint8Array(rand(3000)).fill(rand(256)), rand(1000) / 7][rand(5)];
    for (let i = 0; i < 1500; i++) {
      now += rand(50);
      const op = rand(14);
      const key = keyOf();
      try {
        if (op < 4) cache.set(key, valueOf(), rand(3) === 0 ? { ttl: rand(2000), tag: `t${rand(3)}` } : {});
        else if (op === 4) cache.add(key, valueOf());
        else if (op === 5) cache.incr(`n${rand(5)}`, rand(10));
        else if (op === 6) cache.delete(key);
        else if (op === 7) cache.pop(key);
        else if (op === 8) cache.push(valueOf(), { prefix: rand(2) ? "q" : undefined });
        else if (op === 9) cache.pull({ prefix: rand(2) ? "q" : undefined });
        else if (op === 10) cache.touch(key, rand(5000));
        else if (op === 11 && rand(10) === 0) cache.evict(`t${rand(3)}`);
        else if (op === 12 && rand(20) === 0) cache.cull();
        else if (op === 13) {
          try {
            cache.transact(() => {
              cache.set(keyOf(), valueOf());
              cache.delete(keyOf());
              if (rand(2)) throw new Error("rollback");
            });
          } catch { /* rolled back */ }
        }
      } catch (error) {
        if (!(error instanceof TypeError && /not an integer/.test(String(error)))) throw error;
      }
    }
    await cache.setStream("streamed", new Blob(["x".repeat(10_000)]).stream());
    cache.expire();
    assert.deepEqual(cache.check(), []);
  }
  using cache = new DiskCache(dir.path, { clock: () => now });
  const live = new Map<string, unknown>();
  const describeKey = (k: unknown) =>
    k instanceof Uint8Array
      ? `bytes:${Buffer.from(k).toString("hex")}`
      : typeof k === "number"
      ? (Number.isInteger(k) ? `int:${k}` : `float:${k}`)
      : `str:${k}`;
  for (const [k, v] of cache.entries()) live.set(describeKey(k), v);
  const out = await pythonJson<{ items: [Record<string, string>, Record<string, string> | null][]; check: string[] }>(
    PY_HELPERS + `
c = diskcache.Cache(sys.argv[1])
print(json.dumps({"items": [[enc(k), enc(c.get(k))] for k in c], "check": check(c)}))
`,
    dir.path,
  );
  assert.deepEqual(out.check, [], "Python's check() is clean");
  const pyKeys = out.items.map(([k]) => {
    const [kind, v] = Object.entries(k)[0]!;
    return kind === "bytes" ? `bytes:${v}` : kind === "int" ? `int:${v}` : kind === "float" ? `float:${Number(v)}` : `str:${v}`;
  });
  assert.ok(live.size > 20, `${live.size} live keys`);
  assert.deepEqual(pyKeys.sort(), [...live.keys()].sort(), "the same live keys");
  for (const [k, v] of out.items) {
    const [kind, key] = Object.entries(k)[0]!;
    const mine = live.get(kind === "bytes" ? `bytes:${key}` : kind === "int" ? `int:${key}` : kind === "float" ? `float:${Number(key)}` : `str:${key}`);
    const theirs = v === null ? null : Object.entries(v)[0]!;
    if (typeof mine === "string") assert.deepEqual(theirs, ["str", mine]);
    else if (mine instanceof Uint8Array) assert.deepEqual(theirs, ["bytes", Buffer.from(mine).toString("hex")]);
    else if (typeof mine === "number" && Number.isInteger(mine)) assert.deepEqual(theirs, ["int", String(mine)]);
  }
});

test("keys Python pickled (tuples, as its memoize writes) do not stop iteration: they come back as ForeignKey, which reaches the row", async (t) => {
  if (skipWithoutPython(t)) return;
  using dir = tempDir();
  await pythonJson(
    PY_HELPERS + `
c = diskcache.Cache(sys.argv[1])
c["before"] = 1
c[("tuple", 1)] = "pickled key"
c[("tuple", 2)] = "another"
c["after"] = 2
c[float("inf")] = "py-inf"
c[float("-inf")] = "py-ninf"
print(json.dumps({"count": len(c)}))
`,
    dir.path,
  );
  {
    using cache = new DiskCache(dir.path);
    const keys = [...cache.keys()];
    assert.equal(keys.length, 6);
    assert.deepEqual(keys.filter((k) => !(k instanceof ForeignKey)), ["before", "after", Infinity, -Infinity]);
    const foreign = keys.filter((k) => k instanceof ForeignKey) as ForeignKey[];
    assert.equal(foreign.length, 2);
    assert.equal(foreign[0]!.bytes[0], 0x80, "the pickle's bytes, as stored");
    assert.deepEqual([...cache.entries({ order: "key" })].filter(([k]) => !(k instanceof ForeignKey)).length, 4);
    assert.deepEqual([...cache.entries()].filter(([k]) => k instanceof ForeignKey).map(([, v]) => v), ["pickled key", "another"]);
    assert.equal(cache.get(foreign[0]!), "pickled key");
    assert.equal(cache.get(Infinity), "py-inf", "Infinity meets Python's float('inf')");
    assert.equal(cache.get(-Infinity), "py-ninf");
    cache.set(Infinity, "js-inf");
    assert.equal(cache.delete(foreign[1]!), true);
    assert.equal(cache.length, 5);
    cache.set("inf-value", -Infinity);
  }
  const after = await pythonJson<{ inf: string; tuple: string | null; count: number }>(
    PY_HELPERS + `
c = diskcache.Cache(sys.argv[1])
print(json.dumps({"inf": c[float("inf")], "tuple": c.get(("tuple", 2)), "count": len(c), "v": repr(c["inf-value"])}))
`,
    dir.path,
  );
  assert.deepEqual(after, { inf: "js-inf", tuple: null, count: 6, v: "-inf" });
});

test("integral number keys past 2^53 are SQLite INTEGER, as Python's int: Python iterates them as ints; REAL rows an older version wrote are still found", async (t) => {
  using dir = tempDir();
  const big = [2 ** 60, -(2 ** 60), 2 ** 62 + 2 ** 40, -(2 ** 63), 2 ** 53];
  {
    using cache = new DiskCache(dir.path);
    big.forEach((n, i) => cache.set(n, i));
    cache.set(2 ** 64, "past int64 a number stays REAL");
    cache.set(1e300, "huge");
    const db = rawOpen(join(dir.path, "cache.db"));
    try {
      const types = db.prepare("SELECT typeof(key) AS t, count(*) AS n FROM Cache GROUP BY 1 ORDER BY 1").all() as { t: string; n: number }[];
      assert.deepEqual(types.map((r) => [r.t, Number(r.n)]), [["integer", 5], ["real", 2]]);
      // A row an older version wrote: the key 2^61 bound as a double, REAL.
      db.exec(
        "INSERT INTO Cache (key, raw, store_time, access_time, access_count, tag, size, mode, filename, value) SELECT CAST(2305843009213693952 AS REAL), 1, store_time, access_time, 0, NULL, 0, 1, NULL, 'old' FROM Cache LIMIT 1",
      );
    } finally {
      db.close();
    }
    assert.equal(cache.get(2 ** 61), "old", "INTEGER and REAL compare numerically");
    assert.equal(cache.get(2n ** 61n), "old");
    assert.equal(cache.has(2 ** 61), true);
    // Iteration returns an INTEGER key past 2^53 as a bigint (as a 2n ** 60n key comes back), a REAL one as a number.
    const keys = new Set([...cache.keys()]);
    for (const n of big) assert.ok(keys.has(Number.isSafeInteger(n) ? n : BigInt(n)), `${n} comes back as ${BigInt(n)}n`);
    assert.ok(keys.has(2 ** 61) && keys.has(2 ** 64) && keys.has(1e300));
    cache.set(2 ** 61, "rewritten");
    assert.equal(cache.length, 8, "set() on the equal number replaced the REAL row");
    assert.deepEqual(cache.check(), []);
  }
  if (skipWithoutPython(t)) return;
  const out = await pythonJson<{ keys: unknown[]; got: unknown[] }>(
    PY_HELPERS + `
c = diskcache.Cache(sys.argv[1])
print(json.dumps({"keys": sorted([enc(k) for k in c if isinstance(k, int)], key=lambda e: int(e["int"])), "got": [c.get(n) for n in (2**60, -2**60, 2**62 + 2**40, -2**63, 2**53)]}))
`,
    dir.path,
  );
  assert.deepEqual(out.got, [0, 1, 2, 3, 4]);
  assert.deepEqual(out.keys, [-(2n ** 63n), -(2n ** 60n), 2n ** 53n, 2n ** 60n, 2n ** 62n + 2n ** 40n].map((n) => ({ int: String(n) })));
});
