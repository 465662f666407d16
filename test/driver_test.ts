// The driver contract (src/driver.ts), checked on every driver this runtime
// can load, plus how the default driver is chosen and what happens without one.
import { test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, existsSync, mkdirSync, readdirSync, readlinkSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { DiskCache } from "../mod.ts";
import type { SqliteDriver } from "../src/driver.ts";
import { sqliteErrorCode } from "../src/driver.ts";
import { detectDriver } from "../runtimes/auto.ts";
import { betterSqlite3Driver, nodeSqliteDriver } from "../runtimes/node.ts";
import { node20, repoRoot, run, tempCache, tempDir } from "./_helpers.ts";

function loadable(): SqliteDriver[] {
  const out: SqliteDriver[] = [detectDriver()];
  for (const make of [nodeSqliteDriver, betterSqlite3Driver]) {
    try {
      const d = make();
      d.open(":memory:").close(); // better-sqlite3 built for another Node fails here
      if (!out.some((o) => o.name === d.name)) out.push(d);
    } catch { /* not on this runtime */ }
  }
  return out;
}

for (const driver of loadable()) {
  test(`SqliteDriver ${driver.name} keeps the contract the core relies on`, () => {
    using dir = tempDir();
    const db = driver.open(join(dir.path, "t.db"));
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
      assert.equal(driver.errorCode(new Error("plain")), undefined);
      assert.throws(() => db.exec("SELECT * FROM no_such_table"), (e: unknown) => driver.errorCode(e) === 1);
    } finally {
      db.close();
    }
  });

  test(`SqliteDriver ${driver.name} releases the database file on close, prepared statements and all`, (t) => {
    if (!existsSync("/proc/self/fd")) return t.skip("needs /proc");
    using dir = tempDir();
    const path = join(dir.path, "t.db");
    const db = driver.open(path);
    db.exec("CREATE TABLE t (a)");
    db.prepare("SELECT a FROM t").all();
    db.prepare("SELECT a FROM t", { arrays: true }).get();
    const open = () =>
      readdirSync("/proc/self/fd").filter((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`).startsWith(path);
        } catch {
          return false;
        }
      }).length;
    assert.ok(open() > 0);
    db.close();
    assert.equal(open(), 0, "no descriptor of the database is left open");
  });

  test(`DiskCache works on the ${driver.name} driver passed explicitly`, () => {
    using cache = tempCache({ driver });
    assert.equal(cache.driverName, driver.name);
    cache.set("k", { v: [1, 2n] });
    assert.deepEqual(cache.get("k"), { v: [1, 2n] });
  });
}

test("the core reads object rows from a driver that prefers them (objectRows), under every policy", () => {
  // bun:sqlite sets objectRows; here the same flag on this runtime's driver,
  // so the object-row path of get() runs on every runtime.
  const base = detectDriver();
  const driver: SqliteDriver = {
    name: `${base.name} (object rows)`,
    open: (p, o) => base.open(p, o),
    errorCode: (e) => base.errorCode(e),
    unsafeIntegerError: (e) => base.unsafeIntegerError?.(e) ?? false,
    objectRows: true,
  };
  for (const evictionPolicy of ["least-recently-stored", "least-recently-used", "least-frequently-used"] as const) {
    using cache = tempCache({ driver, evictionPolicy, statistics: true, minFileSize: 64 });
    const values: unknown[] = ["text", 42, 2n ** 60n, 1.5, new Uint8Array([1, 2]), { nested: [1, "two"] }, "f".repeat(100), null];
    values.forEach((v, i) => cache.set(i, v));
    values.forEach((v, i) => assert.deepEqual(cache.get(i), v, `${evictionPolicy}: value ${i}`));
    assert.equal(cache.get("absent"), undefined);
    assert.deepEqual([cache.stats().hits, cache.stats().misses], [values.length, 1]);
  }
});

test("sqliteErrorCode() reads the codes of every binding's errors", () => {
  assert.equal(sqliteErrorCode({ errcode: 5 }), 5);
  assert.equal(sqliteErrorCode({ errcode: 261 }), 5);
  assert.equal(sqliteErrorCode({ code: "SQLITE_BUSY" }), 5);
  assert.equal(sqliteErrorCode({ code: "SQLITE_CORRUPT_VTAB" }), 11);
  assert.equal(sqliteErrorCode({ code: "SQLITE_ERROR", errno: 1 }), 1);
  assert.equal(sqliteErrorCode({ code: "ENOENT" }), undefined);
  assert.equal(sqliteErrorCode({ code: "ERR_SQLITE_ERROR", message: "database is locked" }), 5);
  assert.equal(sqliteErrorCode({ code: "ERR_SQLITE_ERROR", message: "no such table: x" }), 1);
  assert.equal(sqliteErrorCode(null), undefined);
});

test("the npm build loads with require() on Node 20 (no top-level await) and picks better-sqlite3", async (t) => {
  const n20 = node20();
  if (!n20 || !existsSync(join(repoRoot, "dist", "mod.js"))) return t.skip("needs Node 20 and npm run build");
  const res = await run(n20, [
    "-e",
    `
    const { DiskCache } = require(${JSON.stringify(join(repoRoot, "dist", "mod.js"))});
    const c = new DiskCache();
    c.set("k", 1);
    console.log(JSON.stringify({ driver: c.driverName, v: c.get("k") }));
    c.close();`,
  ]);
  assert.equal(res.code, 0, res.stderr);
  assert.deepEqual(JSON.parse(res.stdout), { driver: "better-sqlite3", v: 1 });
});

test("opening a cache on a Node with neither node:sqlite nor better-sqlite3 names both fixes", async (t) => {
  const n20 = node20();
  if (!n20 || !existsSync(join(repoRoot, "dist", "mod.js"))) return t.skip("needs Node 20 and npm run build");
  using dir = tempDir();
  // A copy of the package whose node_modules lacks better-sqlite3.
  cpSync(join(repoRoot, "dist", "mod.js"), join(dir.path, "pkg", "mod.js"));
  for (const sub of ["src", "runtimes"]) cpSync(join(repoRoot, "dist", sub), join(dir.path, "pkg", sub), { recursive: true });
  mkdirSync(join(dir.path, "node_modules", "@cto.af"), { recursive: true });
  symlinkSync(join(repoRoot, "node_modules", "cbor2"), join(dir.path, "node_modules", "cbor2"));
  symlinkSync(join(repoRoot, "node_modules", "@cto.af", "wtf8"), join(dir.path, "node_modules", "@cto.af", "wtf8"));
  const res = await run(n20, [
    "--input-type=module",
    "-e",
    `
    import { DiskCache } from ${JSON.stringify(join(dir.path, "pkg", "mod.js"))};
    try { new DiskCache(); console.log("opened"); } catch (e) { console.log(e.message); }`,
  ]);
  assert.equal(res.code, 0, res.stderr);
  assert.match(res.stdout, /node:sqlite/);
  assert.match(res.stdout, /22\.13/);
  assert.match(res.stdout, /npm install better-sqlite3@12/);
});

test("the npm build imports on Node 24 and picks node:sqlite", async (t) => {
  const built = join(repoRoot, "dist", "mod.js");
  if (!existsSync(built)) return t.skip("needs npm run build");
  const res = await run(join(repoRoot, "node_modules", ".bin", "node"), [
    "--no-warnings",
    "--input-type=module",
    "-e",
    `
    import { DiskCache } from ${JSON.stringify(built)};
    const c = new DiskCache();
    c.set("k", [1]);
    console.log(JSON.stringify({ driver: c.driverName, v: c.get("k") }));
    c.close();`,
  ]);
  assert.equal(res.code, 0, res.stderr);
  assert.deepEqual(JSON.parse(res.stdout), { driver: "node:sqlite", v: [1] });
});

test("the /bun entry's bunDriver() opens caches on Bun", async (t) => {
  if ((globalThis as { Bun?: unknown }).Bun === undefined) return t.skip("Bun only");
  const { bunDriver } = await import("../runtimes/bun.ts");
  using dir = tempDir();
  using cache = new DiskCache(dir.path, { driver: bunDriver() });
  cache.set("k", [1]);
  assert.equal(cache.driverName, "bun:sqlite");
  assert.deepEqual(cache.get("k"), [1]);
});

test("the core without an entry point has no default driver and says how to get one", async () => {
  const res = await run(join(repoRoot, "node_modules", ".bin", "node"), [
    "--no-warnings",
    "--input-type=module",
    "-e",
    `
    const { DiskCache } = await import(${JSON.stringify(join(repoRoot, "src", "disk_cache.ts"))});
    try { new DiskCache(); console.log("opened"); } catch (e) { console.log(e.message); }`,
  ]);
  assert.equal(res.code, 0, res.stderr);
  assert.match(res.stdout, /no SQLite driver is registered; import DiskCache from the package entry point .* or pass the "driver" option/);
});
