// The opt-in Deno FFI driver (runtimes/deno_ffi.ts): what it does beyond the
// contract checked for every driver in driver_test.ts. The whole suite also
// runs on it as the "deno-ffi" row of `npm test` (DISKCACHE_DENO_DRIVER=ffi).
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { DiskCache, DiskCacheError } from "../mod.ts";
import { denoFfiDriver } from "../runtimes/deno_ffi.ts";
import { repoRoot, tempDir } from "./_helpers.ts";

// deno-lint-ignore no-explicit-any
const onDeno = (globalThis as any).Deno !== undefined;
const deno = join(repoRoot, "node_modules", ".bin", "deno");

test("denoFfiDriver refuses to open outside Deno, saying to use the default driver", (t) => {
  if (onDeno) return t.skip("runs on Bun and Node");
  const driver = denoFfiDriver();
  assert.equal(driver.name, "deno-ffi");
  assert.throws(() => driver.open(":memory:"), /runs on Deno only/);
});

test("denoFfiDriver: values of every SQLite type round-trip exactly, edge cases included", (t) => {
  if (!onDeno) return t.skip("Deno only");
  using dir = tempDir();
  const db = denoFfiDriver().open(join(dir.path, "t.db"));
  try {
    db.exec("CREATE TABLE t (k TEXT PRIMARY KEY, v)");
    const put = db.prepare("INSERT INTO t VALUES (?, ?)");
    const cases: [string, unknown][] = [
      ["empty text", ""],
      ["nul inside", "a\0b"],
      ["unicode", "héllo ✓ 🎉"],
      ["long text", "x".repeat(100_000)],
      ["empty blob", new Uint8Array(0)],
      ["blob", new Uint8Array([0, 255, 1])],
      ["blob view", new Uint8Array([9, 8, 7, 6]).subarray(1, 3)],
      ["max int64", 2n ** 63n - 1n],
      ["min int64", -(2n ** 63n)],
      ["max safe", BigInt(Number.MAX_SAFE_INTEGER)],
      ["past safe", BigInt(Number.MAX_SAFE_INTEGER) + 1n],
      ["negative", -5n],
      ["real", -0.25],
      ["null", null],
    ];
    for (const [k, v] of cases) put.run(k, v as never);
    const get = db.prepare("SELECT typeof(v) AS type, v FROM t WHERE k = ?");
    const read = (k: string) => (get.get(k) as { type: string; v: unknown }).v;
    assert.equal(read("empty text"), "");
    assert.equal((get.get("empty text") as { type: string }).type, "text", "an empty string binds as text, not NULL");
    assert.equal(read("nul inside"), "a\0b");
    assert.equal(read("unicode"), "héllo ✓ 🎉");
    assert.equal((read("long text") as string).length, 100_000);
    assert.deepEqual(read("empty blob"), new Uint8Array(0));
    assert.equal((get.get("empty blob") as { type: string }).type, "blob", "an empty Uint8Array binds as a blob, not NULL");
    assert.deepEqual(read("blob"), new Uint8Array([0, 255, 1]));
    assert.deepEqual(read("blob view"), new Uint8Array([8, 7]), "a view binds its own bytes, not its buffer's");
    assert.equal(read("max int64"), 2n ** 63n - 1n);
    assert.equal(read("min int64"), -(2n ** 63n));
    assert.equal(read("max safe"), Number.MAX_SAFE_INTEGER, "safe integers read as numbers");
    assert.equal(read("past safe"), BigInt(Number.MAX_SAFE_INTEGER) + 1n, "others as bigints");
    assert.equal(read("negative"), -5);
    assert.equal(read("real"), -0.25);
    assert.equal(read("null"), null);
    assert.deepEqual(db.prepare("SELECT typeof(?) AS t").get(2), { t: "real" }, "numbers bind as REAL, like node:sqlite");
    const blob = read("blob") as Uint8Array;
    blob[0] = 42;
    assert.deepEqual(read("blob"), new Uint8Array([0, 255, 1]), "a blob read is a copy");
    const r = put.run("another", 1n);
    assert.deepEqual(r, { changes: 1, lastInsertRowid: cases.length + 1 });
  } finally {
    db.close();
  }
});

test("denoFfiDriver: errors carry SQLite's code and message; misuse is refused clearly", (t) => {
  if (!onDeno) return t.skip("Deno only");
  using dir = tempDir();
  const path = join(dir.path, "t.db");
  const driver = denoFfiDriver();
  const a = driver.open(path), b = driver.open(path);
  try {
    a.exec("CREATE TABLE t (k INTEGER PRIMARY KEY)");
    assert.throws(() => a.prepare("SELEC nonsense"), (e: Error) => driver.errorCode(e) === 1 && /syntax error/.test(e.message));
    assert.throws(() => a.exec("INSERT INTO nope VALUES (1)"), (e: Error) => driver.errorCode(e) === 1 && /no such table: nope/.test(e.message));
    const ins = a.prepare("INSERT INTO t VALUES (?)");
    ins.run(1n);
    assert.throws(() => ins.run(1n), (e: Error) => driver.errorCode(e) === 19 && /UNIQUE/.test(e.message), "constraint errors surface from step");
    ins.run(2n); // and the statement works again afterwards
    assert.throws(() => ins.run(3n, 4n), RangeError);
    assert.throws(() => ins.run({} as never), /Cannot bind parameter 1/);
    assert.throws(() => ins.run(2n ** 64n), /64-bit/);
    // A writer holding the lock: the other connection gets SQLITE_BUSY at once.
    a.exec("PRAGMA busy_timeout = 0");
    b.exec("PRAGMA busy_timeout = 0");
    a.exec("BEGIN IMMEDIATE");
    assert.throws(() => b.exec("BEGIN IMMEDIATE"), (e: Error) => driver.errorCode(e) === 5 && /locked/.test(e.message));
    a.exec("COMMIT");
    assert.deepEqual(b.prepare("SELECT count(*) AS n FROM t").get(), { n: 2 }, "a read after a failed step sees the data");
    // Fewer parameters than the last call: the missing ones are NULL, not stale.
    const pair = a.prepare("SELECT ? AS x, ? AS y", { arrays: true });
    assert.deepEqual(pair.get(1n, 2n), [1, 2]);
    assert.deepEqual(pair.get(1n), [1, null]);
    assert.throws(() => a.prepare("   "), /no statement/);
  } finally {
    a.close();
    b.close();
  }
  assert.throws(() => a.exec("SELECT 1"), /not open/);
  a.close(); // closing twice is harmless
});

test("denoFfiDriver: a missing library or a broken open says what to do", (t) => {
  if (!onDeno) return t.skip("Deno only");
  using dir = tempDir();
  const missing = denoFfiDriver({ library: join(dir.path, "libnothing.so") });
  assert.throws(() => missing.open(join(dir.path, "x.db")), /no SQLite shared library could be loaded.*libnothing\.so.*"library" option/s);
  assert.throws(() => denoFfiDriver().open(join(dir.path, "no", "such", "dir", "x.db")), (e: Error) => denoFfiDriver().errorCode(e) === 14);
  assert.throws(() => new DiskCache(join(dir.path, "c"), { driver: missing }), /no SQLite shared library/);
});

test("DISKCACHE_DENO_DRIVER=ffi makes every cache of a Deno process use the FFI driver; a wrong value is an error", async (t) => {
  if (!onDeno) return t.skip("needs Deno to spawn Deno (its binary is only in node_modules there)");
  using dir = tempDir();
  const script = `
    import { DiskCache } from ${JSON.stringify(join(repoRoot, "mod.ts"))};
    const c = new DiskCache(${JSON.stringify(join(dir.path, "c"))});
    c.set("k", [1, "two"]);
    console.log(JSON.stringify({ driver: c.driverName, value: c.get("k") }));
    c.close();
  `;
  const spawn = (value: string | undefined) => {
    // deno-lint-ignore no-explicit-any
    const env: Record<string, string> = { ...(globalThis as any).Deno.env.toObject() };
    delete env.DISKCACHE_DENO_DRIVER;
    if (value !== undefined) env.DISKCACHE_DENO_DRIVER = value;
    // deno-lint-ignore no-explicit-any
    const out = new (globalThis as any).Deno.Command(deno, { args: ["eval", "--no-check", script], env, clearEnv: true, cwd: repoRoot }).outputSync();
    return { code: out.code as number, stdout: new TextDecoder().decode(out.stdout), stderr: new TextDecoder().decode(out.stderr) };
  };
  const ffi = spawn("ffi");
  assert.equal(ffi.code, 0, ffi.stderr);
  assert.deepEqual(JSON.parse(ffi.stdout), { driver: "deno-ffi", value: [1, "two"] });
  const plain = spawn(undefined);
  assert.deepEqual(JSON.parse(plain.stdout), { driver: "node:sqlite", value: [1, "two"] }, "the same cache, read by the default driver");
  const wrong = spawn("sqlite4");
  assert.notEqual(wrong.code, 0);
  assert.match(wrong.stderr, /DISKCACHE_DENO_DRIVER is "sqlite4"; use "ffi" or "node:sqlite"/);
});

test("DiskCache on the FFI driver: a cache error still names the operation", (t) => {
  if (!onDeno) return t.skip("Deno only");
  using dir = tempDir();
  using cache = new DiskCache(dir.path, { driver: denoFfiDriver() });
  cache.set("a", 1);
  cache.close();
  assert.throws(() => cache.get("a"), DiskCacheError);
});
