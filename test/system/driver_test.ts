// System tests split from test/driver_test.ts: the npm build (dist/) in
// processes of Node 20 and Node 24 chooses its default driver, and the core
// without an entry point says how to get one. They run once per `npm test`
// (the "system" row, on Node 24).
import { test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, existsSync, mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { node20, repoRoot, run, tempDir } from "../_helpers.ts";

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
  assert.match(res.stdout, /npx -p @diskcache\/diskcache -p better-sqlite3@12 diskcache/, "the form for npx, which does not install the optional peer");
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
