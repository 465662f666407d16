// The driver contract (src/driver.ts) as one shared suite. Each binding's
// test file runs it against its driver (as unstorage runs one suite per
// driver): runtimes_node_test.ts (node:sqlite, better-sqlite3),
// runtimes_bun_test.ts (bun:sqlite), runtimes_deno_test.ts (Deno's driver).
// A driver this runtime cannot load skips the suite, saying why.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
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

  test(`DiskCache works on the ${binding} driver passed explicitly`, async (t) => {
    const d = await driver();
    if (typeof d === "string") return t.skip(d);
    using cache = tempCache({ driver: d });
    assert.equal(cache.driverName, d.name);
    cache.set("k", { v: [1, 2n] });
    assert.deepEqual(cache.get("k"), { v: [1, 2n] });
  });
}
