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
import { keepBest, measure, numArg, RawCache, runtimeName, seededRandom, type Stats } from "./_common.ts";

const args = process.argv.slice(2);
const KEYS = numArg(args, "keys", 1000), GETS = numArg(args, "gets", 50_000), SETS = numArg(args, "sets", 10_000);

const rand = seededRandom(42);
const keys = Array.from({ length: KEYS }, (_, i) => `key-${i}`);
const values = Array.from({ length: 64 }, (_, i) => new Uint8Array(1 + ((i * 37) % 500)).fill(i));

const dir = mkdtempSync(join(tmpdir(), "diskcache-bench-"));
try {
  // Raw driver, same schema and pragmas.
  const raw = new RawCache(join(dir, "raw.db"), { create: true });
  const db = raw.db, driver = raw.driver;
  db.exec("CREATE TABLE Bare (key TEXT, raw INTEGER, value BLOB)");
  db.exec("CREATE UNIQUE INDEX Bare_key_raw ON Bare (key, raw)");
  const begin = db.prepare("BEGIN IMMEDIATE"), commit = db.prepare("COMMIT");
  const bareUpsert = db.prepare(
    "INSERT INTO Bare (key, raw, value) VALUES (?, 1, ?) ON CONFLICT(key, raw) DO UPDATE SET value = excluded.value",
  );
  const rawSet = (k: string, v: Uint8Array) => raw.set(k, v);
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
  const results: Record<string, Stats> = {};
  for (let round = 0; round < 5; round++) {
    const r = {
      "raw get": measure(GETS, (i) => raw.get(getKeys[i]!)),
      "raw get (array rows)": measure(GETS, (i) => raw.getArrays(getKeys[i]!)),
      "cache get": measure(GETS, (i) => cache.get(getKeys[i]!)),
      "raw set": measure(SETS, (i) => rawSet(setKeys[i]!, values[i % 64]!)),
      "raw set (key/value)": measure(SETS, (i) => bareSet(setKeys[i]!, values[i % 64]!)),
      "cache set": measure(SETS, (i) => cache.set(setKeys[i]!, values[i % 64]!)),
    };
    keepBest(results, r);
  }
  cache.close();
  raw.close();
  console.log(JSON.stringify({ runtime: runtimeName(), driver: driver.name, keys: KEYS, gets: GETS, sets: SETS, results }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
