import { DatabaseSync } from "node:sqlite";
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { SCHEMA_SQL } from "../src/schema.ts";
const UPSERT_FULL = "INSERT INTO Cache (key, raw, store_time, expire_time, access_time, access_count, tag, size, mode, filename, value) VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?) ON CONFLICT(key, raw) DO UPDATE SET store_time = excluded.store_time, expire_time = excluded.expire_time, access_time = excluded.access_time, access_count = 0, tag = excluded.tag, size = excluded.size, mode = excluded.mode, filename = excluded.filename, value = excluded.value";
function run(name: string, schema: string[], upsertSql: string, args: (k: string, v: Uint8Array) => any[], extra?: string) {
  const dir = mkdtempSync(join(tmpdir(), "e-"));
  const db = new DatabaseSync(join(dir, "x.db"));
  db.exec("PRAGMA auto_vacuum=1"); db.exec("PRAGMA journal_mode=wal"); db.exec("PRAGMA synchronous=1"); db.exec("PRAGMA cache_size=8192"); db.exec("PRAGMA mmap_size=67108864");
  for (const s of schema) db.exec(s);
  db.exec("INSERT INTO Settings VALUES ('count', 0)"); db.exec("INSERT INTO Settings VALUES ('size', 0)");
  const b = db.prepare("BEGIN IMMEDIATE"), c = db.prepare("COMMIT"), u = db.prepare(upsertSql);
  const x = extra ? db.prepare(extra) : undefined;
  const v = new Uint8Array(200);
  const keys = Array.from({ length: 1000 }, (_, i) => "key-" + i);
  for (let i = 0; i < 1000; i++) { b.run(); u.run(...args(keys[i]!, v)); c.run(); }
  const res: number[] = [];
  for (let r = 0; r < 3; r++) {
    const t = performance.now();
    for (let i = 0; i < 10000; i++) { b.run(); x?.get(); u.run(...args(keys[(i * 7919) % 1000]!, v)); c.run(); }
    res.push((performance.now() - t) / 10000 * 1000);
  }
  console.log(name.padEnd(40), Math.min(...res).toFixed(1), "µs");
}
const now = () => Date.now() / 1000;
const simple = (k: string, v: Uint8Array) => [k, v];
const full = (k: string, v: Uint8Array) => [k, 1, now(), null, now(), null, 0, 1, null, v];
const base = [SCHEMA_SQL[0]!, SCHEMA_SQL[1]!, SCHEMA_SQL[2]!];
run("raw simple upsert", base, "INSERT INTO Cache (key, raw, value) VALUES (?, 1, ?) ON CONFLICT(key, raw) DO UPDATE SET value = excluded.value", simple);
run("full upsert, no triggers/indexes", base, UPSERT_FULL, full);
run("+ store_time index", [...base, "CREATE INDEX Cache_store_time ON Cache (store_time)"], UPSERT_FULL, full);
run("+ expire index", [...base, "CREATE INDEX Cache_store_time ON Cache (store_time)", SCHEMA_SQL[3]!], UPSERT_FULL, full);
run("+ triggers (all python)", [...SCHEMA_SQL, "CREATE INDEX Cache_store_time ON Cache (store_time)"], UPSERT_FULL, full);
const guarded = SCHEMA_SQL.map((s) => s.replace("AFTER UPDATE ON Cache FOR EACH ROW BEGIN", "AFTER UPDATE ON Cache FOR EACH ROW WHEN NEW.size != OLD.size BEGIN"));
run("+ triggers, size_update guarded", [...guarded, "CREATE INDEX Cache_store_time ON Cache (store_time)"], UPSERT_FULL, full);
run("+ writeState select", [...SCHEMA_SQL, "CREATE INDEX Cache_store_time ON Cache (store_time)"], UPSERT_FULL, full, "SELECT (SELECT value FROM Settings WHERE key = 'size') AS size, (SELECT MIN(expire_time) FROM Cache WHERE expire_time IS NOT NULL) AS soonest");
