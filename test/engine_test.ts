// The engine's seams: the hooks run after the outermost commit or rollback,
// and what a driver declares (supportsImmutable, unsafeIntegerError) is all
// the core goes by.
import { test } from "node:test";
import assert from "node:assert/strict";
import { DiskCache, DiskCacheError } from "../mod.ts";
import { Engine } from "../src/engine/engine.ts";
import { type SqliteDriver, sqliteErrorCode } from "../src/driver.ts";
import { OWNER_ONLY } from "../src/format/value_files.ts";
import { detectDriver } from "../runtimes/auto.ts";
import { join } from "node:path";
import { rawOpen, tempDir } from "./_helpers.ts";

test("Engine runs afterCommit after the outermost commit and afterRollback after its rollback, never for savepoints", () => {
  using dir = tempDir();
  const engine = new Engine({
    directory: dir.path,
    driver: detectDriver(),
    timeout: 1000,
    clock: Date.now,
    settings: {},
    readonly: false,
    modes: OWNER_ONLY,
  });
  try {
    const seen: string[] = [];
    engine.hooks.afterCommit.add(() => seen.push(`commit ${engine.inTransaction}`));
    engine.hooks.afterRollback.add(() => seen.push(`rollback ${engine.inTransaction}`));
    engine.write("test", () => {});
    assert.deepEqual(seen, ["commit false"]);
    engine.transact(() => {
      assert.throws(() =>
        engine.transact(() => {
          throw new Error("inner");
        }), /inner/);
      engine.transact(() => {});
    });
    assert.deepEqual(seen, ["commit false", "commit false"], "savepoints run no hook; the outer commit runs one");
    assert.throws(() =>
      engine.transact(() => {
        throw new Error("outer");
      }), /outer/);
    assert.deepEqual(seen, ["commit false", "commit false", "rollback false"]);
  } finally {
    engine.close();
  }
});

/** The runtime's driver, with a read-only open that SQLite refuses as it does on read-only media. */
function readOnlyMedia(supportsImmutable: boolean, opened: boolean[]): SqliteDriver {
  const base = detectDriver();
  return {
    ...base,
    name: `${base.name} (read-only media)`,
    supportsImmutable,
    errorCode: sqliteErrorCode,
    open(path, options) {
      if (options?.readonly) {
        opened.push(options.immutable ?? false);
        if (!options.immutable) throw Object.assign(new Error("unable to open database file"), { errcode: 14 });
        return base.open(path, { readonly: true });
      }
      return base.open(path, options);
    },
  };
}

test("a read-only open SQLite refuses is retried as immutable only on a driver that declares supportsImmutable", () => {
  using dir = tempDir();
  new DiskCache(dir.path).close();
  const tries: boolean[] = [];
  {
    using cache = new DiskCache(dir.path, { readonly: true, driver: readOnlyMedia(true, tries) });
    assert.equal(cache.get("a"), undefined);
  }
  assert.deepEqual(tries, [false, true]);
  tries.length = 0;
  assert.throws(
    () => new DiskCache(dir.path, { readonly: true, driver: readOnlyMedia(false, tries) }),
    (e: Error) => e instanceof DiskCacheError && /does not support/.test(e.message) && /supportsImmutable/.test(e.message),
  );
  assert.deepEqual(tries, [false], "never asked for immutable");
});

test("get() passes on a binding error its driver does not recognise as a big-integer refusal", () => {
  using dir = tempDir();
  const base = detectDriver();
  const driver: SqliteDriver = {
    ...base,
    open(path, options) {
      const db = base.open(path, options);
      return {
        exec: (sql) => db.exec(sql),
        close: () => db.close(),
        prepare(sql, prepareOptions) {
          const stmt = db.prepare(sql, prepareOptions);
          if (!sql.startsWith("SELECT mode, value")) return stmt;
          return {
            run: (...p) => stmt.run(...p),
            all: (...p) => stmt.all(...p),
            get: () => {
              throw new Error("the binding broke");
            },
          };
        },
      };
    },
  };
  using cache = new DiskCache(dir.path, { driver });
  cache.set("k", 1);
  assert.throws(() => cache.get("k"), /the binding broke/);
});

test("DiskCache reopens with the policy index rebuilt when someone dropped it", () => {
  using dir = tempDir();
  new DiskCache(dir.path, { evictionPolicy: "least-recently-used" }).close();
  const db = rawOpen(join(dir.path, "cache.db"));
  db.exec("DROP INDEX Cache_access_time");
  db.close();
  new DiskCache(dir.path).close();
  const check = rawOpen(join(dir.path, "cache.db"));
  const names = (check.prepare("SELECT name FROM sqlite_master WHERE type = 'index'").all() as { name: string }[]).map((r) => r.name);
  check.close();
  assert.ok(names.includes("Cache_access_time"), names.join());
});
