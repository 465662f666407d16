/**
 * `check()`: finds (and with `fix`, repairs) what can go wrong in a cache
 * directory: a damaged database, rows whose value file is missing or has the
 * wrong size, files no row names, empty directories, and a wrong count or
 * size in the Settings table.
 *
 * @module
 */
import { lstatSync, readdirSync, rmdirSync, statSync, unlinkSync } from "node:fs";
import { join, relative, sep } from "node:path";
import type { Engine } from "../engine/engine.ts";
import { SQLITE_CORRUPT, SQLITE_NOTADB } from "../driver.ts";
import { DiskCacheError } from "../errors.ts";
import type { CheckWarning } from "../types.ts";
import { readSetting } from "../engine/settings_store.ts";
import { SQL } from "../format/sql.ts";

const DB_FILES = new Set(["cache.db", "cache.db-wal", "cache.db-shm", "cache.db-journal"]);
/** Unknown files younger than this may belong to a write in progress: reported, never removed. */
const RECENT_MS = 10 * 60_000;

/** Whether `error` says a path vanished: another process pruned or replaced it meanwhile. */
function vanished(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === "ENOENT" || code === "ENOTDIR";
}

/**
 * Lists the files and directories under `dir`. Other processes keep writing
 * and pruning value directories while this walks: a directory that vanished
 * between being listed and being read is simply no longer there.
 */
function walk(root: string, dir: string, files: string[], dirs: string[]): void {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    if (vanished(error)) return;
    throw error;
  }
  for (const entry of entries) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) {
      walk(root, full, files, dirs);
      dirs.push(full);
    } else {
      files.push(relative(root, full).split(sep).join("/"));
    }
  }
}

/**
 * Runs every check; repairs what it finds when `fix` is true. A read-only
 * cache is checked without writing anything (`fix` throws the read-only
 * error before any work).
 */
export function check(engine: Engine, fix: boolean): CheckWarning[] {
  if (fix) engine.assertWritable("check with fix");
  const warnings: CheckWarning[] = [];
  const damaged = (error: unknown): CheckWarning[] => {
    const code = engine.driver.errorCode(error);
    if (code !== SQLITE_CORRUPT && code !== SQLITE_NOTADB) throw engine.translate(error, "check");
    return [...warnings, {
      kind: "integrity",
      message: `the database "${engine.dbPath}" is damaged beyond repair (${
        (error as Error).message
      }); close every cache on it, move the directory aside and start a fresh cache`,
    }];
  };
  try {
    const integrity = engine.prepare("PRAGMA integrity_check").all() as { integrity_check: string }[];
    for (const row of integrity) {
      if (row.integrity_check !== "ok") {
        warnings.push({ kind: "integrity", message: `SQLite integrity check: ${row.integrity_check}` });
      }
    }
    if (fix && warnings.length > 0) engine.db("check").exec("VACUUM");
  } catch (error) {
    return damaged(error);
  }
  try {
    checkFiles(engine, fix, warnings);
  } catch (error) {
    if (error instanceof DiskCacheError && error.cause !== undefined) return damaged(error.cause);
    throw error;
  }
  return warnings;
}

function checkFiles(engine: Engine, fix: boolean, warnings: CheckWarning[]): void {
  if (!engine.readonly) {
    // Under the write lock: rows and Settings cannot change meanwhile.
    engine.write("check", () => checkSnapshot(engine, fix, warnings));
    return;
  }
  // Read-only: one read snapshot, nothing written. Writers in other processes
  // go on meanwhile, so what looked wrong against the snapshot is looked at
  // again against the rows as they are now: a file missing because its item
  // was replaced or deleted since, or unknown because its item was stored
  // since, is no problem.
  const found: CheckWarning[] = [];
  engine.read("check", () => checkSnapshot(engine, false, found));
  const now = new Set(
    (engine.prepare("SELECT filename FROM Cache WHERE filename IS NOT NULL").all() as { filename: string }[]).map((r) => r.filename),
  );
  for (const w of found) {
    if (w.kind === "missing-file" && (!now.has(w.path!) || exists(join(engine.directory, w.path!)))) continue;
    if (w.kind === "unknown-file" && now.has(w.path!)) continue;
    warnings.push(w);
  }
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

function checkSnapshot(engine: Engine, fix: boolean, warnings: CheckWarning[]): void {
  const dir = engine.directory;
  const rows = engine.prepare("SELECT rowid, filename, size FROM Cache WHERE filename IS NOT NULL").all() as {
    rowid: number;
    filename: string;
    size: number;
  }[];
  const named = new Set(rows.map((r) => r.filename));
  const del = fix ? engine.prepare("DELETE FROM Cache WHERE rowid = ?") : undefined;
  for (const row of rows) {
    let actual: number | undefined;
    try {
      actual = lstatSync(join(dir, row.filename)).size; // a symlink counts as damage, never followed
    } catch {
      actual = undefined;
    }
    if (actual === undefined) {
      warnings.push({ kind: "missing-file", path: row.filename, message: `value file ${row.filename} is missing${fix ? "; its item was removed" : ""}` });
      if (fix) del!.run(row.rowid);
    } else if (actual !== row.size) {
      warnings.push({
        kind: "wrong-size",
        path: row.filename,
        message: `value file ${row.filename} has ${actual} bytes, not the ${row.size} recorded${fix ? "; its item and file were removed" : ""}`,
      });
      if (fix) {
        del!.run(row.rowid);
        engine.removeLater(row.filename);
      }
    }
  }
  const files: string[] = [], dirs: string[] = [];
  walk(dir, dir, files, dirs);
  const now = Date.now();
  for (const file of files) {
    if (DB_FILES.has(file) || named.has(file)) continue;
    let recent = false;
    try {
      recent = now - statSync(join(dir, file)).mtimeMs < RECENT_MS;
    } catch (error) {
      if (vanished(error)) continue; // removed meanwhile (its writer's cleanup): nothing to report
    }
    const removed = fix && !recent;
    warnings.push({
      kind: "unknown-file",
      path: file,
      message: `file ${file} belongs to no item${
        removed ? "; it was removed" : recent && fix ? "; left in place: it is recent and may belong to a write in progress" : ""
      }`,
    });
    if (removed) {
      try {
        unlinkSync(join(dir, file)); // a symlink is removed itself, never followed
      } catch { /* gone meanwhile */ }
    }
  }
  for (const full of dirs) {
    let empty = false;
    try {
      empty = readdirSync(full).length === 0;
    } catch { /* removed along with its last file */ }
    if (!empty) continue;
    const path = relative(dir, full).split(sep).join("/");
    warnings.push({ kind: "empty-directory", path, message: `directory ${path} is empty${fix ? "; it was removed" : ""}` });
    if (fix) {
      try {
        rmdirSync(full);
      } catch { /* already gone */ }
    }
  }
  const real = engine.prepare("SELECT COUNT(key) AS count, COALESCE(SUM(size), 0) AS size FROM Cache").get() as { count: number; size: number };
  for (const key of ["count", "size"] as const) {
    const stored = Number(readSetting(engine, key) ?? NaN);
    if (stored !== real[key]) {
      warnings.push({ kind: key, message: `Settings ${key} is ${stored} but the Cache table holds ${real[key]}${fix ? "; corrected" : ""}` });
      if (fix) engine.prepare(SQL.putSetting).run(key, BigInt(real[key]));
    }
  }
}
