// How the core uses a driver (src/driver.ts): object rows, error codes, how
// the default driver is chosen and what happens without one. The contract
// every driver keeps is test/_driver_contract.ts, run per binding by
// runtimes_{node,bun,deno}_test.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, existsSync, mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { sqliteErrorCode } from "../src/driver.ts";
import { node20, objectRowsDriver, repoRoot, run, tempCache, tempDir } from "./_helpers.ts";

test('the core reads object rows from a driver that answers arrays: "preferred" with objects, under every policy', () => {
  // bun:sqlite does so; here a driver over this runtime's binding that does
  // the same, so the object-row path of get() runs on every runtime.
  const driver = objectRowsDriver();
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
    c.close();
    require("node:fs").rmSync(c.directory, { recursive: true, force: true });`,
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
    c.close();
    (await import("node:fs")).rmSync(c.directory, { recursive: true, force: true });`,
  ]);
  assert.equal(res.code, 0, res.stderr);
  assert.deepEqual(JSON.parse(res.stdout), { driver: "node:sqlite", v: [1] });
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
