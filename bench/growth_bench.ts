// Workload 2, growth: get/set latency of DiskCache against the raw driver as
// the cache grows, and the peak RSS of a process using it. One phase per
// process, so a fill does not pollute the timed phase's memory or caches:
//
//   fill  --dir D --keys N [--file-kib K]
//         Fills D/cache with N keys (values of 1 to 500 bytes inline, or of K
//         KiB, which go to value files) inside DiskCache.transact, untimed;
//         closes it and copies the directory to D/raw, so the raw driver
//         reads and writes exactly the same data (same rows, same files).
//   time  --dir D --keys N [--file-kib K] [--gets G] [--sets S] [--rounds R]
//         Opens both fresh; G gets and S sets of uniformly random keys on
//         each, split over R paired rounds (timePaired in _common.ts: a
//         short batch of every variant per round, order rotated); prints the
//         merged latencies and the median of the per-round ratios.
//   rss   --dir D --keys N --who cache|raw [--file-kib K] [--gets G] [--sets S]
//         Opens only one of them and does G gets and S sets: the process's
//         peak RSS (VmHWM) is what that much data costs in memory.
//
// Each phase prints one JSON line. bench/sections/growth.mjs drives it.
import { execFileSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { DiskCache } from "../mod.ts";
import { numArg, peakRssMiB, RawCache, rssNowMiB, runtimeName, seededRandom, strArg, timePaired, type Variant } from "./_common.ts";

const args = process.argv.slice(2);
const phase = args[0];
const DIR = strArg(args, "dir", "");
const KEYS = numArg(args, "keys", 1000);
const FILE_KIB = numArg(args, "file-kib", 0);
const GETS = numArg(args, "gets", 100_000), SETS = numArg(args, "sets", 25_000), ROUNDS = numArg(args, "rounds", 25);
if (!DIR || !["fill", "time", "rss"].includes(phase ?? "")) {
  console.error("usage: growth_bench.ts fill|time|rss --dir D --keys N [--file-kib K] [--gets G] [--sets S] [--rounds R] [--who cache|raw]");
  process.exit(2);
}
const files = FILE_KIB > 0;
const key = (i: number) => `key-${i}`;
// Inline values: 64 byte arrays of 1 to 500 bytes (as get_set_bench). File
// values: 8 distinct arrays of FILE_KIB KiB.
const values = files
  ? Array.from({ length: 8 }, (_, i) => new Uint8Array(FILE_KIB * 1024).fill(i + 1))
  : Array.from({ length: 64 }, (_, i) => new Uint8Array(1 + ((i * 37) % 500)).fill(i));
const value = (i: number) => values[i % values.length]!;
const cacheDir = join(DIR, "cache"), rawDir = join(DIR, "raw");

function du(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) total += statSync(join(e.parentPath, e.name)).size;
  }
  return total;
}

/** The keys of `n` operations (plus up to 1,000 warm-up ones), uniform over the key space. */
function opKeys(n: number, seed: number): string[] {
  const rand = seededRandom(seed);
  return Array.from({ length: n + Math.min(1000, n) }, () => key(Math.floor(rand() * KEYS)));
}

const out: Record<string, unknown> = { phase, runtime: runtimeName(), keys: KEYS, fileKiB: FILE_KIB };
if (phase === "fill") {
  const t0 = performance.now();
  const cache = new DiskCache(cacheDir, { sizeLimit: 2 ** 42 });
  const chunk = files ? 500 : 100_000;
  for (let start = 0; start < KEYS; start += chunk) {
    cache.transact(() => {
      for (let i = start; i < Math.min(KEYS, start + chunk); i++) cache.set(key(i), value(i));
    });
  }
  if (cache.length !== KEYS) throw new Error(`fill: expected ${KEYS} items, found ${cache.length}`);
  cache.close();
  out.fillSeconds = (performance.now() - t0) / 1000;
  out.peakRssMiB = peakRssMiB();
  const t1 = performance.now();
  execFileSync("cp", ["-a", cacheDir, rawDir]);
  out.copySeconds = (performance.now() - t1) / 1000;
  out.dbMiB = statSync(join(cacheDir, "cache.db")).size / 2 ** 20;
  out.totalMiB = du(cacheDir) / 2 ** 20;
} else if (phase === "time") {
  const raw = new RawCache(join(rawDir, "cache.db"), { fileDir: rawDir });
  const cache = new DiskCache(cacheDir);
  const getKeys = opKeys(GETS, 7), setKeys = opKeys(SETS, 11);
  const rawGet = files ? (k: string) => raw.getFile(k) : (k: string) => raw.get(k);
  const rawSet = files ? (k: string, v: Uint8Array) => raw.setFile(k, v) : (k: string, v: Uint8Array) => raw.set(k, v);
  // A miss would make the comparison meaningless: check a few keys first.
  for (const k of getKeys.slice(0, 10)) {
    if (cache.get(k) === undefined || rawGet(k) == null) throw new Error(`time: ${k} is missing`);
  }
  // Paired rounds: within a round the gets, then the sets (or the other way
  // round), each variant a short batch on the same keys, in an order rotated
  // each round, so no variant always inherits the page cache, dirty pages and
  // journal state its predecessor left behind.
  const getOps: Variant[] = [
    ["raw get", (i) => rawGet(getKeys[i]!)],
    ...(files ? [] : [["raw get (array rows)", (i) => raw.getArrays(getKeys[i]!)] satisfies Variant]),
    ["cache get", (i) => cache.get(getKeys[i]!)],
  ];
  const setOps: Variant[] = [
    ["raw set", (i) => rawSet(setKeys[i]!, value(i))],
    ["cache set", (i) => cache.set(setKeys[i]!, value(i))],
    ...(files ? [["raw set (file layout)", (i) => raw.setFile(setKeys[i]!, value(i), true)] satisfies Variant] : []),
  ];
  const { results, ratios } = timePaired([{ total: GETS, variants: getOps }, { total: SETS, variants: setOps }], ROUNDS, {
    get: ["cache get", "raw get"],
    set: ["cache set", "raw set"],
    ...(files
      ? { "set (file layout)": ["cache set", "raw set (file layout)"] as const }
      : { "get (array rows)": ["cache get", "raw get (array rows)"] as const }),
  });
  if (cache.length !== KEYS) throw new Error(`time: expected ${KEYS} items, found ${cache.length}`);
  cache.close();
  raw.close();
  Object.assign(out, { driver: raw.driver.name, gets: GETS, sets: SETS, rounds: ROUNDS, results, ratios, peakRssMiB: peakRssMiB() });
} else {
  const who = strArg(args, "who", "cache");
  const before = rssNowMiB();
  let get: (k: string) => unknown, set: (k: string, v: Uint8Array) => void, close: () => void;
  if (who === "raw") {
    const raw = new RawCache(join(rawDir, "cache.db"), { fileDir: rawDir });
    get = files ? (k) => raw.getFile(k) : (k) => raw.get(k);
    set = files ? (k, v) => raw.setFile(k, v) : (k, v) => raw.set(k, v);
    close = () => raw.close();
  } else {
    const cache = new DiskCache(cacheDir);
    get = (k) => cache.get(k);
    set = (k, v) => void cache.set(k, v);
    close = () => cache.close();
  }
  const opened = rssNowMiB();
  const getKeys = opKeys(GETS, 13), setKeys = opKeys(SETS, 17);
  const t0 = performance.now();
  for (const k of getKeys) get(k);
  for (let i = 0; i < setKeys.length; i++) set(setKeys[i]!, value(i));
  const seconds = (performance.now() - t0) / 1000;
  const end = rssNowMiB();
  close();
  Object.assign(out, { who, gets: GETS, sets: SETS, seconds, rssStartMiB: before.rss, rssOpenedMiB: opened.rss, rssEnd: end, peakRssMiB: peakRssMiB() });
}
console.log(JSON.stringify(out));
