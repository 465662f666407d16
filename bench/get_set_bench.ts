// get/set latency of DiskCache against the raw SQLite driver in the same
// process: one prepared SELECT for get; one upsert in one BEGIN IMMEDIATE
// transaction for set. Two raw set baselines: "raw set" writes the same row
// into the same schema (python-diskcache's columns, indexes and triggers: the
// floor of the on-disk format), "raw set (key/value)" a bare key/value row in
// a table with only the key index (what a format-free store would pay).
// Prints one JSON line; bench/run.mjs runs it on every runtime.
//   node bench/get_set_bench.ts [--keys 1000] [--gets 50000] [--sets 10000]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { DiskCache } from "../mod.ts";
import { detectDriver } from "../runtimes/auto.ts";
import { SCHEMA_SQL } from "../src/schema.ts";

const args = process.argv.slice(2);
const arg = (name: string, dflt: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const KEYS = arg("keys", 1000), GETS = arg("gets", 50_000), SETS = arg("sets", 10_000);

let seed = 42;
const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
const keys = Array.from({ length: KEYS }, (_, i) => `key-${i}`);
const values = Array.from({ length: 64 }, (_, i) => new Uint8Array(1 + ((i * 37) % 500)).fill(i));
const now = () => process.hrtime.bigint();

function stats(samples: Float64Array) {
  samples.sort();
  const at = (p: number) => samples[Math.min(samples.length - 1, Math.floor(samples.length * p))]!;
  return { median: at(0.5), p90: at(0.9), p99: at(0.99), max: samples[samples.length - 1]! };
}

function measure(n: number, op: (i: number) => void) {
  for (let i = 0; i < Math.min(1000, n); i++) op(i); // warm-up, not timed
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t0 = now();
    op(i);
    out[i] = Number(now() - t0) / 1000; // µs
  }
  return stats(out);
}

const dir = mkdtempSync(join(tmpdir(), "diskcache-bench-"));
try {
  // Raw driver, same schema and pragmas.
  const driver = detectDriver();
  const db = driver.open(join(dir, "raw.db"));
  db.exec("PRAGMA journal_mode = wal");
  db.exec("PRAGMA synchronous = 1");
  db.exec("PRAGMA cache_size = 8192");
  db.exec("PRAGMA mmap_size = 67108864");
  db.exec("PRAGMA auto_vacuum = 1");
  for (const sql of SCHEMA_SQL) db.exec(sql);
  db.exec("CREATE INDEX Cache_store_time ON Cache (store_time)");
  db.exec("INSERT INTO Settings VALUES ('count', 0), ('size', 0)");
  db.exec("CREATE TABLE Bare (key TEXT, raw INTEGER, value BLOB)");
  db.exec("CREATE UNIQUE INDEX Bare_key_raw ON Bare (key, raw)");
  const rawGet = db.prepare("SELECT value FROM Cache WHERE key = ? AND raw = 1");
  const rawGetArrays = db.prepare("SELECT value FROM Cache WHERE key = ? AND raw = 1", { arrays: true });
  const begin = db.prepare("BEGIN IMMEDIATE"), commit = db.prepare("COMMIT");
  const upsert = db.prepare(
    "INSERT INTO Cache (key, raw, store_time, expire_time, access_time, access_count, tag, size, mode, filename, value) VALUES (?, 1, ?, NULL, ?, 0, NULL, 0, 1, NULL, ?) ON CONFLICT(key, raw) DO UPDATE SET store_time = excluded.store_time, expire_time = excluded.expire_time, access_time = excluded.access_time, access_count = 0, tag = excluded.tag, size = excluded.size, mode = excluded.mode, filename = excluded.filename, value = excluded.value",
  );
  const bareUpsert = db.prepare(
    "INSERT INTO Bare (key, raw, value) VALUES (?, 1, ?) ON CONFLICT(key, raw) DO UPDATE SET value = excluded.value",
  );
  const rawSet = (k: string, v: Uint8Array) => {
    const t = Date.now() / 1000;
    begin.run();
    upsert.run(k, t, t, v);
    commit.run();
  };
  const bareSet = (k: string, v: Uint8Array) => {
    begin.run();
    bareUpsert.run(k, v);
    commit.run();
  };
  for (let i = 0; i < KEYS; i++) rawSet(keys[i]!, values[i % 64]!), bareSet(keys[i]!, values[i % 64]!);

  const cache = new DiskCache(join(dir, "cache"), { sizeLimit: 2 ** 30 });
  for (let i = 0; i < KEYS; i++) cache.set(keys[i]!, values[i % 64]!);

  const getKeys = Array.from({ length: GETS + 1000 }, () => keys[Math.floor(rand() * KEYS)]!);
  const setKeys = Array.from({ length: SETS + 1000 }, () => keys[Math.floor(rand() * KEYS)]!);

  // Interleave raw and cache runs five times, keep the best of each, to damp
  // drift and neighbours on a shared machine (single runs vary by ±30% here).
  const results: Record<string, ReturnType<typeof stats>> = {};
  for (let round = 0; round < 5; round++) {
    const r = {
      "raw get": measure(GETS, (i) => rawGet.get(getKeys[i]!)),
      "raw get (array rows)": measure(GETS, (i) => rawGetArrays.get(getKeys[i]!)),
      "cache get": measure(GETS, (i) => cache.get(getKeys[i]!)),
      "raw set": measure(SETS, (i) => rawSet(setKeys[i]!, values[i % 64]!)),
      "raw set (key/value)": measure(SETS, (i) => bareSet(setKeys[i]!, values[i % 64]!)),
      "cache set": measure(SETS, (i) => cache.set(setKeys[i]!, values[i % 64]!)),
    };
    for (const [k, v] of Object.entries(r)) if (!results[k] || v.median < results[k]!.median) results[k] = v;
  }
  cache.close();
  db.close();
  const g = globalThis as { Deno?: { version: { deno: string } }; Bun?: { version: string } };
  const runtime = g.Deno ? `deno ${g.Deno.version.deno}` : g.Bun ? `bun ${g.Bun.version}` : `node ${process.version}`;
  console.log(JSON.stringify({ runtime, driver: driver.name, keys: KEYS, gets: GETS, sets: SETS, results }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
