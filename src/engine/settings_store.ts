/**
 * The settings as a connection keeps them in the Settings table: the one
 * settings loader (used when opening and when reloading), writing changed
 * settings with the schema work a change needs, and the pragmas a setting
 * maps to on this connection. What each setting means is in `settings.ts`.
 *
 * @module
 */
import type { SqliteDatabase, SqliteStatement, SqliteValue } from "../driver.ts";
import { EVICTION_POLICIES } from "../eviction.ts";
import { DROP_TAG_INDEX_SQL, TAG_INDEX_SQL } from "../format/schema.ts";
import { type DiskCacheSettings, fromStored, METADATA_ROWS, SETTING_COLUMNS, toStored } from "../settings.ts";
import { SQL } from "../format/sql.ts";

/** The engine's connection with its statement cache. */
interface Connection {
  prepare(sql: string): SqliteStatement;
  db(op: string): SqliteDatabase;
}

/** Reads one Settings row (`undefined`: absent or NULL). */
export function readSetting(conn: Connection, key: string): SqliteValue | undefined {
  const row = conn.prepare(SQL.readSetting).get(key) as { value: SqliteValue } | null | undefined;
  return row?.value ?? undefined;
}

/** Every row of the Settings table, by key. */
export function storedSettings(db: { prepare(sql: string): SqliteStatement }): Map<string, SqliteValue> {
  const stored = new Map<string, SqliteValue>();
  for (const row of db.prepare("SELECT key, value FROM Settings").all() as { key: string; value: SqliteValue }[]) {
    stored.set(row.key, row.value);
  }
  return stored;
}

/**
 * The one settings loader: each setting from `options`, else its stored
 * row, else `fallback`. `changed` names the settings whose stored row is
 * missing or differs from the result. A stored row this version cannot read
 * throws, unless an option replaces it.
 */
export function loadSettings(
  stored: ReadonlyMap<string, SqliteValue>,
  options: Partial<DiskCacheSettings>,
  fallback: Readonly<DiskCacheSettings>,
): { settings: DiskCacheSettings; changed: (keyof DiskCacheSettings)[] } {
  const settings = { ...fallback } as DiskCacheSettings;
  const changed: (keyof DiskCacheSettings)[] = [];
  for (const name of Object.keys(SETTING_COLUMNS) as (keyof DiskCacheSettings)[]) {
    const column = SETTING_COLUMNS[name];
    let fromDb: DiskCacheSettings[typeof name] | undefined;
    try {
      fromDb = stored.has(column) ? fromStored(name, stored.get(column)) : undefined;
    } catch (error) {
      if (options[name] === undefined) throw error; // else the option overwrites what this version cannot read
    }
    const wanted = options[name] ?? fromDb ?? fallback[name];
    (settings as unknown as Record<string, unknown>)[name] = wanted;
    if (fromDb === undefined || fromDb !== wanted) changed.push(name);
  }
  return { settings, changed };
}

/**
 * Every stored setting (not the count, size, hits and misses rows, which
 * change with every write) as one string: when it differs from the one last
 * seen, another connection changed a setting.
 */
export const SETTINGS_PRINT_SQL = `SELECT group_concat(key || '=' || quote(value), ';') FROM Settings WHERE key NOT IN (${
  METADATA_ROWS.map((k) => `'${k}'`).join(", ")
})`;

/** Whether two sets of settings differ in any setting. */
export function settingsDiffer(a: Readonly<DiskCacheSettings>, b: Readonly<DiskCacheSettings>): boolean {
  return (Object.keys(SETTING_COLUMNS) as (keyof DiskCacheSettings)[]).some((name) => a[name] !== b[name]);
}

/** The settings in force after re-reading the table: a NULL row keeps what `current` has. */
export function reloadedSettings(db: { prepare(sql: string): SqliteStatement }, current: Readonly<DiskCacheSettings>): DiskCacheSettings {
  const stored = storedSettings(db);
  for (const [key, value] of stored) if (value === null) stored.delete(key);
  return loadSettings(stored, {}, current).settings;
}

/**
 * Inside a write transaction: stores `names` of `settings`, and creates the
 * index of a new eviction policy and creates or drops the tag index when
 * those are among them.
 */
export function writeSettings(
  conn: Connection,
  op: string,
  settings: Readonly<DiskCacheSettings>,
  names: readonly (keyof DiskCacheSettings)[],
): void {
  const put = conn.prepare(SQL.putSetting);
  for (const name of names) put.run(SETTING_COLUMNS[name], toStored(settings[name]));
  if (names.includes("evictionPolicy")) {
    const init = EVICTION_POLICIES[settings.evictionPolicy].init;
    if (init !== null) conn.db(op).exec(init);
  }
  if (names.includes("tagIndex")) conn.db(op).exec(settings.tagIndex ? TAG_INDEX_SQL : DROP_TAG_INDEX_SQL);
}

/**
 * Sets the pragmas of `next` that differ from `before` on this connection;
 * the journal mode only outside a transaction.
 */
export function applyPragmas(db: SqliteDatabase, next: Readonly<DiskCacheSettings>, before: Readonly<DiskCacheSettings>, inTransaction: boolean): void {
  if (next.sqliteSynchronous !== before.sqliteSynchronous) db.exec(`PRAGMA synchronous = ${next.sqliteSynchronous}`);
  if (next.sqliteCacheSize !== before.sqliteCacheSize) db.exec(`PRAGMA cache_size = ${next.sqliteCacheSize}`);
  if (next.sqliteMmapSize !== before.sqliteMmapSize) db.exec(`PRAGMA mmap_size = ${next.sqliteMmapSize}`);
  if (next.sqliteJournalMode !== before.sqliteJournalMode && !inTransaction) {
    db.prepare(`PRAGMA journal_mode = ${next.sqliteJournalMode}`).get();
  }
}
