// The raw driver reading one row of an existing cache and printing it: the
// baseline of `diskcache get DIR key`. Usage: <runtime> raw_get.mjs <dir> <key>
import { createRequire } from "node:module";
import { join } from "node:path";

const g = globalThis;
const path = join(process.argv[2], "cache.db");
const db = g.Bun !== undefined
  ? new (createRequire(import.meta.url)("bun:sqlite").Database)(path, { readonly: true })
  : process.getBuiltinModule?.("node:sqlite")
  ? new (process.getBuiltinModule("node:sqlite").DatabaseSync)(path, { readOnly: true })
  : new (createRequire(import.meta.url)("better-sqlite3"))(path, { readonly: true });
const row = db.prepare("SELECT value FROM Cache WHERE key = ? AND raw = 1").get(process.argv[3]);
if (row === undefined) throw new Error("raw_get: no such key");
console.log(row.value);
db.close();
