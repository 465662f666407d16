// Model-based tests of the memory tier against reads without it (issue 22
// part 6): random command sequences run on several DiskCache objects of this
// process on one directory (tiers with staleness 0, with a staleness of an
// hour, a tier of 2 KiB, and no tier), over keys of every kind, rows written
// as python-diskcache writes them (REAL integral keys: 1.0, -0.0, 2.0 ** 60),
// expiry on an injected clock, transactions that roll back, and LRU/LFU
// access flushes. Every `get` through a tier must answer what a connection
// without a tier reads at that moment (the reference): a write of this
// process is never hidden, whatever the staleness. DISKCACHE_MODEL_RUNS sets
// the number of runs (default 25), DISKCACHE_MODEL_SEED replays one.
import { test } from "node:test";
import assert from "node:assert/strict";
import { unlinkSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { DiskCache, type EvictionPolicy } from "../mod.ts";
import type { SqliteDatabase, SqliteValue } from "../src/driver.ts";
import { COSTS } from "../src/ops/memory_tier.ts";
import { rawOpen, tempDir } from "./_helpers.ts";

const RUNS = Number(globalThis.process?.env?.DISKCACHE_MODEL_RUNS ?? 25);
const SEED = globalThis.process?.env?.DISKCACHE_MODEL_SEED;
const seeded = SEED === undefined ? {} : { seed: Number(SEED) };
const MIN_FILE = 100;
const HOUR = 3_600_000;
/** The staleness of the tier that another process's writes may hide behind, for a few ms. */
const SHORT = 5;

// ---------------------------------------------------------------- keys and values

/** Keys of every kind, as this library's callers give them. */
const KEYS: unknown[] = [
  "a",
  "b",
  "",
  "é😀",
  "x\0y",
  "\uFEFFbom",
  0,
  -0,
  1,
  1n,
  -1,
  5,
  1.5,
  -0.5,
  2 ** 53 + 2,
  2 ** 60,
  2n ** 60n,
  -(2 ** 62),
  2 ** 63, // past int64: a REAL key
  1e300,
  Infinity,
  2n ** 64n, // past int64: a structured key
  new Uint8Array([]),
  new Uint8Array([1, 2]),
  [1],
  ["user", 1],
  { a: 1 },
  "py-str",
  new Uint8Array([0xff, 0]),
  7,
];

/**
 * Keys as Python stores them: `real` ones bound as REAL (Python's floats:
 * `cache[1.0]`, `cache[-0.0]`, `cache[2.0 ** 60]`), the others as Python
 * binds a str, bytes or int. Each equals a key of {@linkcode KEYS} in SQLite.
 */
const PY_KEYS: { key: number | bigint | string | Uint8Array; real: boolean }[] = [
  { key: 1, real: true },
  { key: -0, real: true },
  { key: 0, real: true },
  { key: 5, real: true },
  { key: 2 ** 60, real: true },
  { key: -(2 ** 62), real: true },
  { key: 2 ** 63, real: true },
  { key: 1.5, real: true },
  { key: 1e300, real: true },
  { key: "py-str", real: false },
  { key: new Uint8Array([0xff, 0]), real: false },
  { key: 7n, real: false },
  { key: 2n ** 60n, real: false },
];

/** Values as Python stores them inline (mode 1): str, int, float (3.0 as REAL), bytes. */
const PY_VALUES: { value: string | bigint | number | Uint8Array; real: boolean }[] = [
  { value: "from python", real: false },
  { value: "é😀", real: false },
  { value: 42n, real: false },
  { value: 2.5, real: true },
  { value: 3, real: true },
  { value: new Uint8Array([9, 8, 7]), real: false },
];

function valueArb(): fc.Arbitrary<unknown> {
  const str = fc.array(fc.constantFrom("a", "é", "😀", " ", "\0"), { maxLength: 10 }).map((a) => a.join(""));
  return fc.oneof(
    str,
    str.map((s) => (s || "q").repeat(Math.ceil(MIN_FILE / (s.length || 1)))), // a value file (text)
    fc.integer({ min: -1000, max: 1000 }),
    fc.constantFrom(0.5, -0, 1e300, 2 ** 60, 2n ** 60n, 2n ** 64n),
    fc.uint8Array({ maxLength: 70 }), // up to and past the tier's compact bytes (64)
    fc.uint8Array({ minLength: MIN_FILE, maxLength: 150 }), // a value file (binary)
    fc.record({ s: str, n: fc.integer(), list: fc.array(fc.oneof(fc.boolean(), str), { maxLength: 12 }) }, { noNullPrototype: true }),
  );
}

// ---------------------------------------------------------------- commands

const TAGS = ["t1", "t2"];
type Write =
  | { op: "set"; o: number; k: number; v: unknown; ttl?: number | undefined; tag?: number | undefined }
  | { op: "delete" | "pop"; o: number; k: number }
  | { op: "incr"; o: number; k: number; d: number }
  | { op: "touch"; o: number; k: number; ttl?: number | undefined }
  | { op: "setMany" | "deleteMany"; o: number; ks: number[]; v: unknown }
  | { op: "clear" | "expire" | "cull"; o: number }
  | { op: "evict"; o: number; tag: number }
  | { op: "py"; k: number; v: number; ttl?: number | undefined }
  | { op: "pyDelete"; k: number };
type Cmd =
  | Write
  | { op: "get" | "has" | "getEntry"; o: number; k: number }
  | { op: "warm" | "stats"; o: number }
  | { op: "advance"; ms: number }
  | { op: "tx"; o: number; body: Write[]; fail: boolean };

function writeArb(objects: number, python: boolean): fc.Arbitrary<Write> {
  const o = fc.nat({ max: objects - 1 });
  const k = fc.nat({ max: KEYS.length - 1 });
  const ttl = fc.option(fc.constantFrom(5, 15, 105, 1005), { nil: undefined });
  const v = valueArb();
  const arbs: fc.Arbitrary<Write>[] = [
    fc.record({ op: fc.constant("set" as const), o, k, v, ttl, tag: fc.option(fc.nat({ max: TAGS.length - 1 }), { nil: undefined }) }, {
      requiredKeys: ["op", "o", "k", "v"],
    }),
    fc.record({ op: fc.constantFrom("delete" as const, "pop" as const), o, k }),
    fc.record({ op: fc.constant("incr" as const), o, k, d: fc.integer({ min: -2, max: 2 }) }),
    fc.record({ op: fc.constant("touch" as const), o, k, ttl }, { requiredKeys: ["op", "o", "k"] }),
    fc.record({ op: fc.constantFrom("setMany" as const, "deleteMany" as const), o, ks: fc.array(k, { maxLength: 4 }), v }),
    fc.record({ op: fc.constantFrom("clear" as const, "expire" as const, "cull" as const), o }),
    fc.record({ op: fc.constant("evict" as const), o, tag: fc.nat({ max: TAGS.length - 1 }) }),
  ];
  if (python) {
    const pk = fc.nat({ max: PY_KEYS.length - 1 });
    arbs.push(
      fc.record({ op: fc.constant("py" as const), k: pk, v: fc.nat({ max: PY_VALUES.length - 1 }), ttl }, { requiredKeys: ["op", "k", "v"] }),
      fc.record({ op: fc.constant("pyDelete" as const), k: pk }),
    );
  }
  return fc.oneof(...arbs);
}

function cmdArb(objects: number, python: boolean): fc.Arbitrary<Cmd> {
  const o = fc.nat({ max: objects - 1 });
  const k = fc.nat({ max: KEYS.length - 1 });
  return fc.oneof(
    { weight: 4, arbitrary: writeArb(objects, python) },
    { weight: 4, arbitrary: fc.record({ op: fc.constantFrom("get" as const, "get" as const, "has" as const, "getEntry" as const), o, k }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constantFrom("warm" as const, "stats" as const), o }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant("advance" as const), ms: fc.constantFrom(10, 100, 2000) }) },
    {
      weight: 1,
      arbitrary: fc.record({
        op: fc.constant("tx" as const),
        o,
        body: fc.array(writeArb(objects, false).filter((w) => w.op !== "py"), { maxLength: 5 }),
        fail: fc.boolean(),
      }),
    },
  );
}

// ---------------------------------------------------------------- running

/** Writes as python-diskcache 5.x's `Cache.set` and `Cache.__delitem__` do, on a connection of its own. */
class PythonWriter {
  readonly #db: SqliteDatabase;
  readonly #dir: string;
  constructor(dir: string) {
    this.#dir = dir;
    this.#db = rawOpen(join(dir, "cache.db"));
    this.#db.exec("PRAGMA busy_timeout = 60000");
  }
  /** The key and raw columns as Python binds them (a float as REAL). */
  #key(i: number): [string, SqliteValue] {
    const { key, real } = PY_KEYS[i]!;
    return [real ? "CAST(? AS REAL)" : "?", typeof key === "number" && !real ? BigInt(key) : key];
  }
  set(i: number, v: number, nowMs: number, ttl: number | undefined): void {
    const [keySql, key] = this.#key(i);
    const { value, real } = PY_VALUES[v]!;
    const now = nowMs / 1000, expire = ttl === undefined ? null : (nowMs + ttl) / 1000;
    const valueSql = real ? "CAST(? AS REAL)" : "?";
    this.#transact(() => {
      const row = this.#db.prepare(`SELECT rowid, filename FROM Cache WHERE key = ${keySql} AND raw = 1`).get(key) as
        | { rowid: number; filename: string | null }
        | undefined;
      if (row != null) {
        this.#db.prepare(
          `UPDATE Cache SET store_time = ?, expire_time = ?, access_time = ?, access_count = 0, tag = NULL, size = 0, mode = 1, filename = NULL, value = ${valueSql} WHERE rowid = ?`,
        ).run(now, expire, now, value, row.rowid);
      } else {
        this.#db.prepare(
          `INSERT INTO Cache(key, raw, store_time, expire_time, access_time, access_count, tag, size, mode, filename, value) VALUES (${keySql}, 1, ?, ?, ?, 0, NULL, 0, 1, NULL, ${valueSql})`,
        ).run(key, now, expire, now, value);
      }
      return row?.filename;
    });
  }
  delete(i: number, nowMs: number): void {
    const [keySql, key] = this.#key(i);
    this.#transact(() => {
      const row = this.#db.prepare(`SELECT rowid, filename FROM Cache WHERE key = ${keySql} AND raw = 1 AND (expire_time IS NULL OR expire_time > ?)`).get(
        key,
        nowMs / 1000,
      ) as
        | { rowid: number; filename: string | null }
        | undefined;
      if (row != null) this.#db.prepare("DELETE FROM Cache WHERE rowid = ?").run(row.rowid);
      return row?.filename;
    });
  }
  /** Runs `fn` in a transaction; removes the value file it replaced after the commit, as Python does. */
  #transact(fn: () => string | null | undefined): void {
    this.#db.exec("BEGIN IMMEDIATE");
    let file: string | null | undefined;
    try {
      file = fn();
      this.#db.exec("COMMIT");
    } catch (error) {
      this.#db.exec("ROLLBACK");
      throw error;
    }
    if (file) unlinkSync(join(this.#dir, file));
  }
  close(): void {
    this.#db.close();
  }
}

interface Setup {
  /** The tiers (and a cache without one) the commands run on. */
  objects: { name: string; memory?: { maxBytes: number; staleness: number } }[];
  /** Whether Python writes run between the commands (another connection: tiers with staleness may lag behind them by up to SHORT ms). */
  python: boolean;
}

/** Sleeps `ms` without giving the event loop a turn (the commands are synchronous). */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

const describeCmd = (c: Cmd) => JSON.stringify(c, (_k, v) => (typeof v === "bigint" ? `${v}n` : v instanceof Uint8Array ? `bytes(${v.length})` : v));

function run(setup: Setup, dir: string, cmds: Cmd[], seeds: Write[], policy: EvictionPolicy): void {
  const clock = { now: 1_700_000_000_000 };
  const base = { clock: () => clock.now, minFileSize: MIN_FILE, evictionPolicy: policy, statistics: true, timeout: 60_000 };
  const ref = new DiskCache(dir, base);
  const python = new PythonWriter(dir);
  const objects = setup.objects.map((s) => ({ name: s.name, cache: new DiskCache(dir, s.memory === undefined ? base : { ...base, memory: s.memory }) }));
  const log: string[] = [];
  try {
    const write = (w: Write, cache: DiskCache) => {
      const key = "k" in w ? KEYS[w.k] as never : undefined as never;
      switch (w.op) {
        case "set":
          return cache.set(key, w.v, { ttl: w.ttl, tag: w.tag === undefined ? undefined : TAGS[w.tag] });
        case "delete":
          return cache.delete(key);
        case "pop":
          return cache.pop(key);
        case "incr":
          return cache.incr(key, w.d);
        case "touch":
          return cache.touch(key, w.ttl);
        case "setMany":
          return cache.setMany(w.ks.map((i, j) => [KEYS[i], j % 2 ? w.v : [w.v, j]]) as never);
        case "deleteMany":
          return cache.deleteMany(w.ks.map((i) => KEYS[i]) as never);
        case "clear":
          return cache.clear();
        case "expire":
          return cache.expire();
        case "cull":
          return cache.cull();
        case "evict":
          return cache.evict(TAGS[w.tag]!);
        case "py":
          return python.set(w.k, w.v, clock.now, w.ttl);
        case "pyDelete":
          return python.delete(w.k, clock.now);
      }
    };
    /** A write the cache refuses (incr of a string, a key past a queue's range) writes nothing: the reads still agree. */
    const tryWrite = (w: Write, cache: DiskCache) => {
      try {
        write(w, cache);
      } catch (error) {
        if (!(error instanceof TypeError || error instanceof RangeError)) throw error;
      }
    };
    const expectSame = (o: number, k: number) => {
      const { name, cache } = objects[o]!;
      const key = KEYS[k] as never;
      let expected: unknown;
      try {
        expected = ref.get(key);
      } catch (error) {
        assert.throws(() => cache.get(key), { name: (error as Error).name }, `${name}: get(${describeCmd({ op: "get", o, k })}) throws as without the tier`);
        return;
      }
      assert.deepEqual(cache.get(key), expected, `${name}: get(${String(KEYS[k])}) answers what a read without the tier answers`);
    };
    const after = (w: Write) => {
      // Another connection wrote: a tier with staleness SHORT may lag until SHORT ms have passed.
      if (w.op === "py" || w.op === "pyDelete") sleepSync(SHORT + 1);
    };
    for (const s of seeds) (tryWrite(s, ref), after(s));
    for (const c of cmds) {
      log.push(describeCmd(c));
      switch (c.op) {
        case "get":
          expectSame(c.o, c.k);
          break;
        case "has":
          objects[c.o]!.cache.has(KEYS[c.k] as never);
          break;
        case "getEntry":
          objects[c.o]!.cache.getEntry(KEYS[c.k] as never); // a hit without the tier: an access (LRU/LFU), flushed after a while
          break;
        case "warm":
          for (let k = 0; k < KEYS.length; k++) expectSame(c.o, k);
          break;
        case "stats":
          objects[c.o]!.cache.stats(); // writes pending counts and accesses: a commit of that object
          break;
        case "advance":
          clock.now += c.ms;
          break;
        case "tx": {
          const { cache } = objects[c.o]!;
          const marker = new Error("roll back");
          try {
            cache.transact(() => {
              for (const w of c.body) tryWrite(w, cache);
              if (c.fail) throw marker;
            });
          } catch (error) {
            if (error !== marker) throw error;
          }
          break;
        }
        default:
          tryWrite(c, objects["o" in c ? c.o : 0]!.cache);
          after(c);
      }
    }
    for (let o = 0; o < objects.length; o++) for (let k = 0; k < KEYS.length; k++) expectSame(o, k);
    // The tier's own accounting: within its bound, and at least an entry's cost for each entry.
    for (const { name, cache } of objects) {
      const memory = cache.stats().memory;
      if (memory === undefined) continue;
      assert.ok(memory.bytes <= memory.maxBytes && memory.entries * COSTS.entry <= memory.bytes, `${name}: ${JSON.stringify(memory)}`);
    }
  } catch (error) {
    (error as Error).message += `\n  policy ${policy}, after:\n    ${log.slice(-15).join("\n    ")}`;
    throw error;
  } finally {
    for (const { cache } of objects) cache.close();
    python.close();
    ref.close();
  }
}

function property(setup: Setup): void {
  using dir = tempDir();
  let n = 0;
  const objects = setup.objects.length;
  fc.assert(
    fc.property(
      fc.array(cmdArb(objects, setup.python), { minLength: 1, maxLength: 60, size: "max" }),
      // Rows Python wrote before the run: keys this process then reads and writes.
      fc.array(fc.record({ op: fc.constant("py" as const), k: fc.nat({ max: PY_KEYS.length - 1 }), v: fc.nat({ max: PY_VALUES.length - 1 }) }), {
        maxLength: 6,
      }),
      fc.constantFrom<EvictionPolicy>("least-recently-stored", "least-recently-used", "least-frequently-used", "none"),
      (cmds, seeds, policy) => run(setup, join(dir.path, String(n++)), cmds, seeds, policy),
    ),
    { ...seeded, numRuns: RUNS },
  );
}

test("memory model: tiers with staleness 0 and an hour, several objects of this process on one directory, agree with reads without a tier", () => {
  property({
    objects: [
      { name: "staleness 0", memory: { maxBytes: 2 ** 20, staleness: 0 } },
      { name: "staleness 1 h", memory: { maxBytes: 2 ** 20, staleness: HOUR } },
      { name: "another, staleness 1 h", memory: { maxBytes: 2 ** 20, staleness: HOUR } },
      { name: "2 KiB, staleness 1 h", memory: { maxBytes: 2048, staleness: HOUR } },
      { name: "no tier" },
    ],
    python: false,
  });
});

test("memory model: with Python writing between the commands, tiers agree once their staleness has passed", () => {
  property({
    objects: [
      { name: "staleness 0", memory: { maxBytes: 2 ** 20, staleness: 0 } },
      { name: `staleness ${SHORT} ms`, memory: { maxBytes: 2 ** 20, staleness: SHORT } },
      { name: `2 KiB, staleness ${SHORT} ms`, memory: { maxBytes: 2048, staleness: SHORT } },
      { name: "no tier" },
    ],
    python: true,
  });
});
