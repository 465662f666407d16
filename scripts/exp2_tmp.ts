import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import { DiskCache } from "../mod.ts";
const c = new DiskCache();
const keys = Array.from({ length: 1000 }, (_, i) => "key-" + i);
for (const k of keys) c.set(k, new Uint8Array(200));
const db = new DatabaseSync(join(c.directory, "cache.db"));
db.exec("PRAGMA cache_size=8192"); db.exec("PRAGMA mmap_size=67108864");
const big = "typeof(value) = 'integer' AND value NOT BETWEEN -9007199254740991 AND 9007199254740991";
const variants: Record<string, [string, (k: string) => unknown[]]> = {
  raw: ["SELECT value FROM Cache WHERE key = ? AND raw = 1", (k) => [k]],
  "raw+expire": ["SELECT value FROM Cache WHERE key = ? AND raw = ? AND (expire_time IS NULL OR expire_time > ?)", (k) => [k, 1, Date.now() / 1000]],
  "3 plain cols": ["SELECT mode, value, filename FROM Cache WHERE key = ? AND raw = ? AND (expire_time IS NULL OR expire_time > ?)", (k) => [k, 1, Date.now() / 1000]],
  ours: [`SELECT CASE WHEN ${big} THEN mode + 100 ELSE mode END AS mode, CASE WHEN ${big} THEN CAST(value AS TEXT) ELSE value END AS value, CASE WHEN filename IS NULL THEN NULL ELSE size || ':' || filename END AS file FROM Cache WHERE key = ? AND raw = ? AND (expire_time IS NULL OR expire_time > ?)`, (k) => [k, 1, Date.now() / 1000]],
};
for (let r = 0; r < 2; r++) {
  for (const [name, [sql, args]] of Object.entries(variants)) {
    const s = db.prepare(sql);
    const t = performance.now();
    for (let i = 0; i < 100000; i++) s.get(...(args(keys[(i * 7919) % 1000]!) as any));
    console.log(name.padEnd(14), ((performance.now() - t) / 100000 * 1000).toFixed(2), "µs");
  }
  let t = performance.now();
  for (let i = 0; i < 100000; i++) c.get(keys[(i * 7919) % 1000]!);
  console.log("cache.get".padEnd(14), ((performance.now() - t) / 100000 * 1000).toFixed(2), "µs");
}
