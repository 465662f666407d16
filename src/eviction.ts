/**
 * Eviction policies as data: for each policy, the index it needs, the column
 * update a cache hit performs, and the ORDER BY that picks victims. Python's
 * diskcache uses the same names, indexes and orders, so either library can
 * open a directory the other wrote.
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
 * The SQL fragments of one policy.
 *
 * @example What least-recently-used runs
 * ```ts
 * import assert from "node:assert/strict";
 * import { EVICTION_POLICIES, type EvictionPolicySql } from "@diskcache/diskcache";
 * const lru: EvictionPolicySql = EVICTION_POLICIES["least-recently-used"];
 * assert.equal(lru.order, "access_time");
 * assert.equal(EVICTION_POLICIES.none.order, null);
 * ```
 */
export interface EvictionPolicySql {
  /** DDL of the index the policy orders by, or `null`. */
  readonly init: string | null;
  /** SET clause applied to a row on every hit (`?` is now, in seconds), or `null`. */
  readonly onHit: string | null;
  /** ORDER BY expression choosing victims first, or `null` for no eviction. */
  readonly order: string | null;
}

/**
 * The policy table.
 *
 * @example Look up a policy
 * ```ts
 * import assert from "node:assert/strict";
 * import { EVICTION_POLICIES } from "@diskcache/diskcache";
 * assert.equal(EVICTION_POLICIES["least-recently-stored"].order, "store_time");
 * ```
 */
export const EVICTION_POLICIES: Readonly<Record<EvictionPolicy, EvictionPolicySql>> = Object.freeze({
  "least-recently-stored": {
    init: "CREATE INDEX IF NOT EXISTS Cache_store_time ON Cache (store_time)",
    onHit: null,
    order: "store_time",
  },
  "least-recently-used": {
    init: "CREATE INDEX IF NOT EXISTS Cache_access_time ON Cache (access_time)",
    onHit: "access_time = ?",
    order: "access_time",
  },
  "least-frequently-used": {
    init: "CREATE INDEX IF NOT EXISTS Cache_access_count ON Cache (access_count)",
    onHit: "access_count = access_count + 1",
    order: "access_count",
  },
  none: { init: null, onHit: null, order: null },
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
