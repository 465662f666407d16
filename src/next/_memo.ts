/**
 * The handlers' per-process memory: entries as `get` last decoded them, and
 * the tag records read with them, kept in front of the shared cache and
 * coherent with every process, as Next's own file-system cache keeps a
 * memory LRU in front of `.next/cache` (but that one never learns of
 * another process's writes).
 *
 * Coherence, as the library's memory tier (docs/memory-tier.md):
 * - Another connection's commit (another process, or the other handler's
 *   cache in this one) changes SQLite's `PRAGMA data_version`, read before
 *   every lookup (with `staleness: N`, at most every N ms, and at once after
 *   another cache object of this realm committed); a change empties the
 *   memory. A revalidation is a commit, so the next `get` of every process
 *   sees it.
 * - This connection's own writes are the handler's own `set`s and
 *   revalidations, which drop what they change (culling and the access-time
 *   flush change nothing a hit returns: an entry culled here is still the
 *   entry that was stored).
 * Expiry is checked on every hit, and a hit counts as an access for the
 * least-recently-used policy, as a read from disk does.
 *
 * A hit hands out the decoded value itself (the handlers copy what a caller
 * could reassign, not the bytes): Next's own memory caches hand the same
 * `Buffer`s and bytes to every request and never write into them.
 *
 * @module
 */
import { performance } from "node:perf_hooks";
import type { SqliteStatement } from "../driver.ts";
import type { Engine } from "../engine/engine.ts";
import { commitCounter, type MemorySettings } from "../ops/memory_tier.ts";
import type { TagRecord } from "./_tags.ts";

/** What a hit needs besides the value: the row (for the access record) and its expiry. */
export interface Held<V> {
  value: V;
  rowid: number;
  /** The row's store time and expiry, epoch seconds as stored. */
  storeTime: number;
  expire: number | null;
  /** Estimated bytes of `value` (see {@linkcode estimateBytes}). */
  bytes: number;
}

/** An entry's bookkeeping besides its value: the `Map` slot, the `Held` object, the key. */
const ENTRY_BYTES = 300;

/** Decoded entries of one handler's cache, by Next's key (see the module). */
export class Memo<V> {
  readonly #engine: Engine;
  readonly #settings: MemorySettings;
  readonly #version: SqliteStatement;
  readonly #commits: { n: number };
  #seenVersion: unknown = undefined;
  #seenCommits = -1;
  #checkedAt = -Infinity;
  readonly #entries = new Map<string, Held<V>>();
  #bytes = 0;
  /** Tag records read since the last change (`null`: the tag was never revalidated). */
  readonly tags: Map<string, TagRecord | null> = new Map();

  constructor(engine: Engine, settings: MemorySettings) {
    this.#engine = engine;
    this.#settings = settings;
    this.#version = engine.prepare("PRAGMA data_version", "preferred");
    this.#commits = commitCounter(engine.dbPath);
  }

  /** Empties the memory when another connection committed since the last look. */
  sync(): void {
    const { staleness } = this.#settings;
    if (staleness > 0) {
      const now = performance.now();
      if (now - this.#checkedAt < staleness && this.#commits.n === this.#seenCommits) return;
      this.#checkedAt = now;
      this.#seenCommits = this.#commits.n;
    }
    const row = this.#version.get() as [unknown] | { data_version: unknown };
    const version = Array.isArray(row) ? row[0] : row.data_version;
    if (version !== this.#seenVersion) {
      this.clear();
      this.#seenVersion = version;
    }
  }

  /** The live entry held for `key`, counted as a hit; call {@linkcode sync} first. */
  get(key: string): V | undefined {
    const held = this.#entries.get(key);
    if (held === undefined) return undefined;
    if (held.expire !== null && held.expire <= this.#engine.now()) {
      this.delete(key);
      return undefined;
    }
    // Least recently read leaves first: a hit moves the entry to the young end.
    this.#entries.delete(key);
    this.#entries.set(key, held);
    this.#engine.hit(held.rowid, held.storeTime);
    return held.value;
  }

  /** Holds `held` for `key` (read from disk after a {@linkcode sync}), within `maxBytes`. */
  put(key: string, held: Held<V>): void {
    const cost = held.bytes + key.length + ENTRY_BYTES;
    if (cost > this.#settings.maxBytes) return;
    this.delete(key);
    this.#entries.set(key, { ...held, bytes: cost });
    this.#bytes += cost;
    for (const [oldest, entry] of this.#entries) {
      if (this.#bytes <= this.#settings.maxBytes) break;
      this.#entries.delete(oldest);
      this.#bytes -= entry.bytes;
    }
  }

  /** Forgets `key` (this process wrote it). */
  delete(key: string): void {
    const held = this.#entries.get(key);
    if (held === undefined) return;
    this.#entries.delete(key);
    this.#bytes -= held.bytes;
  }

  /** Forgets everything. */
  clear(): void {
    this.#entries.clear();
    this.tags.clear();
    this.#bytes = 0;
  }
}

/**
 * About how many bytes `value` takes in memory: string characters at two
 * bytes (the costliest runtime's), bytes as their length, 64 for every
 * object, array or `Map`. Deep values past 64 levels count 64 bytes.
 */
export function estimateBytes(value: unknown, depth = 0): number {
  if (typeof value === "string") return 2 * value.length + 32;
  if (value === null || typeof value !== "object") return 16;
  if (ArrayBuffer.isView(value)) return value.byteLength + 96;
  if (depth > 64) return 64;
  let total = 64;
  if (value instanceof Map) {
    for (const [k, v] of value) total += estimateBytes(k, depth + 1) + estimateBytes(v, depth + 1);
  } else if (Array.isArray(value)) {
    for (const v of value) total += estimateBytes(v, depth + 1);
  } else {
    for (const [k, v] of Object.entries(value)) total += 2 * k.length + estimateBytes(v, depth + 1);
  }
  return total;
}
