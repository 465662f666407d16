/**
 * The in-process memory tier (`memory: { maxBytes, staleness }`): recently
 * read values kept in this process, in front of the database, bounded by
 * bytes (least recently used out first), and coherent with every other
 * connection to the same directory.
 *
 * Coherence rests on two signals:
 * - Other connections (other processes, threads, other `DiskCache` objects):
 *   SQLite's `PRAGMA data_version`, whose value changes when any other
 *   connection has committed since the last call on this one. It works in
 *   every journal mode (WAL: from the WAL-index header; rollback journal:
 *   from the file change counter), which a read of the `-shm` file would
 *   not. A change empties the tier. With `staleness: 0` it is read before
 *   every tier lookup; with `staleness: N` at most every N ms (monotonic
 *   clock), and at once after another `DiskCache` in this realm committed to
 *   the same database.
 * - This connection's own writes: TEMP triggers on `Cache` (they fire for
 *   this connection only) note the key of every row inserted, deleted, or
 *   updated in a column that a read returns, into a TEMP table. The table is
 *   part of the transaction: a rollback, or the rollback of a savepoint,
 *   takes the notes back with the writes. After the outermost commit the
 *   notes are drained and those keys leave the tier, before the write
 *   returns. Access-time updates (LRU/LFU bookkeeping) touch no such column.
 *
 * A read inside a transaction or a read snapshot bypasses the tier (it may
 * see uncommitted writes, which must never enter the tier).
 *
 * @module
 */
import type { SqliteStatement, SqliteValue } from "../driver.ts";
import type { Engine } from "../engine/engine.ts";
import type { StoredKey } from "../format/stored_key.ts";
import { readFresh } from "./_fresh_read.ts";
import { fetchValue, MISSING, readColumn, UnreadableValue, type ValueRow } from "../format/row_values.ts";
import { readValueFile } from "../format/value_files.ts";
import { decodeStructured } from "../format/codec.ts";
import { bigFlag, MODE_BINARY, MODE_CBOR, MODE_RAW, MODE_TEXT, safeInt } from "../format/schema.ts";
import { SQL } from "../format/sql.ts";
import { getValue } from "./items.ts";
import { describe } from "../errors.ts";
// Node's built-ins through process.getBuiltinModule, not `import`: see test/cold_start_test.ts (issue 25).
const { realpathSync } = globalThis.process.getBuiltinModule("node:fs");

/**
 * What the tier counts for what it holds, in bytes: set from the heap growth
 * measured on every runtime (`test/fixtures/memory_heap_worker.ts`, kind by
 * kind: 40,000 entries read through a tier of 1-5 MB, so under eviction, the
 * heap after a full collection, less the same reads without the tier),
 * covering the costliest runtime. Per entry, real on Node 24 / Bun against
 * counted: a short string key and value 244 / 251 against 394; an integer key
 * and a float 204-269 / 208-333 against 336 (the `Map`'s table grows by
 * doubling: just past a power of two entries it is twice what they need);
 * 8 bytes 242 / 279 against 390; a small object 242 / 269 against 394;
 * 100 bytes 573 / 447 against 758; 5,000 ASCII characters 5,611 / 5,602
 * against 6,612. Deno measures as Node 24 does, Node 20 a little lower. The
 * tier stays within `maxBytes` (`test/memory_heap_test.ts`).
 */
export const COSTS = {
  /** An entry besides its key and value: its `Map` slot (with the table's slack, up to twice the slots in use, and the holes eviction leaves) and its `Held` object. */
  entry: 272,
  /** A string besides its characters: the string object (a concatenation's two, once hashed). */
  string: 48,
  /**
   * A character of an ASCII string: one byte on every runtime, and the heap's
   * slack around strings of hundreds to thousands of characters (1.03-1.07
   * bytes a character measured on both engines).
   */
  asciiChar: 1.25,
  /** A character of any other string: V8 holds Latin-1 in one byte, but JSC holds what SQLite decoded in two. */
  char: 2.25,
  /** A number or bigint, boxed. */
  number: 32,
  /** A `Uint8Array` besides its bytes: the view, its `ArrayBuffer` and the backing store's bookkeeping. */
  bytes: 320,
} as const;

/**
 * Byte values up to this length are kept as a one-byte string (one character
 * per byte, 16-48 bytes besides them) instead of a `Uint8Array` (about 300
 * besides them), and made bytes again on each hit, which a hit must copy anyway.
 */
const COMPACT_BYTES = 64;

/** Lookups per window of the tier's self-check (see {@linkcode MemoryTier}). */
const WINDOW = 256;
/** Below this share of hits in a window, the tier steps aside for a while. */
const MIN_HIT_SHARE = 0.5;
/** Longest step aside, in reads. */
const MAX_BYPASS = 1 << 16;

const CHANGES_TABLE = "temp.diskcache_memory_changes";
// The columns a read returns or depends on: an UPDATE of access_time or
// access_count alone (LRU/LFU bookkeeping) leaves the tier alone.
const READ_COLUMNS = "key, raw, store_time, expire_time, tag, size, mode, filename, value";
const SETUP_SQL = `
CREATE TEMP TABLE IF NOT EXISTS diskcache_memory_changes (key, raw);
CREATE TEMP TRIGGER IF NOT EXISTS diskcache_memory_insert AFTER INSERT ON main.Cache
  BEGIN INSERT INTO ${CHANGES_TABLE} VALUES (new.key, new.raw); END;
CREATE TEMP TRIGGER IF NOT EXISTS diskcache_memory_delete AFTER DELETE ON main.Cache
  BEGIN INSERT INTO ${CHANGES_TABLE} VALUES (old.key, old.raw); END;
CREATE TEMP TRIGGER IF NOT EXISTS diskcache_memory_update AFTER UPDATE OF ${READ_COLUMNS} ON main.Cache
  BEGIN INSERT INTO ${CHANGES_TABLE} VALUES (old.key, old.raw), (new.key, new.raw); END;
`;
const CHANGED_SQL = `SELECT ${safeInt("key")} AS key, ${bigFlag("key")} AS key_big, raw FROM ${CHANGES_TABLE}`;
const FORGET_SQL = `DELETE FROM ${CHANGES_TABLE}`;

/** Options of the memory tier, validated. */
export interface MemorySettings {
  maxBytes: number;
  staleness: number;
}

/**
 * How a value is held: 0, as is (a string, number or bigint); 1, bytes, a copy
 * returned; 2, CBOR bytes, decoded afresh on every hit; 3 and 4, the same as
 * 1 and 2, the bytes held as a one-byte string (see {@linkcode COMPACT_BYTES}).
 */
type Kind = 0 | 1 | 2 | 3 | 4;

/** One value held in memory. */
interface Held {
  /** See {@linkcode Kind}. */
  value: unknown;
  kind: Kind;
  /** Expiry in epoch seconds, or null. */
  expire: number | null;
  rowid: number;
  storeTime: number;
  bytes: number;
  /** Read from memory since it was last put at the young end of the Map (see {@linkcode MemoryTier.get}). */
  read: boolean;
}

/**
 * Per database file, a count of commits made by connections of this realm
 * that keep a tier or not: a tier with `staleness > 0` reads
 * `data_version` at once when a sibling connection committed, so its
 * process never reads behind its own writes. Kept on `globalThis` under a
 * registered symbol, so that two copies of this library in one realm (two
 * versions installed side by side, a JSR and an npm copy) count together;
 * its shape, a `Map` from real path to `{ n }`, must stay the same in every
 * version.
 */
const realmCommits: Map<string, { n: number }> = ((globalThis as Record<symbol, unknown>)[Symbol.for("diskcache: commits per database")] ??= new Map()) as Map<
  string,
  { n: number }
>;

/**
 * The commit counter of the database at `dbPath` in this realm (see
 * {@linkcode realmCommits}), by its real path: one directory opened through
 * a symlink and through its own name is one database.
 */
export function commitCounter(dbPath: string): { n: number } {
  const path = realpathSync(dbPath);
  let counter = realmCommits.get(path);
  if (counter === undefined) realmCommits.set(path, counter = { n: 0 });
  return counter;
}

/** Validates the `memory` option; `undefined` when the tier is off. */
export function memorySettings(option: unknown): MemorySettings | undefined {
  if (option === undefined) return undefined;
  if (typeof option !== "object" || option === null) {
    throw new TypeError(`Cannot open cache: "memory" must be an object such as { maxBytes: 2 ** 26 }: received ${describe(option)}`);
  }
  const { maxBytes, staleness = 0, ...rest } = option as { maxBytes?: unknown; staleness?: unknown };
  const unknown = Object.keys(rest);
  if (unknown.length > 0) {
    throw new TypeError(`Cannot open cache: unknown "memory" option ${JSON.stringify(unknown[0])}; known options are maxBytes, staleness`);
  }
  if (typeof maxBytes !== "number" || !Number.isSafeInteger(maxBytes) || maxBytes <= 0) {
    throw new RangeError(`Cannot open cache: "memory.maxBytes" must be a positive integer number of bytes: received ${describe(maxBytes)}`);
  }
  if (typeof staleness !== "number" || !Number.isFinite(staleness) || staleness < 0) {
    throw new RangeError(`Cannot open cache: "memory.staleness" must be a finite, non-negative number of milliseconds: received ${describe(staleness)}`);
  }
  return { maxBytes, staleness };
}

/** What `stats()` reports of the tier. */
export interface MemoryTierStats {
  bytes: number;
  entries: number;
  hits: number;
  maxBytes: number;
}

/**
 * The tier of one engine. {@linkcode MemoryTier.get} answers like
 * `getValue` in `ops/items.ts`. It watches its own usefulness: over each window
 * of {@linkcode WINDOW} lookups, when fewer than half were hits (another
 * process keeps invalidating it, or the working set does not fit), reads go
 * straight to the database for a while (doubling each time, up to
 * {@linkcode MAX_BYPASS} reads), so an always-invalidated tier costs next to
 * nothing over no tier.
 */
export class MemoryTier {
  readonly maxBytes: number;
  readonly staleness: number;
  /** Bytes held (see {@linkcode COSTS}). */
  bytes = 0;
  /** Reads answered from memory. */
  hits = 0;
  readonly #map = new Map<unknown, Held>();
  readonly #engine: Engine;
  readonly #dataVersion: SqliteStatement;
  readonly #changedRows: SqliteStatement;
  readonly #forget: SqliteStatement;
  readonly #commits: { n: number };
  #seenCommits: number;
  #version: unknown;
  #checkedAt = -Infinity;
  /** Keys the transaction being committed changed. */
  #changed: Changed[] = [];
  #lookups = 0;
  #windowHits = 0;
  #bypass = 0;
  #nextBypass = WINDOW;

  constructor(engine: Engine, settings: MemorySettings) {
    this.maxBytes = settings.maxBytes;
    this.staleness = settings.staleness;
    this.#engine = engine;
    this.#dataVersion = engine.prepare("PRAGMA data_version", "preferred");
    this.#version = this.#readVersion();
    this.#commits = commitCounter(engine.dbPath);
    this.#seenCommits = this.#commits.n;
    // A read-only connection never writes: no triggers (nor TEMP table) to keep.
    if (!engine.readonly) engine.db("open the memory tier").exec(SETUP_SQL);
    this.#changedRows = engine.prepare(engine.readonly ? "SELECT 1 WHERE 0" : CHANGED_SQL);
    this.#forget = engine.prepare(engine.readonly ? "SELECT 1 WHERE 0" : FORGET_SQL);
  }

  /** What `stats()` shows. */
  stats(): MemoryTierStats {
    return { bytes: this.bytes, entries: this.#map.size, hits: this.hits, maxBytes: this.maxBytes };
  }

  /** Empties the tier. */
  clear(): void {
    this.#map.clear();
    this.bytes = 0;
  }

  /**
   * Right before this connection's outermost COMMIT: takes the keys its
   * transaction changed (noted by the TEMP triggers) out of the TEMP table,
   * in the same transaction, so that an empty table costs one cheap
   * statement and a failed COMMIT puts the notes back.
   */
  committing(): void {
    this.#changed = this.#changedRows.all() as Changed[];
    if (this.#changed.length > 0) this.#forget.run();
  }

  /** After a rollback: nothing the transaction noted happened. */
  rolledBack(): void {
    this.#changed = [];
  }

  /** After this connection's outermost commit: drops the keys its transaction changed. */
  committed(): void {
    // This commit leaves `data_version` as it was on this connection, so the
    // tier may take it as seen, but only when no sibling committed since the
    // last check: a sibling's commit must still lead to a check, however many
    // commits of this connection (writes, access-time flushes) come after it.
    const commits = this.#commits;
    if (commits.n === this.#seenCommits) this.#seenCommits = ++commits.n;
    else commits.n++;
    const rows = this.#changed;
    this.#changed = [];
    for (const row of rows) {
      const id = mapKey(readColumn(row.key, row.key_big), row.raw);
      const held = this.#map.get(id);
      if (held !== undefined) {
        this.#map.delete(id);
        this.bytes -= held.bytes;
      }
    }
  }

  /** The value of a live item, or `MISSING`: from memory when it may, else from the database (then kept). */
  get(k: StoredKey): unknown {
    const engine = this.#engine;
    if (engine.inTransaction || engine.snapshot !== undefined) return getValue(engine, k);
    if (this.#bypass > 0) {
      this.#bypass--;
      return getValue(engine, k);
    }
    this.#check();
    const id = mapKey(k.key, k.raw);
    const held = this.#map.get(id);
    if (held !== undefined) {
      if (held.expire === null || held.expire > engine.clock() / 1000) {
        // Marked, not moved: the Map keeps insertion order, and moving the
        // entry to its young end (a delete and a set) cost as much as the
        // rest of a hit. Eviction moves marked entries instead (see #evict).
        held.read = true;
        this.hits++;
        this.#windowHits++;
        this.#count();
        engine.hit(held.rowid, held.storeTime);
        return answer(held);
      }
      this.#map.delete(id);
      this.bytes -= held.bytes;
    }
    this.#count();
    return this.#load(k, id);
  }

  /** Empties the tier when another connection committed (read at most every `staleness` ms). */
  #check(): void {
    const commits = this.#commits.n;
    const t = this.staleness > 0 ? performance.now() : 0;
    if (this.staleness > 0 && commits === this.#seenCommits && t - this.#checkedAt < this.staleness) return;
    let version: unknown;
    try {
      version = this.#readVersion();
    } catch (error) {
      // A rollback journal locked by a writer past the timeout: Timeout, as a read without the tier.
      // Nothing is taken as checked: the next read checks again.
      throw this.#engine.translate(error, "get");
    }
    this.#seenCommits = commits;
    this.#checkedAt = t;
    if (version !== this.#version) {
      this.#version = version;
      this.clear();
    }
  }

  #readVersion(): unknown {
    this.#engine.guardReads();
    const row = this.#dataVersion.get() as [unknown] | { data_version: unknown };
    return Array.isArray(row) ? row[0] : row.data_version;
  }

  /** Counts one lookup of the window; steps aside after a window of few hits. */
  #count(): void {
    if (++this.#lookups < WINDOW) return;
    if (this.#windowHits < WINDOW * MIN_HIT_SHARE) {
      this.#bypass = this.#nextBypass;
      this.#nextBypass = Math.min(this.#nextBypass * 2, MAX_BYPASS);
      this.#checkedAt = -Infinity; // back from the bypass: read data_version first
    } else {
      this.#nextBypass = WINDOW;
    }
    this.#lookups = 0;
    this.#windowHits = 0;
  }

  /**
   * Drops entries, oldest first, until the tier holds at most `limit` bytes:
   * an entry read since it was last put at the young end gets a second
   * chance (unmarked and put there) instead, so the least recently read
   * leave first, approximately (the "clock" approximation of LRU). Entries
   * moved during the loop are met again at its end, unmarked, so it ends.
   */
  #evict(limit: number): void {
    for (const [oldest, entry] of this.#map) {
      this.#map.delete(oldest);
      if (entry.read) {
        entry.read = false;
        this.#map.set(oldest, entry);
        continue;
      }
      this.bytes -= entry.bytes;
      if (this.bytes <= limit) return;
    }
  }

  /** Reads the item from the database (as `find` does) and keeps it. */
  #load(k: StoredKey, id: unknown): unknown {
    const engine = this.#engine;
    const select = () => engine.prepare(SQL.getLive).get(k.key, k.raw, engine.now()) as Located | null | undefined;
    let row: Located | null | undefined;
    try {
      row = select();
    } catch (error) {
      throw engine.translate(error, "get");
    }
    if (row == null) {
      engine.miss();
      return MISSING;
    }
    const got = readFresh(engine, row, select, (r) => load(engine.directory, r, k.original));
    if (got === undefined) {
      engine.miss();
      return MISSING;
    }
    const [used, [held, out]] = got;
    held.expire = used.expire_time;
    held.rowid = used.rowid;
    held.storeTime = used.store_time;
    held.bytes += COSTS.entry + keyCost(id);
    engine.hit(used.rowid, used.store_time);
    if (held.bytes <= this.maxBytes) {
      // Room first, so the value loaded now is not among those dropped.
      if (this.bytes + held.bytes > this.maxBytes) this.#evict(this.maxBytes - held.bytes);
      // A string key is the caller's string (other Map keys are made here, and share nothing).
      this.#map.set(typeof k.key === "string" ? detached(k.key) : id, held);
      this.bytes += held.bytes;
    }
    return out;
  }
}

/** A key a transaction changed, as the drain reads it. */
interface Changed {
  key: SqliteValue;
  key_big: number;
  raw: number;
}

/** A row of `SQL.getLive`. */
interface Located extends ValueRow {
  rowid: number;
  store_time: number;
  expire_time: number | null;
}

/**
 * What the tier keeps of a row, and the value to answer now: a string,
 * number or bigint as is, bytes as read (fresh from the binding or the file:
 * nobody else holds them; every hit answers a copy), a structured value as
 * its CBOR bytes (decoded afresh on every hit, so each caller's object is
 * its own). `MISSING` when the value file is gone. A value this library
 * cannot read throws as `fetchValue` does.
 */
function load(directory: string, row: ValueRow, key: unknown): [Held, unknown] | typeof MISSING {
  const mode = row.mode;
  if (mode === MODE_RAW) {
    const value = readColumn(row.value, row.big);
    if (value instanceof Uint8Array) return [heldBytes(value, 1), value.slice()];
    return [held(value, 0, typeof value === "string" ? stringCost(value) : COSTS.number), value];
  }
  let bytes: unknown;
  if (row.filename !== null) {
    bytes = readValueFile(directory, row.filename, row.size);
    if (bytes === undefined) return MISSING;
  } else bytes = readColumn(row.value, 0);
  if (!(bytes instanceof Uint8Array) || (mode !== MODE_BINARY && mode !== MODE_TEXT && mode !== MODE_CBOR)) {
    // A pickle, a foreign mode, a damaged row: fetchValue throws the error that says which.
    fetchValue(directory, row, key);
    throw new UnreadableValue(`Cannot read key ${describe(key)}: value mode ${mode} holds no bytes; delete the key`);
  }
  if (mode === MODE_BINARY) return [heldBytes(bytes, 1), bytes.slice()];
  if (mode === MODE_TEXT) {
    const text = textDecoder.decode(bytes);
    return [held(text, 0, stringCost(text)), text];
  }
  let value: unknown;
  try {
    value = decodeStructured(bytes);
  } catch (cause) {
    throw new UnreadableValue(`Cannot read key ${describe(key)}: its stored value is not valid CBOR; delete the key`, { cause });
  }
  return [heldBytes(bytes, 2), value];
}

function held(value: unknown, kind: Kind, bytes: number): Held {
  return { value, kind, expire: null, rowid: 0, storeTime: 0, bytes, read: false };
}

/**
 * Bytes (`kind` 1) or CBOR bytes (2) to hold: small ones as a one-byte string
 * (3, 4), others as they are (the caller's copy, which nobody else holds).
 */
function heldBytes(bytes: Uint8Array, kind: 1 | 2): Held {
  const n = bytes.byteLength;
  if (n > COMPACT_BYTES) {
    // A view into a larger buffer (a driver's) would hold all of it: keep a copy of its own.
    const own = bytes.byteOffset === 0 && bytes.buffer.byteLength === n ? bytes : bytes.slice();
    return held(own, kind, COSTS.bytes + n);
  }
  const text = String.fromCharCode(...bytes);
  return held(text, kind === 1 ? 3 : 4, COSTS.string + n);
}

/** The value a hit returns: its own copy of bytes, a structured value decoded afresh. */
function answer(held: Held): unknown {
  switch (held.kind) {
    case 0:
      return held.value;
    case 1:
      return (held.value as Uint8Array).slice();
    case 2:
      return decodeStructured(held.value as Uint8Array);
    default: {
      const text = held.value as string;
      const bytes = new Uint8Array(text.length);
      for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
      return held.kind === 3 ? bytes : decodeStructured(bytes);
    }
  }
}

/**
 * A copy of `s` that shares no memory with a larger string. The caller's key
 * may be a slice of one (V8's sliced strings, JSC's substrings, from `slice`,
 * `split`, a regular expression match): as a Map key it would keep all of it
 * alive, uncounted. Decoding makes new characters on every runtime (string
 * operations may not: JSC takes a slice of a concatenation from the part it
 * lies in); a key holds no lone surrogate, so the round trip is exact. Made
 * once per entry kept, never on a hit.
 */
function detached(s: string): string {
  return textDecoder.decode(textEncoder.encode(s));
}

/** What a string costs (see {@linkcode COSTS}). */
function stringCost(s: string): number {
  return COSTS.string + Math.ceil(s.length * (NOT_ASCII.test(s) ? COSTS.char : COSTS.asciiChar));
}

const NOT_ASCII = /[\u0080-\uffff]/;

const textDecoder = new TextDecoder("utf-8", { ignoreBOM: true });
const textEncoder = new TextEncoder();

/** What the Map key of an entry costs (see {@linkcode mapKey}: a string, a number or a bigint within int64). */
function keyCost(id: unknown): number {
  return typeof id === "string" ? stringCost(id) : COSTS.number;
}

/**
 * The Map key of a stored key: one per row the database can hold, since
 * SQLite finds a row by the key's value, not its storage class (the INTEGER
 * 1 and Python's REAL 1.0, -0.0 and 0, 2^60 and 2.0 ** 60 are one key). So
 * an integral number within int64, INTEGER or REAL, read back as a number or
 * a bigint, is the bigint of its value, as `rawKeyValue` binds it;
 * other numbers (fractions, ±Infinity, integral REALs past int64, which
 * equal no INTEGER) and strings are their own keys. Bytes become a string
 * that starts with a lone surrogate, which no string key can hold (they are
 * refused as keys), one for raw bytes and another for encoded structured
 * keys.
 */
export function mapKey(key: SqliteValue, raw: number): unknown {
  if (typeof key === "number") return Number.isInteger(key) && key >= -(2 ** 63) && key < 2 ** 63 ? BigInt(key) : key;
  if (!(key instanceof Uint8Array)) return key;
  const mark = raw ? 0xD800 : 0xDC00;
  // One flat string for a short key (a concatenation keeps its parts besides).
  if (key.length <= 4096) return String.fromCharCode(mark, ...key);
  let s = String.fromCharCode(mark);
  for (let i = 0; i < key.length; i += 4096) s += String.fromCharCode(...key.subarray(i, i + 4096));
  return s;
}
