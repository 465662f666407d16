// The memory tier (issue 16), side by side in one process: a hot get with and
// without the tier, against the raw prepared SELECT of this runtime's binding
// on the same database, lmdb-js's get and lru-cache's get of the same value,
// the signals a tier could use to learn that another connection committed
// (PRAGMA data_version, a read of the WAL-index header in cache.db-shm), and,
// with `--writer`, all of it again while another process writes constantly.
// Cases run interleaved, `rounds` times; each case's figure is the median of
// its rounds, in ns of this process's CPU time per operation (wall time where
// process.cpuUsage is missing). Prints one JSON line.
// The 100 KB cases run OPS / 5 reads per sample: on Node 24 every 64 MB of
// ArrayBuffers allocated since the last full GC starts a full (mark-compact)
// GC of the whole heap (V8's external memory limit), so a sample of a few
// hundred reads holds one such GC or none, and the median said more about
// where the GCs fell than about the read. Thousands of reads spread them
// evenly over the three 100 KB cases.
//   <runtime> bench/memory_bench.ts [--keys 1000] [--ops 20000] [--rounds 15] [--writer <cmd> <args...>]
import { spawn } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DiskCache } from "../mod.ts";
import { detectDriver } from "../runtimes/auto.ts";
import type { SqliteValue } from "../src/driver.ts";

const argv = process.argv.slice(2);
const opt = (name: string, fallback: number) => {
  const i = argv.indexOf(name);
  return i === -1 ? fallback : Number(argv[i + 1]);
};
const KEYS = opt("--keys", 1000), OPS = opt("--ops", 20_000), ROUNDS = opt("--rounds", 15);
const writerAt = argv.indexOf("--writer");
const writerCmd = writerAt === -1 ? undefined : argv.slice(writerAt + 1);

const runtime = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : `node${process.versions.node.split(".")[0]}`;
const dir = mkdtempSync(join(tmpdir(), "diskcache-memory-bench-"));
const keys = Array.from({ length: KEYS }, (_, i) => `key-${i}`);
const value = "v".repeat(100);
const FILE_VALUE = new Uint8Array(100_000).fill(7);

const plain = new DiskCache(dir);
for (const k of keys) plain.set(k, value);
plain.set("file", FILE_VALUE);
const maxBytes = 2 ** 26;
const s0 = new DiskCache(dir, { memory: { maxBytes } });
const s1 = new DiskCache(dir, { memory: { maxBytes, staleness: 1 } });

const driver = detectDriver();
const db = driver.open(join(dir, "cache.db"));
const arrays = driver.name !== "bun:sqlite";
const select = db.prepare("SELECT value FROM Cache WHERE key = ? AND raw = 1", { arrays });
const dataVersion = db.prepare("PRAGMA data_version", { arrays });
const shm = openSync(join(dir, "cache.db-shm"), "r");
const header = new Uint8Array(48);

const cases: Record<string, (k: string) => unknown> = {
  "raw SELECT": (k) => select.get(k as SqliteValue),
  "PRAGMA data_version": () => dataVersion.get(),
  "-shm header pread": () => readSync(shm, header, 0, 48, 0),
  "get, no tier": (k) => plain.get(k),
  "get, staleness 0": (k) => s0.get(k),
  "get, staleness 1": (k) => s1.get(k),
  "file get (100 KB), no tier": () => plain.get("file"),
  "file get (100 KB), staleness 0": () => s0.get("file"),
  // The floor of a file-backed hit: the fresh copy every get must return.
  "file copy (100 KB slice)": () => FILE_VALUE.slice(),
};
const skipped: Record<string, string> = {};

try {
  const { LRUCache } = await import("lru-cache");
  const lru = new LRUCache<string, string>({ max: KEYS * 2 });
  for (const k of keys) lru.set(k, value);
  cases["lru-cache get"] = (k) => lru.get(k);
} catch (error) {
  skipped["lru-cache get"] = String(error).split("\n")[0]!;
}
// deno-lint-ignore no-explicit-any
let lmdb: any;
try {
  const { open } = await import("lmdb");
  lmdb = open({ path: join(dir, "lmdb") });
  for (const k of keys) lmdb.putSync(k, value);
  cases["lmdb-js get"] = (k) => lmdb.get(k);
} catch (error) {
  skipped["lmdb-js get"] = String(error).split("\n")[0]!;
}

// Another process writing constantly (its own keys, so the tier is invalidated without the values changing).
// deno-lint-ignore no-explicit-any
let writer: any;
if (writerCmd !== undefined) {
  writer = spawn(writerCmd[0]!, [...writerCmd.slice(1), dir, "600"], { stdio: "ignore" });
  // Wait for its first commits.
  const before = (dataVersion.get() as unknown[])[0] ?? (dataVersion.get() as { data_version: number }).data_version;
  for (let i = 0; i < 2000; i++) {
    await new Promise((r) => setTimeout(r, 5));
    const now = (dataVersion.get() as unknown[])[0] ?? (dataVersion.get() as { data_version: number }).data_version;
    if (now !== before) break;
  }
}

// CPU time of this process (user + system), in ms: on a shared machine, wall
// time also counts the time other processes held the cores.
const cpu = typeof process.cpuUsage === "function";
const clock = cpu ? () => ((u) => (u.user + u.system) / 1000)(process.cpuUsage()) : () => performance.now();
const samples: Record<string, number[]> = Object.fromEntries(Object.keys(cases).map((name) => [name, []]));
for (let round = 0; round < ROUNDS + 1; round++) {
  for (const [name, f] of Object.entries(cases)) {
    const ops = name.startsWith("file") ? Math.max(500, OPS / 5) : OPS;
    const t = clock();
    for (let i = 0; i < ops; i++) f(keys[i % KEYS]!);
    const ns = ((clock() - t) * 1e6) / ops;
    if (round > 0) samples[name]!.push(ns); // round 0 warms up
  }
}
const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const results = Object.fromEntries(Object.entries(samples).map(([name, xs]) => [name, median(xs)]));
const memory = { s0: s0.stats().memory, s1: s1.stats().memory };

writer?.kill("SIGKILL");
closeSync(shm);
lmdb?.close();
db.close();
plain.close();
s0.close();
s1.close();
rmSync(dir, { recursive: true, force: true });
console.log(
  JSON.stringify({
    runtime,
    // V8 flags of this run (the section runs Node 24 once more with one).
    flags: process.execArgv.filter((a) => a.startsWith("--external-memory")),
    driver: driver.name,
    time: cpu ? "cpu" : "wall",
    writer: writerCmd !== undefined,
    keys: KEYS,
    ops: OPS,
    rounds: ROUNDS,
    results,
    skipped,
    memory,
  }),
);
