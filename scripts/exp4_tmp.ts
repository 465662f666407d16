import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import { DiskCache } from "../mod.ts";
const c = new DiskCache();
const keys = Array.from({ length: 1000 }, (_, i) => "key-" + i);
for (const k of keys) c.set(k, new Uint8Array(200));
const db = new DatabaseSync(join(c.directory, "cache.db"));
db.exec("PRAGMA cache_size=8192"); db.exec("PRAGMA mmap_size=67108864");
const sql = "SELECT mode, value, filename FROM Cache WHERE key = ? AND raw = ? AND (expire_time IS NULL OR expire_time > ?)";
const a = db.prepare(sql), b = db.prepare(sql); b.setReturnArrays(true);
const c2 = db.prepare("SELECT mode, value, filename, expire_time FROM Cache WHERE key = ? AND raw = 1"); c2.setReturnArrays(true);
const r = db.prepare("SELECT value FROM Cache WHERE key = ? AND raw = 1");
for (let round = 0; round < 2; round++) for (const [name, s, args] of [["raw", r, (k: string) => [k]], ["obj", a, (k: string) => [k, 1, Date.now() / 1000]], ["arr", b, (k: string) => [k, 1, Date.now() / 1000]], ["arr-noexp", c2, (k: string) => [k]]] as const) {
  const t = performance.now();
  for (let i = 0; i < 200000; i++) (s as any).get(...(args as any)(keys[(i * 7919) % 1000]!));
  console.log(name, ((performance.now() - t) / 200000 * 1000).toFixed(2), "µs");
}
