/**
 * Eviction in one module: each policy described once as data (the index it
 * needs, what a hit records, the ORDER BY that picks victims), and what the
 * operations derive from that description: which rows a write's culling and
 * `cull()` remove, and how many; how reads recorded in memory are written.
 * Python's diskcache uses the same names, indexes and orders, so either
 * library can open a directory the other wrote.
 *
 * @module
 */

/**
 * Names of the eviction policies.
 *
 * @example Choose a policy
 * ```ts
 * import { rmSync } from "node:fs";
 * import assert from "node:assert/strict";
 * import { DiskCache, type EvictionPolicy } from "@diskcache/diskcache";
 * const policy: EvictionPolicy = "least-frequently-used";
 * using cache = new DiskCache(undefined, { evictionPolicy: policy });
 * assert.equal(cache.evictionPolicy, policy);
 * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
 * ```
 */
export type EvictionPolicy =
  | "least-recently-stored"
  | "least-recently-used"
  | "least-frequently-used"
  | "none";

/**
 * One policy, described once: the index it orders by (and by which an
 * existing database is recognised as set up for it), what a read of a row
 * records, and the order that picks victims. Everything else about eviction
 * (the victim statements of writes and of `cull()`, how many victims a
 * write or `cull()` removes, the statement that writes the reads recorded
 * in memory, the hot read's extra columns, `incr`'s hit update) is derived
 * from it below, so that changing eviction means this module and its tests.
 *
 * @example What least-recently-used runs
 * ```ts
 * import assert from "node:assert/strict";
 * import { EVICTION_POLICIES, type EvictionPolicySql } from "@diskcache/diskcache";
 * const lru: EvictionPolicySql = EVICTION_POLICIES["least-recently-used"];
 * assert.equal(lru.order, "access_time");
 * assert.equal(lru.index, "Cache_access_time");
 * assert.equal(lru.reads, "time");
 * assert.equal(EVICTION_POLICIES.none.order, null);
 * ```
 */
export interface EvictionPolicySql {
  /** DDL of the index the policy orders by, or `null`. */
  readonly init: string | null;
  /** Name of the index `init` creates (a database that lacks it is set up again on open), or `null`. */
  readonly index: string | null;
  /**
   * What a read (a hit) of a row records: its access time (`"time"`, into
   * `access_time`, in seconds), one more hit (`"count"`, into
   * `access_count`), or nothing (`null`).
   */
  readonly reads: "time" | "count" | null;
  /** SET clause applied to a row on every hit (`?` is now, in seconds), or `null`: `reads` as SQL. */
  readonly onHit: string | null;
  /** ORDER BY expression choosing victims first, or `null` for no eviction. */
  readonly order: string | null;
}

/**
 * The policy table (frozen, each policy too: the operations build SQL from it).
 *
 * @example Look up a policy
 * ```ts
 * import assert from "node:assert/strict";
 * import { EVICTION_POLICIES } from "@diskcache/diskcache";
 * assert.equal(EVICTION_POLICIES["least-recently-stored"].order, "store_time");
 * ```
 */
export const EVICTION_POLICIES: Readonly<Record<EvictionPolicy, EvictionPolicySql>> = Object.freeze({
  "least-recently-stored": Object.freeze<EvictionPolicySql>({
    init: "CREATE INDEX IF NOT EXISTS Cache_store_time ON Cache (store_time)",
    index: "Cache_store_time",
    reads: null,
    onHit: null,
    order: "store_time",
  }),
  "least-recently-used": Object.freeze<EvictionPolicySql>({
    init: "CREATE INDEX IF NOT EXISTS Cache_access_time ON Cache (access_time)",
    index: "Cache_access_time",
    reads: "time",
    onHit: "access_time = ?",
    order: "access_time",
  }),
  "least-frequently-used": Object.freeze<EvictionPolicySql>({
    init: "CREATE INDEX IF NOT EXISTS Cache_access_count ON Cache (access_count)",
    index: "Cache_access_count",
    reads: "count",
    onHit: "access_count = access_count + 1",
    order: "access_count",
  }),
  none: Object.freeze<EvictionPolicySql>({ init: null, index: null, reads: null, onHit: null, order: null }),
});

/**
 * Tells whether `name` is a known policy.
 *
 * @param name Any value.
 * @returns `true` for the four policy names.
 *
 * @example Validate a policy name
 * ```ts
 * import assert from "node:assert/strict";
 * import { isEvictionPolicy } from "./eviction.ts";
 * assert.ok(isEvictionPolicy("none"));
 * assert.ok(!isEvictionPolicy("fifo"));
 * ```
 */
export function isEvictionPolicy(name: unknown): name is EvictionPolicy {
  return typeof name === "string" && Object.hasOwn(EVICTION_POLICIES, name);
}

// What the layers above derive from a policy. (Not exported by mod.ts.)

/**
 * A row a removal picked: its rowid, its value file, and roughly the bytes
 * removing it frees (see {@linkcode VICTIM_COLUMNS}).
 */
export interface Victim {
  /** The row. */
  rowid: number;
  /** Its value file, or `null` for a value stored in the row. */
  filename: string | null;
  /** Its value file's size plus the bytes of its key and inline value. */
  bytes?: number;
}

/**
 * The columns of a victim: each frees its value file and, roughly, the bytes
 * of its key and inline value in the database pages.
 */
const VICTIM_COLUMNS = "rowid, filename, size + COALESCE(length(CAST(value AS BLOB)), 0) + COALESCE(length(CAST(key AS BLOB)), 0) AS bytes";

/**
 * Victims of a write's culling in policy order, never the row the write
 * stored (parameters: its key and raw, then a limit); `null` for no eviction.
 *
 * @param policy The policy in force.
 * @returns The statement, or `null` when the policy never evicts.
 * @example The victims of an LRU write
 * ```ts
 * import assert from "node:assert/strict";
 * import { EVICTION_POLICIES, writeVictimsSql } from "./eviction.ts";
 * assert.match(writeVictimsSql(EVICTION_POLICIES["least-recently-used"])!, /ORDER BY access_time LIMIT \?$/);
 * assert.equal(writeVictimsSql(EVICTION_POLICIES.none), null);
 * ```
 */
export function writeVictimsSql(policy: EvictionPolicySql): string | null {
  if (policy.order === null) return null;
  let sql = WRITE_VICTIMS.get(policy);
  if (sql === undefined) {
    WRITE_VICTIMS.set(policy, sql = `SELECT ${VICTIM_COLUMNS} FROM Cache WHERE NOT (key = ? AND raw = ?) ORDER BY ${policy.order} LIMIT ?`);
  }
  return sql;
}

/** {@linkcode writeVictimsSql} by policy, built once (a write that culls asks for it). */
const WRITE_VICTIMS = new WeakMap<EvictionPolicySql, string>();

/**
 * Ten victims of `cull()` in policy order (python-diskcache's batch), with
 * the same bytes as a write's; `null` for no eviction.
 *
 * @param policy The policy in force.
 * @returns The statement, or `null` when the policy never evicts.
 * @example The victims of an LFU cull
 * ```ts
 * import assert from "node:assert/strict";
 * import { cullVictimsSql, EVICTION_POLICIES } from "./eviction.ts";
 * assert.match(cullVictimsSql(EVICTION_POLICIES["least-frequently-used"])!, /ORDER BY access_count LIMIT 10$/);
 * ```
 */
export function cullVictimsSql(policy: EvictionPolicySql): string | null {
  return policy.order === null ? null : `SELECT ${VICTIM_COLUMNS} FROM Cache ORDER BY ${policy.order} LIMIT 10`;
}

/**
 * How many of `victims` (in policy order) to remove, at most `max`, to free
 * `bytes`: each counts the bytes its row selected. A write's culling asks
 * for the volume to go under `sizeLimit` (python-diskcache culls a write at
 * `volume() >= size_limit`), `cull()` for at most `sizeLimit` (Python's
 * `while volume() > size_limit`): one byte apart.
 *
 * @param victims Rows from {@linkcode writeVictimsSql} or {@linkcode cullVictimsSql}.
 * @param bytes The bytes to free; nothing is removed for 0 or less.
 * @param max The most to remove.
 * @returns How many of the first victims to remove.
 * @example Two victims of 100 bytes free 150
 * ```ts
 * import assert from "node:assert/strict";
 * import { victimsFreeing } from "./eviction.ts";
 * const rows = [1, 2, 3].map((rowid) => ({ rowid, filename: null, bytes: 100 }));
 * assert.equal(victimsFreeing(rows, 150, 10), 2);
 * assert.equal(victimsFreeing(rows, 150, 1), 1);
 * assert.equal(victimsFreeing(rows, 0, 10), 0);
 * ```
 */
export function victimsFreeing(victims: readonly Victim[], bytes: number, max: number): number {
  let k = 0;
  while (k < victims.length && k < max && bytes > 0) bytes -= Number(victims[k++]!.bytes ?? 0);
  return k;
}

/**
 * What a read of a row leaves pending under `policy`: the access time in
 * seconds (`"time"`), or one more hit than `pending` (`"count"`); `null`
 * when the policy records nothing.
 *
 * @param policy The policy in force.
 * @param pending What is already pending for the row, if anything.
 * @param now The time of the read, in epoch milliseconds.
 * @returns The value to keep pending.
 * @example An LFU read counts one more hit
 * ```ts
 * import assert from "node:assert/strict";
 * import { EVICTION_POLICIES, recordedRead } from "./eviction.ts";
 * assert.equal(recordedRead(EVICTION_POLICIES["least-frequently-used"], 2, 0), 3);
 * assert.equal(recordedRead(EVICTION_POLICIES["least-recently-used"], 2, 5000), 5);
 * ```
 */
export function recordedRead(policy: EvictionPolicySql, pending: number | undefined, now: number): number | null {
  if (policy.reads === null) return null;
  return policy.reads === "time" ? now / 1000 : (pending ?? 0) + 1;
}

/**
 * The statement that writes one pending read to its row (parameters: the
 * value, the rowid, the store_time the read saw), and the value as it is
 * bound; `null` when the policy records nothing. An access time never moves
 * back (another process may have written a later one); hit counts add up.
 *
 * @param policy The policy in force.
 * @returns The SQL and the binding of a pending value, or `null`.
 * @example How LRU writes a pending read
 * ```ts
 * import assert from "node:assert/strict";
 * import { EVICTION_POLICIES, pendingReadsSql } from "./eviction.ts";
 * const lru = pendingReadsSql(EVICTION_POLICIES["least-recently-used"])!;
 * assert.match(lru.sql, /access_time = max\(access_time, \?\)/);
 * assert.equal(pendingReadsSql(EVICTION_POLICIES["least-frequently-used"])!.bind(3), 3n);
 * ```
 */
export function pendingReadsSql(policy: EvictionPolicySql): { sql: string; bind: (value: number) => number | bigint } | null {
  switch (policy.reads) {
    case "time":
      return { sql: PENDING_TIME, bind: (value) => value };
    case "count":
      return { sql: PENDING_COUNT, bind: (value) => BigInt(value) };
    default:
      return null;
  }
}

const PENDING_TIME = "UPDATE Cache SET access_time = max(access_time, ?) WHERE rowid = ? AND store_time = ?";
const PENDING_COUNT = "UPDATE Cache SET access_count = access_count + ? WHERE rowid = ? AND store_time = ?";
