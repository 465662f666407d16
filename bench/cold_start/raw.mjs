// Cold start, the raw driver: the same work as ours.mjs (a fresh temporary
// directory, create a table, set, get, close) with the SQLite binding the
// library uses on this runtime: bun:sqlite on Bun, node:sqlite on Deno and
// Node >= 22.13, better-sqlite3 elsewhere (Node 20). Usage: <runtime> raw.mjs
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
db.exec("CREATE TABLE IF NOT EXISTS Cache (key TEXT PRIMARY KEY, value BLOB)");
db.prepare("INSERT OR REPLACE INTO Cache (key, value) VALUES (?, ?)").run("key", "value");
if (db.prepare("SELECT value FROM Cache WHERE key = ?").get("key").value !== "value") throw new Error("raw: wrong value");
db.close();
rmSync(dir, { recursive: true, force: true });
