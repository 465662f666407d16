// The floor: each runtime's own SQLite binding (node:sqlite on Node 24 and
// Deno, bun:sqlite on Bun, better-sqlite3 on Node 20, as chosen by
// runtimes/auto.ts, whose statements are the binding's own objects), one
// prepared statement per operation on a plain key/value table, with the
// pragmas DiskCache sets by default (src/settings.ts): WAL, synchronous=1,
// cache_size=8192, mmap_size=64 MiB, auto_vacuum=1, and a busy timeout as
// long as DiskCache's default 60 s timeout. Autocommit: one implicit
// transaction per write.
//   <runtime> bench/peers/raw.ts <dir> <ops> [--worker N] [--go FILE]
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { detectDriver } from "../../runtimes/auto.ts";
import type { SqliteValue } from "../../src/driver.ts";
import { runWorkload } from "./_workload.ts";

const driver = detectDriver();
await runWorkload({
  keys: "bytes",
  values: "bytes",
  driver: driver.name,
  open(dir) {
    mkdirSync(dir, { recursive: true });
    const db = driver.open(join(dir, "raw.db"));
    db.exec("PRAGMA busy_timeout = 60000");
    db.exec("PRAGMA auto_vacuum = 1");
    db.prepare("PRAGMA journal_mode = wal").get();
    db.exec("PRAGMA synchronous = 1");
    db.exec("PRAGMA cache_size = 8192");
    db.exec("PRAGMA mmap_size = 67108864");
    db.exec("CREATE TABLE IF NOT EXISTS kv (key BLOB PRIMARY KEY, value BLOB NOT NULL)");
    // Rows as arrays where the binding has a native array mode (node:sqlite,
    // better-sqlite3: cheaper than objects, and what DiskCache uses); bun:sqlite's
    // array mode is values(), which collects all rows, so its get() stays.
    const arrays = driver.name !== "bun:sqlite";
    const get = db.prepare("SELECT value FROM kv WHERE key = ?", { arrays });
    const set = db.prepare("INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value");
    const del = db.prepare("DELETE FROM kv WHERE key = ?");
    return {
      get: arrays
        ? (k) => (get.get(k as SqliteValue) as [Uint8Array] | undefined)?.[0]
        : (k) => (get.get(k as SqliteValue) as { value: Uint8Array } | undefined)?.value,
      set: (k, v) => void set.run(k as SqliteValue, v as SqliteValue),
      delete: (k) => del.run(k as SqliteValue).changes > 0,
      close: () => db.close(),
    };
  },
});
