// The driver contract (src/driver.ts) as one shared suite: the complete proof
// a new driver needs. Each binding's test file runs it against its driver (as
// unstorage runs one suite per driver): runtimes_node_test.ts (node:sqlite,
// better-sqlite3), runtimes_bun_test.ts (bun:sqlite), runtimes_deno_test.ts
// (Deno's driver). A driver this runtime cannot load skips the suite, saying
// why. It checks: values bind and read back by type, rows as objects, arrays
// and "preferred"; the file released on close; the SQLite codes the core
// reacts to (SQLITE_BUSY under another connection's lock, READONLY, NOTADB,
// CANTOPEN, ERROR); integers past 2^53 bound exactly and read back rounded or
// refused in a way unsafeIntegerError() recognises; that each declared
// capability (cutsTextAtNul, supportsImmutable) matches what the binding
// does, immutable opens included; and a DiskCache on the driver.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { SqliteDriver } from "../src/driver.ts";
import { openDescriptors, tempCache, tempDir } from "./_helpers.ts";

/**
 * Registers the contract's tests for the driver `load` returns. `load` may
 * throw (or reject) where the binding is missing; the tests then skip.
 */
export function driverContract(binding: string, load: () => SqliteDriver | Promise<SqliteDriver>): void {
  let loaded: Promise<SqliteDriver | string> | undefined;
  const driver = () =>
    loaded ??= (async () => {
      try {
        const d = await load();
        d.open(":memory:").close(); // better-sqlite3 built for another Node fails here
        return d;
      } catch (error) {
        return `${binding} does not load on this runtime: ${(error as Error).message}`;
      }
    })();

  test(`SqliteDriver ${binding} keeps the contract the core relies on`, async (t) => {
    const d = await driver();
    if (typeof d === "string") return t.skip(d);
    using dir = tempDir();
    const db = d.open(join(dir.path, "t.db"));
    try {
      db.exec("CREATE TABLE t (k BLOB, v)");
      const ins = db.prepare("INSERT INTO t VALUES (?, ?)");
      ins.run("big", 99n);
      ins.run("bytes", new Uint8Array([1, 2, 3]));
      ins.run("real", 1.5);
      ins.run("text", "héllo");
      const r = ins.run("null", null);
      assert.equal(Number(r.changes), 1);
      const get = db.prepare("SELECT typeof(v) AS t, v FROM t WHERE k = ?");
      assert.deepEqual({ ...(get.get("big") as object) }, { t: "integer", v: 99 }, "a bigint binds as INTEGER and reads as number");
      const bytes = get.get("bytes") as { t: string; v: Uint8Array };
      assert.equal(bytes.t, "blob");
      assert.ok(bytes.v instanceof Uint8Array);
      assert.deepEqual([...bytes.v], [1, 2, 3]);
      assert.equal((get.get("real") as { v: number }).v, 1.5);
      assert.equal((get.get("text") as { v: string }).v, "héllo");
      assert.ok(get.get("missing") == null, "no row is undefined or null");
      assert.equal(db.prepare("SELECT k FROM t ORDER BY rowid").all().length, 5);
      const arrays = db.prepare("SELECT k, typeof(v) AS t FROM t WHERE k IN (?, ?) ORDER BY k", { arrays: true });
      assert.deepEqual([...(arrays.get("real", "text") as unknown[])], ["real", "real"], "array rows in SELECT order");
      assert.deepEqual(arrays.all("real", "text").map((r) => [...(r as unknown[])]), [["real", "real"], ["text", "text"]]);
      assert.ok(arrays.get("none", "none") == null);
      // "preferred": arrays in SELECT order or objects by name, whichever the binding builds faster.
      const preferred = db.prepare("SELECT k, typeof(v) AS t FROM t WHERE k = ?", { arrays: "preferred" });
      const row = preferred.get("real") as unknown[] | { k: unknown; t: unknown };
      assert.deepEqual(Array.isArray(row) ? [...row] : [row.k, row.t], ["real", "real"], "a preferred row in either shape");
      assert.ok(preferred.get("none") == null);
      assert.equal(d.errorCode(new Error("plain")), undefined);
      assert.throws(() => db.exec("SELECT * FROM no_such_table"), (e: unknown) => d.errorCode(e) === 1);
    } finally {
      db.close();
    }
  });

  test(`SqliteDriver ${binding} releases the database file on close, prepared statements and all`, async (t) => {
    const d = await driver();
    if (typeof d === "string") return t.skip(d);
    if (!existsSync("/proc/self/fd")) return t.skip("needs /proc");
    using dir = tempDir();
    const path = join(dir.path, "t.db");
    const db = d.open(path);
    db.exec("CREATE TABLE t (a)");
    db.prepare("SELECT a FROM t").all();
    db.prepare("SELECT a FROM t", { arrays: true }).get();
    const open = () => openDescriptors((target) => target.startsWith(path));
    assert.ok(open() > 0);
    db.close();
    assert.equal(open(), 0, "no descriptor of the database is left open");
  });

  test(`SqliteDriver ${binding} reports SQLITE_BUSY (5) when another connection holds the lock, and the codes of the other errors the core reacts to`, async (t) => {
    const d = await driver();
    if (typeof d === "string") return t.skip(d);
    using dir = tempDir();
    const path = join(dir.path, "t.db");
    const holder = d.open(path);
    const other = d.open(path);
    try {
      // A rollback journal, so that an exclusive lock keeps readers out too;
      // no busy timeout, so that the other connection fails at once.
      holder.exec("PRAGMA journal_mode = DELETE; CREATE TABLE t (a); INSERT INTO t VALUES (1)");
      other.exec("PRAGMA busy_timeout = 0");
      holder.exec("BEGIN EXCLUSIVE; INSERT INTO t VALUES (2)");
      const code = (fn: () => unknown) => {
        try {
          fn();
        } catch (e) {
          return d.errorCode(e);
        }
        return "no error";
      };
      assert.equal(code(() => other.prepare("SELECT count(*) AS n FROM t").get()), 5, "a read under another connection's exclusive lock");
      assert.equal(code(() => other.exec("INSERT INTO t VALUES (3)")), 5, "a write under another connection's exclusive lock");
      assert.equal(code(() => other.exec("BEGIN IMMEDIATE")), 5, "BEGIN IMMEDIATE under another connection's exclusive lock");
      holder.exec("COMMIT");
      assert.deepEqual({ ...(other.prepare("SELECT count(*) AS n FROM t").get() as object) }, { n: 2 }, "the lock released, the other connection reads");
      const ro = d.open(path, { readonly: true });
      try {
        assert.equal(code(() => ro.exec("INSERT INTO t VALUES (4)")), 8, "SQLITE_READONLY: a write on a read-only connection");
      } finally {
        ro.close();
      }
      writeFileSync(join(dir.path, "junk.db"), "this is not a database, only some text that fills more than one header's worth of bytes".repeat(20));
      assert.equal(
        code(() => {
          const junk = d.open(join(dir.path, "junk.db"));
          try {
            junk.prepare("SELECT count(*) FROM sqlite_master").get();
          } finally {
            junk.close();
          }
        }),
        26,
        "SQLITE_NOTADB: a file that is not a database",
      );
      // A directory where the file should be: SQLite cannot open it (the code a read-only open on read-only media meets).
      mkdirSync(join(dir.path, "a-directory.db"));
      assert.equal(
        code(() => {
          const db = d.open(join(dir.path, "a-directory.db"));
          try {
            db.prepare("SELECT count(*) FROM sqlite_master").get();
          } finally {
            db.close();
          }
        }),
        14,
        "SQLITE_CANTOPEN: a path SQLite cannot open",
      );
      assert.equal(code(() => other.exec("SELECT * FROM no_such_table")), 1, "SQLITE_ERROR");
      assert.equal(d.errorCode(new RangeError("not from SQLite")), undefined);
    } finally {
      other.close();
      holder.close();
    }
  });

  test(`SqliteDriver ${binding} binds integers past 2^53 exactly, and reads them back rounded or with an error unsafeIntegerError() recognises`, async (t) => {
    const d = await driver();
    if (typeof d === "string") return t.skip(d);
    const db = d.open(":memory:");
    try {
      db.exec("CREATE TABLE t (k TEXT PRIMARY KEY, v)");
      const ins = db.prepare("INSERT INTO t VALUES (?, ?)");
      const big = {
        "2^53-1": 2n ** 53n - 1n,
        "-(2^53-1)": -(2n ** 53n - 1n),
        "2^53+1": 2n ** 53n + 1n,
        "2^60+1": 2n ** 60n + 1n,
        "2^63-1": 2n ** 63n - 1n,
        "-2^63": -(2n ** 63n),
      };
      for (const [k, v] of Object.entries(big)) ins.run(k, v);
      const text = db.prepare("SELECT typeof(v) AS t, CAST(v AS TEXT) AS s FROM t WHERE k = ?");
      for (const [k, v] of Object.entries(big)) {
        assert.deepEqual({ ...(text.get(k) as object) }, { t: "integer", s: String(v) }, `${k} binds as an exact INTEGER`);
      }
      const read = db.prepare("SELECT v FROM t WHERE k = ?");
      assert.deepEqual({ ...(read.get("2^53-1") as object) }, { v: 2 ** 53 - 1 }, "the largest safe integer reads exactly, as a number");
      assert.deepEqual({ ...(read.get("-(2^53-1)") as object) }, { v: -(2 ** 53 - 1) });
      for (const k of ["2^53+1", "2^60+1", "2^63-1", "-2^63"]) {
        let got: unknown;
        try {
          got = (read.get(k) as { v: unknown }).v;
        } catch (e) {
          assert.ok(d.unsafeIntegerError?.(e) === true, `${k}: the binding threw, and its driver must recognise it in unsafeIntegerError(): ${e}`);
          continue;
        }
        // A binding that does not throw rounds to the nearest double (the core then reads CAST(v AS TEXT)).
        assert.equal(got, Number(big[k as keyof typeof big]), `${k} reads back as the nearest number`);
      }
      assert.equal(d.unsafeIntegerError?.(new RangeError("some other range error")) ?? false, false, "another error is not a big-integer refusal");
      assert.equal(d.unsafeIntegerError?.(new Error("plain")) ?? false, false);
    } finally {
      db.close();
    }
  });

  test(`SqliteDriver ${binding}: cutsTextAtNul is declared exactly when the binding cuts TEXT at U+0000`, async (t) => {
    const d = await driver();
    if (typeof d === "string") return t.skip(d);
    const db = d.open(":memory:");
    try {
      db.exec("CREATE TABLE t (v)");
      db.prepare("INSERT INTO t VALUES (?)").run("a\0b");
      const row = db.prepare("SELECT v, length(CAST(v AS BLOB)) AS n FROM t").get() as { v: string; n: number };
      assert.equal(row.n, 3, "SQLite stores the whole text");
      assert.equal(row.v, d.cutsTextAtNul === true ? "a" : "a\0b", `cutsTextAtNul is ${d.cutsTextAtNul}`);
    } finally {
      db.close();
    }
  });

  test(`SqliteDriver ${binding}: supportsImmutable is declared exactly when a read-only immutable open takes no lock and leaves no -shm`, async (t) => {
    const d = await driver();
    if (typeof d === "string") return t.skip(d);
    using dir = tempDir();
    const path = join(dir.path, "t.db");
    const setup = d.open(path);
    setup.exec("PRAGMA journal_mode = WAL; CREATE TABLE t (a); INSERT INTO t VALUES (1)");
    setup.close(); // the last connection checkpoints and removes -wal and -shm
    assert.equal(existsSync(`${path}-shm`), false);
    if (d.supportsImmutable !== true) {
      assert.throws(
        () => d.open(path, { readonly: true, immutable: true }).close(),
        "a driver that does not declare supportsImmutable refuses an immutable open instead of opening without it",
      );
      return;
    }
    const im = d.open(path, { readonly: true, immutable: true });
    try {
      assert.deepEqual({ ...(im.prepare("SELECT a FROM t").get() as object) }, { a: 1 });
      assert.equal(existsSync(`${path}-shm`), false, "an immutable open of a WAL database makes no -shm");
      assert.equal(existsSync(`${path}-wal`), false);
    } finally {
      im.close();
    }
    // immutable=1 takes no lock: it reads under another connection's exclusive lock.
    const holder = d.open(path);
    try {
      holder.exec("PRAGMA journal_mode = DELETE; BEGIN EXCLUSIVE; INSERT INTO t VALUES (2)");
      const im2 = d.open(path, { readonly: true, immutable: true });
      try {
        assert.deepEqual({ ...(im2.prepare("SELECT count(*) AS n FROM t").get() as object) }, { n: 1 }, "read without a lock: the committed row");
      } finally {
        im2.close();
      }
      holder.exec("COMMIT");
    } finally {
      holder.close();
    }
  });

  test(`DiskCache works on the ${binding} driver passed explicitly`, async (t) => {
    const d = await driver();
    if (typeof d === "string") return t.skip(d);
    using cache = tempCache({ driver: d });
    assert.equal(cache.driverName, d.name);
    cache.set("k", { v: [1, 2n] });
    assert.deepEqual(cache.get("k"), { v: [1, 2n] });
  });
}
