/**
 * Persistent settings: their defaults, their names in the Settings table
 * (python-diskcache's), and validation. Resolution at open: defaults, then
 * what the Settings table holds, then the constructor's options; the result is
 * written back so other processes see it.
 *
 * @module
 */
import { describe, DiskCacheError } from "./errors.ts";
import { type EvictionPolicy, isEvictionPolicy } from "./eviction.ts";

/**
 * Settings stored in the cache directory and shared by every process using it.
 *
 * @example Change settings for every process
 * ```ts
 * import { rmSync } from "node:fs";
 * import assert from "node:assert/strict";
 * import { DiskCache, type DiskCacheSettings } from "@diskcache/diskcache";
 * using cache = new DiskCache();
 * const changes: Partial<DiskCacheSettings> = { cullLimit: 0, statistics: true };
 * cache.updateSettings(changes);
 * assert.equal(cache.settings.cullLimit, 0);
 * assert.equal(cache.statistics, true);
 * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
 * ```
 */
export interface DiskCacheSettings {
  /**
   * Count hits and misses (see `stats()`).
   *
   * @default {false}
   */
  statistics: boolean;
  /**
   * Keep an index on `(tag, rowid)` so eviction by tag is fast.
   *
   * @default {false}
   */
  tagIndex: boolean;
  /**
   * Which items go first when the cache is over `sizeLimit`.
   *
   * @default {"least-recently-stored"}
   */
  evictionPolicy: EvictionPolicy;
  /**
   * Soft cap in bytes on `volume()` (database pages plus value files). The
   * default is python-diskcache's 1 GiB; set it explicitly for real use.
   *
   * @default {1073741824}
   */
  sizeLimit: number;
  /**
   * Most items one write removes (expired first, then by policy) to keep
   * under `sizeLimit`; 0 turns automatic culling off.
   *
   * @default {10}
   */
  cullLimit: number;
  /**
   * Values whose encoded size is at least this many bytes (characters for
   * strings) go to their own file instead of the database.
   *
   * @default {32768}
   */
  minFileSize: number;
  /**
   * `PRAGMA auto_vacuum` (0 none, 1 full, 2 incremental); applies only when
   * the database is created.
   *
   * @default {1}
   */
  sqliteAutoVacuum: number;
  /**
   * `PRAGMA cache_size` in pages, per connection.
   *
   * @default {8192}
   */
  sqliteCacheSize: number;
  /**
   * `PRAGMA journal_mode`. Keep `"wal"` unless you know why: other modes make
   * readers and writers block each other.
   *
   * @default {"wal"}
   */
  sqliteJournalMode: string;
  /**
   * `PRAGMA mmap_size` in bytes, per connection.
   *
   * @default {67108864}
   */
  sqliteMmapSize: number;
  /**
   * `PRAGMA synchronous` (0 off, 1 normal, 2 full, 3 extra). With WAL,
   * normal keeps the database consistent across crashes; full also keeps
   * the last commits across power loss.
   *
   * @default {1}
   */
  sqliteSynchronous: number;
}

/**
 * Default settings (python-diskcache's `DEFAULT_SETTINGS`).
 *
 * @example A new cache starts from the defaults
 * ```ts
 * import { rmSync } from "node:fs";
 * import assert from "node:assert/strict";
 * import { DEFAULT_SETTINGS, DiskCache } from "@diskcache/diskcache";
 * using cache = new DiskCache();
 * assert.equal(cache.sizeLimit, DEFAULT_SETTINGS.sizeLimit);
 * assert.equal(DEFAULT_SETTINGS.evictionPolicy, "least-recently-stored");
 * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
 * ```
 */
export const DEFAULT_SETTINGS: Readonly<DiskCacheSettings> = Object.freeze({
  statistics: false,
  tagIndex: false,
  evictionPolicy: "least-recently-stored",
  sizeLimit: 2 ** 30,
  cullLimit: 10,
  minFileSize: 2 ** 15,
  sqliteAutoVacuum: 1,
  sqliteCacheSize: 2 ** 13,
  sqliteJournalMode: "wal",
  sqliteMmapSize: 2 ** 26,
  sqliteSynchronous: 1,
});

/** Name of each setting in the Settings table. */
export const SETTING_COLUMNS: Readonly<Record<keyof DiskCacheSettings, string>> = Object.freeze({
  statistics: "statistics",
  tagIndex: "tag_index",
  evictionPolicy: "eviction_policy",
  sizeLimit: "size_limit",
  cullLimit: "cull_limit",
  minFileSize: "disk_min_file_size",
  sqliteAutoVacuum: "sqlite_auto_vacuum",
  sqliteCacheSize: "sqlite_cache_size",
  sqliteJournalMode: "sqlite_journal_mode",
  sqliteMmapSize: "sqlite_mmap_size",
  sqliteSynchronous: "sqlite_synchronous",
});

/** Metadata rows kept beside the settings. */
export const METADATA_ROWS: readonly string[] = ["count", "size", "hits", "misses"];

const JOURNAL_MODES = ["delete", "truncate", "persist", "memory", "wal", "off"];

/** The range of each integer setting, inclusive. */
const INTEGER_RANGES = {
  sizeLimit: [0, Number.MAX_SAFE_INTEGER],
  cullLimit: [0, 1_000_000],
  minFileSize: [0, 2 ** 31],
  sqliteAutoVacuum: [0, 2],
  sqliteCacheSize: [-(2 ** 31), 2 ** 31],
  sqliteMmapSize: [0, Number.MAX_SAFE_INTEGER],
  sqliteSynchronous: [0, 3],
} as const;

function integerIn(name: string, value: unknown, min: number, max: number): number {
  if (typeof value === "bigint") value = Number(value);
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new TypeError(`Cannot use option "${name}": expected an integer: received ${describe(value)}`);
  }
  if (value < min || value > max) {
    throw new RangeError(`Cannot use option "${name}": must be between ${min} and ${max}: received ${value}`);
  }
  return value;
}

function bool(name: string, value: unknown): boolean {
  if (typeof value === "boolean") return value;
  throw new TypeError(`Cannot use option "${name}": expected a boolean: received ${describe(value)}`);
}

/**
 * Validates one setting given as an option, returning it normalized.
 *
 * @param name The option name.
 * @param value The option value.
 * @returns The validated value.
 * @throws {TypeError} For a wrong type.
 * @throws {RangeError} For a value out of range.
 *
 * @example Validate a setting
 * ```ts
 * import assert from "node:assert/strict";
 * import { validateSetting } from "./settings.ts";
 * assert.equal(validateSetting("cullLimit", 5), 5);
 * assert.throws(() => validateSetting("cullLimit", -1), RangeError);
 * ```
 */
export function validateSetting<K extends keyof DiskCacheSettings>(name: K, value: unknown): DiskCacheSettings[K] {
  let out: unknown;
  switch (name) {
    case "statistics":
    case "tagIndex":
      out = bool(name, value);
      break;
    case "evictionPolicy":
      if (!isEvictionPolicy(value)) {
        throw new RangeError(
          `Cannot use option "evictionPolicy": expected "least-recently-stored", "least-recently-used", "least-frequently-used" or "none": received ${
            describe(value)
          }`,
        );
      }
      out = value;
      break;
    case "sizeLimit":
    case "cullLimit":
    case "minFileSize":
    case "sqliteAutoVacuum":
    case "sqliteCacheSize":
    case "sqliteMmapSize":
    case "sqliteSynchronous":
      out = integerIn(name, value, ...(INTEGER_RANGES[name as keyof typeof INTEGER_RANGES] as readonly [number, number]));
      break;
    case "sqliteJournalMode":
      if (typeof value !== "string" || !JOURNAL_MODES.includes(value.toLowerCase())) {
        throw new RangeError(
          `Cannot use option "sqliteJournalMode": expected one of ${JOURNAL_MODES.join(", ")}: received ${describe(value)}`,
        );
      }
      out = value.toLowerCase();
      break;
  }
  return out as DiskCacheSettings[K];
}

/**
 * Reads a setting from its stored form (Python writes booleans as 0/1 and may
 * write numbers as floats, and an unlimited size as infinity). A value this
 * version cannot use (an eviction policy of a newer version, a row edited by
 * hand) throws a `DiskCacheError` naming the row, the value, what is valid
 * and what to do: guessing a default would silently run the cache under
 * settings nobody chose.
 *
 * @param name The setting.
 * @param stored What the Settings table holds.
 * @returns The setting's value.
 * @throws {DiskCacheError} For a value of the wrong type or out of range.
 *
 * @example Read a stored boolean
 * ```ts
 * import assert from "node:assert/strict";
 * import { fromStored } from "./settings.ts";
 * assert.equal(fromStored("statistics", 1), true);
 * assert.throws(() => fromStored("evictionPolicy", "fifo"), /eviction_policy/);
 * ```
 */
export function fromStored<K extends keyof DiskCacheSettings>(name: K, stored: unknown): DiskCacheSettings[K] {
  const kind = typeof DEFAULT_SETTINGS[name];
  let value: unknown = stored;
  if (kind !== "string") {
    if (typeof stored === "bigint") value = Number(stored);
    else if (typeof stored === "string" && stored.trim() !== "") value = Number(stored);
    if (value === Infinity && (name === "sizeLimit" || name === "sqliteMmapSize")) value = Number.MAX_SAFE_INTEGER;
    if (typeof value === "number" && Number.isFinite(value)) value = kind === "boolean" ? value !== 0 : Math.trunc(value);
  }
  try {
    return validateSetting(name, value);
  } catch (cause) {
    const column = SETTING_COLUMNS[name];
    throw new DiskCacheError(
      `Cannot use the stored setting ${column}: the Settings table holds ${describe(stored)}, which this version cannot use (${
        (cause as Error).message.replace(/^Cannot use option "\w+": /, "")
      }); it was written by a newer version or by hand: open the cache writable with the "${name}" option to overwrite it (or correct the ${column} row)`,
      { cause },
    );
  }
}

/**
 * The form a setting takes in the Settings table: integers as INTEGER (bound
 * as bigint), booleans as 0/1, strings as TEXT.
 *
 * @param value A validated setting.
 * @returns What to bind.
 *
 * @example Store a boolean
 * ```ts
 * import assert from "node:assert/strict";
 * import { toStored } from "./settings.ts";
 * assert.equal(toStored(true), 1n);
 * ```
 */
export function toStored(value: DiskCacheSettings[keyof DiskCacheSettings]): string | bigint {
  if (typeof value === "boolean") return value ? 1n : 0n;
  if (typeof value === "number") return BigInt(value);
  return value;
}
