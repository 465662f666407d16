// Cold start, the raw driver doing what opening a new cache must do for the
// on-disk format (python-diskcache's): auto_vacuum and WAL, its two tables,
// three indexes and five triggers, its 15 settings rows, in one transaction;
// then the same set (an upsert of the full row) and get as ours.mjs. The SQL
// is copied from src/format/schema.ts and src/eviction.ts so that no library
// module loads. Ours over this is what the library itself costs at start;
// this over raw.mjs is what the format costs. Usage: <runtime> raw_schema.mjs
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";

const g = globalThis;
const open = g.Bun !== undefined
  ? (path) => new (createRequire(import.meta.url)("bun:sqlite").Database)(path)
  : process.getBuiltinModule?.("node:sqlite")
  ? (path) => new (process.getBuiltinModule("node:sqlite").DatabaseSync)(path)
  : (path) => new (createRequire(import.meta.url)("better-sqlite3"))(path);
const dir = mkdtempSync(join(tmpdir(), "cold-start-"));
const db = open(join(dir, "cache.db"));
db.exec("PRAGMA busy_timeout = 60000");
db.exec("PRAGMA auto_vacuum = 1");
db.prepare("PRAGMA journal_mode = wal").get();
db.exec("PRAGMA synchronous = 1");
db.exec("PRAGMA cache_size = 8192");
db.exec("PRAGMA mmap_size = 67108864");
db.exec("BEGIN IMMEDIATE");
for (
  const sql of [
    "CREATE TABLE IF NOT EXISTS Settings ( key TEXT NOT NULL UNIQUE, value)",
    "CREATE TABLE IF NOT EXISTS Cache ( rowid INTEGER PRIMARY KEY, key BLOB, raw INTEGER, store_time REAL, expire_time REAL, access_time REAL, access_count INTEGER DEFAULT 0, tag BLOB, size INTEGER DEFAULT 0, mode INTEGER DEFAULT 0, filename TEXT, value BLOB)",
    "CREATE UNIQUE INDEX IF NOT EXISTS Cache_key_raw ON Cache(key, raw)",
    "CREATE INDEX IF NOT EXISTS Cache_expire_time ON Cache (expire_time) WHERE expire_time IS NOT NULL",
    "CREATE TRIGGER IF NOT EXISTS Settings_count_insert AFTER INSERT ON Cache FOR EACH ROW BEGIN UPDATE Settings SET value = value + 1 WHERE key = 'count'; END",
    "CREATE TRIGGER IF NOT EXISTS Settings_count_delete AFTER DELETE ON Cache FOR EACH ROW BEGIN UPDATE Settings SET value = value - 1 WHERE key = 'count'; END",
    "CREATE TRIGGER IF NOT EXISTS Settings_size_insert AFTER INSERT ON Cache FOR EACH ROW BEGIN UPDATE Settings SET value = value + NEW.size WHERE key = 'size'; END",
    "CREATE TRIGGER IF NOT EXISTS Settings_size_update AFTER UPDATE ON Cache FOR EACH ROW BEGIN UPDATE Settings SET value = value + NEW.size - OLD.size WHERE key = 'size'; END",
    "CREATE TRIGGER IF NOT EXISTS Settings_size_delete AFTER DELETE ON Cache FOR EACH ROW BEGIN UPDATE Settings SET value = value - OLD.size WHERE key = 'size'; END",
    "CREATE INDEX IF NOT EXISTS Cache_store_time ON Cache (store_time)",
  ]
) db.exec(sql);
const put = db.prepare("INSERT OR REPLACE INTO Settings VALUES (?, ?)");
for (
  const [key, value] of [
    ["statistics", 0],
    ["tag_index", 0],
    ["eviction_policy", "least-recently-stored"],
    ["size_limit", 1073741824],
    ["cull_limit", 10],
    ["disk_min_file_size", 32768],
    ["sqlite_auto_vacuum", 1],
    ["sqlite_cache_size", 8192],
    ["sqlite_journal_mode", "wal"],
    ["sqlite_mmap_size", 67108864],
    ["sqlite_synchronous", 1],
    ["count", 0],
    ["size", 0],
    ["hits", 0],
    ["misses", 0],
  ]
) put.run(key, value);
db.exec("COMMIT");
const now = Date.now() / 1000;
db.exec("BEGIN IMMEDIATE");
db.prepare(
  "INSERT INTO Cache (key, raw, store_time, expire_time, access_time, access_count, tag, size, mode, filename, value) VALUES (?, 1, ?, NULL, ?, 0, NULL, 0, 1, NULL, ?) ON CONFLICT (key, raw) DO UPDATE SET store_time = excluded.store_time, value = excluded.value",
).run("key", now, now, "value");
db.exec("COMMIT");
if (db.prepare("SELECT value FROM Cache WHERE key = ? AND raw = 1").get("key").value !== "value") throw new Error("raw_schema: wrong value");
db.close();
rmSync(dir, { recursive: true, force: true });
