// Shared by the benchmarks: argument parsing, a seeded random source, the
// paired, interleaved latency sampler (timePaired), peak-RSS readings, and
// the raw-driver baseline (one prepared SELECT / one upsert in BEGIN
// IMMEDIATE ... COMMIT, into python-diskcache's schema with the cache's own
// pragmas).
import { closeSync, mkdirSync, openSync, readFileSync, rmdirSync, unlinkSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { detectDriver } from "../runtimes/auto.ts";
import type { SqliteDatabase, SqliteDriver } from "../src/driver.ts";
import { SCHEMA_SQL } from "../src/format/schema.ts";

/** `--name value` from the command line, as a number. */
export function numArg(args: string[], name: string, dflt: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
}

/** `--name value` from the command line, as a string. */
export function strArg(args: string[], name: string, dflt: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : dflt;
}

/** A seeded linear congruential generator in [0, 1): the same sequence on every runtime. */
export function seededRandom(seed = 42): () => number {
  return () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
}

/** `runtime version`, e.g. `node v24.21.0`. */
export function runtimeName(): string {
  const g = globalThis as { Deno?: { version: { deno: string } }; Bun?: { version: string } };
  return g.Deno ? `deno ${g.Deno.version.deno}` : g.Bun ? `bun ${g.Bun.version}` : `node ${process.version}`;
}

/** Latency percentiles in µs. */
export interface Stats {
  median: number;
  p90: number;
  p99: number;
  max: number;
}

export function stats(samples: Float64Array): Stats {
  samples.sort();
  const at = (p: number) => samples[Math.min(samples.length - 1, Math.floor(samples.length * p))]!;
  return { median: at(0.5), p90: at(0.9), p99: at(0.99), max: samples[samples.length - 1]! };
}

const now = () => process.hrtime.bigint();

/** Times `op(from..to-1)` one call at a time, writing each latency (µs) into `out` at the same index. */
function timeOps(out: Float64Array, from: number, to: number, op: (i: number) => void): void {
  for (let i = from; i < to; i++) {
    const t0 = now();
    op(i);
    out[i] = Number(now() - t0) / 1000; // µs
  }
}

/** Median and quartiles of a ratio over rounds. */
export interface Spread {
  median: number;
  q1: number;
  q3: number;
}

/** `p` quantile of ascending `xs`, interpolated between neighbours (a few dozen values: no index rounding). */
function quantile(xs: number[], p: number): number {
  const at = p * (xs.length - 1), lo = Math.floor(at);
  return xs[lo]! + (xs[Math.min(lo + 1, xs.length - 1)]! - xs[lo]!) * (at - lo);
}

/** A variant of a paired benchmark: its name and its operation on op index `i` (which key, which value). */
export type Variant = readonly [name: string, op: (i: number) => void];

/** Variants timed on the same op indices (the gets, say), `total` timed operations each over all rounds. */
export interface Group {
  total: number;
  variants: readonly Variant[];
}

const rotate = <T>(xs: readonly T[], by: number): T[] => xs.map((_, i) => xs[(i + by) % xs.length]!);

/**
 * Paired, interleaved timing, for a machine whose speed drifts by tens of
 * percent over seconds. Each variant's `total` operations are split into
 * `rounds` short batches; round r runs batch r of every variant, on the same
 * op indices, in an order rotated every round (the groups, and the variants
 * within each), so no variant always runs first or last. Untimed warm-up on
 * indices from `total` on (the caller has keys for `total + min(1000,
 * total)`): up to 1,000 calls per variant before the first round, and a tenth
 * of a batch (at most 100) before each batch.
 *
 * `results`: all timed operations of a variant merged, as one Stats.
 * `ratios`: for each `label: [a, b]` of `pairs`, a's median over b's median
 * within each round (both ran within a fraction of a second, so the drift
 * cancels), and the median and quartiles of those per-round ratios.
 */
export function timePaired(
  groups: readonly Group[],
  rounds: number,
  pairs: Record<string, readonly [string, string]>,
): { results: Record<string, Stats>; ratios: Record<string, Spread> } {
  const samples = new Map<string, Float64Array>();
  for (const { total, variants } of groups) {
    if (total < rounds) throw new Error(`${total} operations cannot be split over ${rounds} rounds`);
    for (const [name, op] of variants) {
      samples.set(name, new Float64Array(total));
      for (let i = 0; i < Math.min(1000, total); i++) op(total + i);
    }
  }
  const medians: Record<string, number>[] = [];
  for (let r = 0; r < rounds; r++) {
    const m: Record<string, number> = {};
    for (const { total, variants } of rotate(groups, r)) {
      const from = Math.floor((r * total) / rounds), to = Math.floor(((r + 1) * total) / rounds);
      const warm = Math.min(100, Math.ceil((to - from) / 10));
      for (const [name, op] of rotate(variants, r)) {
        for (let i = 0; i < warm; i++) op(total + i);
        const out = samples.get(name)!;
        timeOps(out, from, to, op);
        m[name] = stats(out.slice(from, to)).median;
      }
    }
    medians.push(m);
  }
  const results: Record<string, Stats> = {};
  for (const [name, out] of samples) results[name] = stats(out);
  const ratios: Record<string, Spread> = {};
  for (const [label, [a, b]] of Object.entries(pairs)) {
    const xs = medians.map((m) => m[a]! / m[b]!).sort((x, y) => x - y);
    ratios[label] = { median: quantile(xs, 0.5), q1: quantile(xs, 0.25), q3: quantile(xs, 0.75) };
  }
  return { results, ratios };
}

function statusKiB(field: string): number | undefined {
  try {
    const m = readFileSync("/proc/self/status", "utf8").match(new RegExp(`^${field}:\\s+(\\d+) kB`, "m"));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Peak resident set size of this process so far, in MiB (VmHWM; maxRSS where /proc is missing). */
export function peakRssMiB(): number {
  const kib = statusKiB("VmHWM") ?? process.resourceUsage().maxRSS;
  return kib / 1024;
}

/** Current resident set size in MiB, and its anonymous (heap) and file-backed (mmap) parts where known. */
export function rssNowMiB(): { rss: number; anon?: number; file?: number } {
  const rss = statusKiB("VmRSS");
  if (rss === undefined) return { rss: process.memoryUsage().rss / 2 ** 20 };
  const anon = statusKiB("RssAnon"), file = statusKiB("RssFile");
  return { rss: rss / 1024, ...(anon === undefined ? {} : { anon: anon / 1024 }), ...(file === undefined ? {} : { file: file / 1024 }) };
}

/**
 * Resets the peak (VmHWM) to the current RSS (Linux: `5` into
 * /proc/self/clear_refs), so a later {@linkcode peakRssMiB} covers only what
 * ran in between. Returns false when the kernel does not allow it.
 */
export function resetPeakRss(): boolean {
  try {
    writeFileSync("/proc/self/clear_refs", "5");
    return true;
  } catch {
    return false;
  }
}

/** The cache's pragmas, as DiskCache sets them by default. */
export function applyCachePragmas(db: SqliteDatabase): void {
  db.exec("PRAGMA journal_mode = wal");
  db.exec("PRAGMA synchronous = 1");
  db.exec("PRAGMA cache_size = 8192");
  db.exec("PRAGMA mmap_size = 67108864");
}

/**
 * The raw-driver baseline over a python-diskcache `Cache` table: `get` is one
 * prepared SELECT by key (rows as objects, the driver's default), `getArrays`
 * the same with array rows (what DiskCache uses), `set` one prepared upsert
 * of the row DiskCache writes, in its own `BEGIN IMMEDIATE` ... `COMMIT`.
 * `getFile`/`setFile` do the same for values kept in files: the SELECT plus
 * reading the named file; writing a new file, then in one transaction reading
 * the old file name and upserting, then unlinking the old file. `setFile`
 * writes flat files (`raw-<pid>-<n>.val`) by default; with `layout` it
 * follows python-diskcache's layout instead: a random `xx/yy/` directory
 * created for the new file, and the old file's directories removed once
 * empty (what python-diskcache's `Disk.remove` and DiskCache do).
 */
export class RawCache {
  readonly db: SqliteDatabase;
  readonly driver: SqliteDriver;
  readonly #get;
  readonly #getArrays;
  readonly #getFile;
  readonly #oldFile;
  readonly #upsert;
  readonly #upsertFile;
  readonly #begin;
  readonly #commit;
  #files = 0;

  /**
   * Opens `dbPath` with the cache's pragmas. With `create`, builds the
   * schema (tables, key and expiry indexes, count/size triggers, the
   * store_time index of the default eviction policy) in a new file.
   * `fileDir` is where `setFile` writes its value files and what
   * `getFile` resolves the `filename` column against.
   */
  constructor(dbPath: string, options: { create?: boolean; fileDir?: string } = {}) {
    this.driver = detectDriver();
    const db = this.db = this.driver.open(dbPath);
    this.fileDir = options.fileDir ?? ".";
    applyCachePragmas(db);
    if (options.create) {
      db.exec("PRAGMA auto_vacuum = 1");
      for (const sql of SCHEMA_SQL) db.exec(sql);
      db.exec("CREATE INDEX Cache_store_time ON Cache (store_time)");
      db.exec("INSERT INTO Settings VALUES ('count', 0), ('size', 0)");
    }
    this.#get = db.prepare("SELECT value FROM Cache WHERE key = ? AND raw = 1");
    this.#getArrays = db.prepare("SELECT value FROM Cache WHERE key = ? AND raw = 1", { arrays: true });
    this.#getFile = db.prepare("SELECT filename, size FROM Cache WHERE key = ? AND raw = 1", { arrays: true });
    this.#oldFile = db.prepare("SELECT filename FROM Cache WHERE key = ? AND raw = 1", { arrays: true });
    this.#begin = db.prepare("BEGIN IMMEDIATE");
    this.#commit = db.prepare("COMMIT");
    const update =
      "ON CONFLICT(key, raw) DO UPDATE SET store_time = excluded.store_time, expire_time = excluded.expire_time, access_time = excluded.access_time, access_count = 0, tag = excluded.tag, size = excluded.size, mode = excluded.mode, filename = excluded.filename, value = excluded.value";
    const insert = "INSERT INTO Cache (key, raw, store_time, expire_time, access_time, access_count, tag, size, mode, filename, value)";
    this.#upsert = db.prepare(`${insert} VALUES (?, 1, ?, NULL, ?, 0, NULL, 0, 1, NULL, ?) ${update}`);
    this.#upsertFile = db.prepare(`${insert} VALUES (?, 1, ?, NULL, ?, 0, NULL, ?, 2, ?, NULL) ${update}`);
  }

  readonly fileDir: string;

  get(key: string): unknown {
    return this.#get.get(key);
  }

  getArrays(key: string): unknown {
    return this.#getArrays.get(key);
  }

  /** Inline upsert without its own transaction (for a bulk fill inside `BEGIN`). */
  upsert(key: string, value: Uint8Array): void {
    const t = Date.now() / 1000;
    this.#upsert.run(key, t, t, value);
  }

  set(key: string, value: Uint8Array): void {
    this.#begin.run();
    this.upsert(key, value);
    this.#commit.run();
  }

  getFile(key: string): Uint8Array | undefined {
    const row = this.#getFile.get(key) as [string, number] | null | undefined;
    if (row == null) return undefined;
    return readFileSync(join(this.fileDir, row[0]));
  }

  setFile(key: string, value: Uint8Array, layout = false): void {
    let name = `raw-${process.pid}-${this.#files++}.val`;
    if (layout) {
      const hex = () => Math.floor(Math.random() * 256).toString(16).padStart(2, "0");
      name = `${hex()}/${hex()}/${name}`;
      mkdirSync(join(this.fileDir, name.slice(0, 5)), { recursive: true });
    }
    const fd = openSync(join(this.fileDir, name), "wx");
    try {
      let off = 0;
      while (off < value.length) off += writeSync(fd, value, off, value.length - off);
    } finally {
      closeSync(fd);
    }
    const t = Date.now() / 1000;
    this.#begin.run();
    let old: string | null = null;
    try {
      old = ((this.#oldFile.get(key) as [string | null] | null | undefined) ?? [null])[0];
      this.#upsertFile.run(key, t, t, value.length, name);
      this.#commit.run();
    } catch (error) {
      this.db.exec("ROLLBACK");
      throw error;
    }
    if (old === null) return;
    unlinkSync(join(this.fileDir, old));
    if (!layout) return;
    for (let end = old.lastIndexOf("/"); end > 0; end = old.lastIndexOf("/", end - 1)) {
      try {
        rmdirSync(join(this.fileDir, old.slice(0, end)));
      } catch {
        break; // not empty
      }
    }
  }

  /** `fn` inside one `BEGIN IMMEDIATE` ... `COMMIT`. */
  transaction(fn: () => void): void {
    this.#begin.run();
    fn();
    this.#commit.run();
  }

  close(): void {
    this.db.close();
  }
}
