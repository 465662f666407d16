/**
 * `check()`: finds (and with `fix`, repairs) what can go wrong in a cache
 * directory: a damaged database, rows whose value file is missing or has the
 * wrong size, value files no row names, empty value directories, and a
 * wrong count or size in the Settings table. Only what has the layout the
 * cache writes (`xx/yy/<28 hex>.val` and its two directory levels) is ever
 * removed; anything else in the directory is reported as foreign and left
 * alone, a FanoutCache's shards included.
 *
 * @module
 */
import type { Dirent } from "node:fs";
import { join } from "node:path";
import { type Engine, WAITING_FILE } from "../engine/engine.ts";
import { SQLITE_CORRUPT, SQLITE_NOTADB } from "../driver.ts";
import { DiskCacheError } from "../errors.ts";
import type { CheckWarning } from "../types.ts";
import { readSetting } from "../engine/settings_store.ts";
import { SQL } from "../format/sql.ts";
import { isSafeValuePath } from "../format/value_files.ts";
// Node's built-ins through process.getBuiltinModule, not `import`: see test/cold_start_test.ts (issue 25).
const { lstatSync, readdirSync, rmdirSync, statSync, unlinkSync } = globalThis.process.getBuiltinModule("node:fs");

const DB_FILES = new Set(["cache.db", "cache.db-wal", "cache.db-shm", "cache.db-journal", WAITING_FILE]);
/** Unknown files younger than this may belong to a write in progress: reported, never removed. */
const RECENT_MS = 10 * 60_000;
/** The two directory levels and the file name of a value file (`xx/yy/<28 hex>.val`). */
const HEX_DIR = /^[0-9a-f]{2}$/;
const VALUE_NAME = /^[0-9a-f]{28}\.val$/;

/** Whether `error` says a path vanished: another process pruned or replaced it meanwhile. */
function vanished(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === "ENOENT" || code === "ENOTDIR";
}

/** What the walk of a cache directory found. */
interface Found {
  /** Regular files with the value-file layout, relative (`xx/yy/<28 hex>.val`). */
  values: string[];
  /** Everything else that is not the database: reported, never removed. */
  foreign: { path: string; directory: boolean; shard: boolean }[];
  /** The value directories (`xx/yy`, then `xx`), deepest first. */
  dirs: string[];
}

function list(full: string) {
  try {
    return readdirSync(full, { withFileTypes: true });
  } catch (error) {
    if (vanished(error)) return [];
    throw error;
  }
}

/**
 * Lists what is under `root`, descending only into the value directories
 * the cache writes (two levels of two hex digits, never through a symlink):
 * anything else is listed once as foreign and never looked into, so a
 * FanoutCache's shard directories or a project's files beside the cache are
 * only reported. Other processes keep writing and pruning value directories
 * while this walks: a directory that vanished between being listed and being
 * read is simply no longer there.
 */
function walk(root: string): Found {
  const found: Found = { values: [], foreign: [], dirs: [] };
  const foreign = (path: string, entry: Dirent) => {
    const directory = entry.isDirectory();
    const shard = directory && /^\d{3}$/.test(path) && exists(join(root, path, "cache.db"));
    found.foreign.push({ path, directory, shard });
  };
  for (const top of list(root)) {
    if (top.isFile() && DB_FILES.has(top.name)) continue;
    if (!top.isDirectory() || !HEX_DIR.test(top.name)) {
      foreign(top.name, top);
      continue;
    }
    for (const mid of list(join(root, top.name))) {
      const path = `${top.name}/${mid.name}`;
      if (!mid.isDirectory() || !HEX_DIR.test(mid.name)) {
        foreign(path, mid);
        continue;
      }
      for (const leaf of list(join(root, path))) {
        if (leaf.isFile() && VALUE_NAME.test(leaf.name)) found.values.push(`${path}/${leaf.name}`);
        else foreign(`${path}/${leaf.name}`, leaf);
      }
      found.dirs.push(path);
    }
    found.dirs.push(top.name);
  }
  return found;
}

/**
 * Runs every check; repairs what it finds when `fix` is true. A read-only
 * cache is checked without writing anything (`fix` throws the read-only
 * error before any work). Each warning says whether `fix` repairs it and
 * whether this call did: a database damaged beyond repair, or one VACUUM did
 * not mend, is never claimed repaired.
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
      }); check cannot mend it, with or without fix: close every cache on it, move the directory aside and start a fresh cache`,
      repairable: false,
      repaired: false,
    }];
  };
  const integrityCheck = () =>
    (engine.prepare("PRAGMA integrity_check").all() as { integrity_check: string }[])
      .map((row) => row.integrity_check).filter((line) => line !== "ok");
  try {
    const lines = integrityCheck();
    let mended = false;
    if (fix && lines.length > 0) {
      engine.db("check").exec("VACUUM");
      mended = integrityCheck().length === 0;
    }
    for (const line of lines) {
      warnings.push({
        kind: "integrity",
        message: `SQLite integrity check: ${line}${
          !fix ? "" : mended ? "; the database was rebuilt (VACUUM)" : "; VACUUM did not mend it: move the directory aside and start a fresh cache"
        }`,
        repairable: !fix || mended,
        repaired: mended,
      });
    }
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

/** Whether each level of `path` (`xx` or `xx/yy`) under `root` is a directory, none a symlink swapped in since the walk. */
function realDirectories(root: string, path: string): boolean {
  try {
    return lstatSync(join(root, path.slice(0, 2))).isDirectory() && lstatSync(join(root, path)).isDirectory();
  } catch {
    return false;
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
      warnings.push({
        kind: "missing-file",
        path: row.filename,
        message: `value file ${row.filename} is missing${fix ? "; its item was removed" : ""}`,
        repairable: true,
        repaired: fix,
      });
      if (fix) del!.run(row.rowid);
    } else if (actual !== row.size) {
      warnings.push({
        kind: "wrong-size",
        path: row.filename,
        message: `value file ${row.filename} has ${actual} bytes, not the ${row.size} recorded${fix ? "; its item and file were removed" : ""}`,
        repairable: true,
        repaired: fix,
      });
      if (fix) {
        del!.run(row.rowid);
        engine.removeLater(row.filename);
      }
    }
  }
  const found = walk(dir);
  const now = Date.now();
  for (const file of found.values) {
    if (named.has(file)) continue;
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
      message: `value file ${file} belongs to no item${
        removed ? "; it was removed" : recent ? "; left in place: it is recent and may belong to a write in progress" : ""
      }`,
      repairable: !recent,
      repaired: removed,
    });
    if (removed && isSafeValuePath(dir, file)) { // its directories still real ones, not symlinks swapped in since the walk
      try {
        unlinkSync(join(dir, file)); // a regular file: the walk never lists a symlink as a value file
      } catch { /* gone meanwhile */ }
    }
  }
  for (const { path, directory, shard } of found.foreign) {
    const what = shard
      ? `directory ${path} holds a FanoutCache shard, not part of this cache`
      : `${directory ? "directory" : "file"} ${path} is not one this cache writes (value files are xx/yy/<28 hex digits>.val)`;
    warnings.push({
      kind: "foreign-file",
      path,
      message: `${what}; left in place${fix ? "" : " (fix never removes it)"}: move it elsewhere if it is yours, and keep the cache in a directory of its own`,
      repairable: false,
      repaired: false,
    });
  }
  for (const path of found.dirs) {
    let empty = false;
    try {
      empty = readdirSync(join(dir, path)).length === 0;
    } catch { /* removed along with its last file */ }
    if (!empty) continue;
    warnings.push({ kind: "empty-directory", path, message: `directory ${path} is empty${fix ? "; it was removed" : ""}`, repairable: true, repaired: fix });
    if (fix && realDirectories(dir, path)) {
      try {
        rmdirSync(join(dir, path));
      } catch { /* already gone, or filled again meanwhile */ }
    }
  }
  const real = engine.prepare("SELECT COUNT(key) AS count, COALESCE(SUM(size), 0) AS size FROM Cache").get() as { count: number; size: number };
  for (const key of ["count", "size"] as const) {
    const stored = Number(readSetting(engine, key) ?? NaN);
    if (stored !== real[key]) {
      warnings.push({
        kind: key,
        message: `Settings ${key} is ${stored} but the Cache table holds ${real[key]}${fix ? "; corrected" : ""}`,
        repairable: true,
        repaired: fix,
      });
      if (fix) engine.prepare(SQL.putSetting).run(key, BigInt(real[key]));
    }
  }
}
