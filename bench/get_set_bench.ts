// get/set latency of DiskCache against the raw SQLite driver in the same
// process: one prepared SELECT for get; one upsert in one BEGIN IMMEDIATE
// transaction for set. Two raw set baselines: "raw set" writes the same row
// into the same schema (python-diskcache's columns, indexes and triggers: the
// floor of the on-disk format), "raw set (key/value)" a bare key/value row in
// a table with only the key index (what a format-free store would pay).
// Timing is paired and interleaved (timePaired in _common.ts): --gets and
// --sets are the operations per variant over all --rounds, each round runs a
// short batch of every variant, and `ratios` holds the median (and quartiles)
// of the per-round ratios DiskCache / raw, the figure to hold to a target.
// Prints one JSON line; bench/run.mjs runs it on every runtime.
//   node bench/get_set_bench.ts [--keys 1000] [--gets 100000] [--sets 20000] [--rounds 25]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { DiskCache } from "../mod.ts";
import { numArg, RawCache, runtimeName, seededRandom, timePaired } from "./_common.ts";

const args = process.argv.slice(2);
const KEYS = numArg(args, "keys", 1000), GETS = numArg(args, "gets", 100_000), SETS = numArg(args, "sets", 20_000);
const ROUNDS = numArg(args, "rounds", 25);

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

  // Short batches of every variant per round, rotated, compared round by
  // round: speed here drifts by 30-80% over seconds, which a long run per
  // variant (or the best of a few) cannot separate from the code's cost.
  const { results, ratios } = timePaired(
    [
      {
        total: GETS,
        variants: [
          ["raw get", (i) => raw.get(getKeys[i]!)],
          ["raw get (array rows)", (i) => raw.getArrays(getKeys[i]!)],
          ["cache get", (i) => cache.get(getKeys[i]!)],
        ],
      },
      {
        total: SETS,
        variants: [
          ["raw set", (i) => rawSet(setKeys[i]!, values[i % 64]!)],
          ["raw set (key/value)", (i) => bareSet(setKeys[i]!, values[i % 64]!)],
          ["cache set", (i) => cache.set(setKeys[i]!, values[i % 64]!)],
        ],
      },
    ],
    ROUNDS,
    {
      get: ["cache get", "raw get"],
      set: ["cache set", "raw set"],
      "get (array rows)": ["cache get", "raw get (array rows)"],
      "set (key/value)": ["cache set", "raw set (key/value)"],
    },
  );
  cache.close();
  raw.close();
  console.log(JSON.stringify({ runtime: runtimeName(), driver: driver.name, keys: KEYS, gets: GETS, sets: SETS, rounds: ROUNDS, results, ratios }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
