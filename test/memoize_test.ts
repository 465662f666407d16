import { test } from "node:test";
import assert from "node:assert/strict";
import { DiskCache, FanoutCache, memoize, type MemoizeCache, memoizeStampede, throttle } from "../mod.ts";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { repoRoot, run, sleep, tempCache, tempDir, withConsole } from "./_helpers.ts";
import { twoModules } from "./_memoize_modules.ts";

/** What memoize() names this module in keys: its path in the package, without extension or dist/. */
const HERE = "@diskcache/diskcache/test/memoize_test";

test("DiskCache.memoize() caches results by name and arguments, with cacheKey()", () => {
  using cache = tempCache();
  let calls = 0;
  const add = cache.memoize(function add(a: number, b: number) {
    calls++;
    return a + b;
  }, { ttl: 60_000, tag: "math" });
  assert.equal(add(1, 2), 3);
  assert.equal(add(1, 2), 3);
  assert.equal(add(2, 1), 3);
  assert.equal(calls, 2);
  assert.deepEqual(add.cacheKey(1, 2), [`${HERE}:add`, 1, 2]);
  assert.equal(cache.getEntry(add.cacheKey(1, 2))?.tag, "math");
  assert.equal(cache.evict("math"), 2);
  add(1, 2);
  assert.equal(calls, 3);
});

test("memoize() options: typed, ignore, key, name; refuses nameless functions", () => {
  using cache = tempCache();
  let calls = 0;
  const f = memoize(cache, (x: unknown, _log?: unknown) => (calls++, String(x)), { name: "f", typed: true, ignore: [1] });
  f(1, "a");
  f(1, "b");
  f(1n);
  assert.equal(calls, 2, "ignored argument; 1 and 1n cached apart when typed");
  const g = memoize(cache, (o: { id: number; at: number }) => (calls++, o.id), { name: "g", key: (o) => o.id });
  g({ id: 5, at: 1 });
  g({ id: 5, at: 2 });
  assert.equal(calls, 3);
  assert.throws(() => memoize(cache, (() => 1) as () => number), /no name; pass options\.name/);
  assert.throws(() => memoize(cache, function h() {}, { expire: 1 } as never), /unknown option "expire"/);
});

test("memoize() of an async function stores the resolved value, never caches a rejection, and shares concurrent calls", async () => {
  using cache = tempCache();
  let calls = 0;
  let fail = true;
  const load = cache.memoize(async function load(id: number) {
    calls++;
    await sleep(20);
    if (fail) throw new Error("flaky");
    return { id };
  });
  await assert.rejects(load(1), /flaky/);
  assert.equal(cache.get(load.cacheKey(1)), undefined, "the rejection is not cached");
  fail = false;
  const [a, b, c] = await Promise.all([load(1), load(1), load(1)]);
  assert.deepEqual([a, b, c], [{ id: 1 }, { id: 1 }, { id: 1 }]);
  assert.equal(calls, 2, "three concurrent calls shared one computation");
  assert.deepEqual(cache.get(load.cacheKey(1)), { id: 1 }, "the resolved value is stored");
  assert.ok(load(1) instanceof Promise, "a hit still returns a promise");
});

test("memoize() typed: null, a primitive and objects of different classes are cached apart; equal ones share", () => {
  using cache = tempCache();
  let calls = 0;
  const f = memoize(cache, (x: unknown) => (calls++, typeof x), { name: "typed", typed: true });
  f(null);
  f(null);
  f(new Map());
  f(new Map());
  f({});
  f(Object.create(null));
  f([]);
  assert.equal(calls, 4, "null, Map, plain object (with or without a prototype) and Array: four keys");
  assert.deepEqual(f.cacheKey(null), ["typed", null, "\u0000types", "null"]);
  assert.deepEqual(f.cacheKey(new Map()).at(-1), "Map");
  assert.deepEqual(f.cacheKey(Object.create(null)).at(-1), "Object");
});

test("memoize() of a plain function that returns a promise caches the resolved value and serves it as a promise", async () => {
  using cache = tempCache();
  let calls = 0;
  const load = memoize(cache, function load(id: number) {
    calls++;
    return Promise.resolve({ id });
  });
  const first = load(1);
  assert.ok(first instanceof Promise);
  assert.deepEqual(await first, { id: 1 });
  assert.deepEqual(cache.get(load.cacheKey(1)), { id: 1 }, "the resolved value is stored, not the promise");
  const second = load(1);
  assert.ok(second instanceof Promise, "a hit is a promise too, once the function proved async");
  assert.deepEqual(await second, { id: 1 });
  assert.equal(calls, 1);
  assert.equal(
    await memoize(cache, function none() {
      return Promise.resolve(undefined);
    })(),
    undefined,
  );
  assert.equal(cache.length, 1, "undefined is never stored");
});

class Users {
  get(id: number) {
    return { user: id };
  }
  load = (id: number) => ({ user: id });
}
class Orders {
  get(id: number) {
    return { order: id };
  }
}

test("memoize() refuses a function whose own name cannot tell it apart (methods, arrows, bound, default, anonymous) and asks for { name }", () => {
  using cache = tempCache();
  const refused = [
    new Users().get,
    new Orders().get,
    new Users().load,
    function named() {}.bind(null),
    { default: function () {} }.default,
    (() => {
      const local = () => 1;
      return local;
    })(),
  ];
  for (const fn of refused) {
    assert.throws(() => cache.memoize(fn as () => unknown), (e: unknown) => e instanceof TypeError && /pass options\.name/.test(e.message), fn.name);
    assert.throws(() => memoizeStampede(cache, fn as () => unknown, { ttl: 1000 }), /pass options\.name/, "memoizeStampede follows the same rule");
    assert.throws(() => throttle(cache, 1, 1000, fn as () => unknown), /pass options\.name/, "throttle too");
  }
  assert.throws(() => cache.memoize(new Users().get), /its name "get" cannot tell it apart/);
  assert.throws(() => cache.memoize(function f() {}, { name: "" }), /"name" must be a non-empty string/);
  // With names, the two methods never share results.
  const users = cache.memoize(new Users().get, { name: "Users.get" });
  const orders = cache.memoize(new Orders().get, { name: "Orders.get" });
  assert.deepEqual(users(1), { user: 1 });
  assert.deepEqual(orders(1), { order: 1 });
  // A function declared with its name keeps working without one.
  assert.deepEqual(cache.memoize(async function declared() {}).cacheKey(), [`${HERE}:declared`]);
  assert.deepEqual(cache.memoize(function* generator() {}).cacheKey(), [`${HERE}:generator`]);
});

test("memoize() checks ttl, tag and key when it is created, not at each call", () => {
  using cache = tempCache();
  function f() {
    return 1;
  }
  assert.throws(() => memoize(cache, f, { ttl: -1 }), (e: unknown) => e instanceof RangeError && /"ttl" must be a positive number/.test(e.message));
  assert.throws(() => memoize(cache, f, { ttl: NaN }), RangeError);
  assert.throws(() => memoize(cache, f, { ttl: "5" as never }), RangeError);
  assert.throws(() => memoize(cache, f, { tag: {} as never }), /"tag" must be/);
  assert.throws(() => memoize(cache, f, { key: 5 as never }), /"key" must be a function/);
  assert.equal(memoize(cache, f, { ttl: 1000, tag: new Uint8Array([1]) })(), 1);
});

test("memoize() returns a result the cache cannot store, uncached, and warns once per memoized function", async () => {
  using cache = tempCache();
  let calls = 0;
  const warnings = await withConsole("warn", async () => {
    const make = cache.memoize(function make(n: number) {
      calls++;
      return () => n; // a function: the codec cannot store it
    });
    assert.equal(make(1)(), 1);
    assert.equal(make(1)(), 1);
    assert.equal(calls, 2, "not cached");
    // deno-lint-ignore require-await -- an async function: the warning for a promise-returning function is what is tested
    const later = cache.memoize(async function later() {
      return Symbol("no");
    });
    assert.equal(typeof await later(), "symbol");
    await later();
  });
  assert.equal(warnings.length, 2, "one warning per memoized function");
  assert.match(String(warnings[0]![0]), new RegExp(`^memoize\\(${HERE}:make\\): a result could not be cached`));
  assert.match(String(warnings[1]![0]), new RegExp(`^memoize\\(${HERE}:later\\)`));
});

test("memoize() warns with what a cache's set() threw when it is not an Error, and still returns the result", async () => {
  const failing: MemoizeCache = {
    get: () => undefined,
    set: () => {
      throw "disk on fire"; // a thrown string: no message property
    },
  };
  let result: number | undefined;
  const warnings = await withConsole("warn", () => {
    result = memoize(failing, function hot() {
      return 1;
    })();
  });
  assert.equal(result, 1);
  assert.equal(warnings.length, 1);
  assert.match(String(warnings[0]![0]), /a result could not be cached and was returned uncached \(reported once per memoized function\): disk on fire$/);
});

test("memoize() on a FanoutCache and a DiskCache keys methods apart once named", () => {
  using dir = tempDir();
  using fanout = new FanoutCache(dir.path + "/f", { shards: 2 });
  using disk = new DiskCache(dir.path + "/d");
  for (const cache of [fanout, disk]) {
    assert.throws(() => cache.memoize(new Users().get), TypeError);
    const a = cache.memoize(new Users().get, { name: "Users.get" }), b = cache.memoize(new Orders().get, { name: "Orders.get" });
    assert.deepEqual([a(7), b(7)], [{ user: 7 }, { order: 7 }]);
  }
});

type Module = {
  loader: ((id: number) => unknown) & { cacheKey(id: number): unknown[] };
  stampeded: (id: number) => Promise<unknown>;
  count(): number;
};

test("memoize() and memoizeStampede(): `function load` of two modules never share results; the key names the module", async () => {
  using dir = tempDir();
  const files = twoModules(join(dir.path, "app"));
  using cache = new DiskCache(join(dir.path, "cache"));
  (globalThis as { memoizeTest?: unknown }).memoizeTest = { memoize, memoizeStampede, cache };
  const users = await import(pathToFileURL(files.users).href) as Module;
  const orders = await import(pathToFileURL(files.orders).href) as Module;
  assert.deepEqual(users.loader(1), { user: 1 });
  assert.deepEqual(orders.loader(1), { order: 1 }, "not the user's result");
  assert.deepEqual(users.loader(1), { user: 1 });
  assert.deepEqual(users.loader.cacheKey(1), ["app/users:load", 1]);
  assert.deepEqual(orders.loader.cacheKey(1), ["app/orders:load", 1]);
  assert.deepEqual([users.count(), orders.count()], [1, 1]);
  assert.deepEqual(await users.stampeded(2), { user: 2 });
  assert.deepEqual(await orders.stampeded(2), { order: 2 }, "memoizeStampede: not the user's result");
  assert.deepEqual(cache.get(["stampede", "app/orders:load", 2]), [{ order: 2 }, cache.get<[unknown, number]>(["stampede", "app/orders:load", 2])![1]]);
  assert.deepEqual([users.count(), orders.count()], [2, 2]);
  delete (globalThis as { memoizeTest?: unknown }).memoizeTest;
});

test("memoize(): two functions that claim one name for one cache are refused; other caches and the same function are not", () => {
  using cache = tempCache();
  using other = tempCache();
  const make = () =>
    function load(id: number) {
      return id;
    };
  const first = make(), second = make();
  cache.memoize(first);
  cache.memoize(first, { ttl: 1000 }); // the same function again
  assert.throws(
    () => cache.memoize(second),
    (e: unknown) =>
      e instanceof TypeError && e.message.includes(`another function is already memoized as "${HERE}:load" in the cache at ${cache.directory}`) &&
      /give each its own options\.name/.test(e.message),
  );
  assert.throws(() => new DiskCache(cache.directory).memoize(second), /already memoized/, "another instance on the same directory");
  assert.equal(other.memoize(second)(2), 2, "another cache: no conflict");
  cache.memoize(second, { name: "load2" });
  const arrow = (x: number) => x;
  cache.memoize(arrow, { name: "shared" });
  assert.throws(() => cache.memoize((x: number) => x + 1, { name: "shared" }), /another function is already memoized as "shared"/);
  memoizeStampede(cache, first, { ttl: 1000 });
  assert.throws(() => memoizeStampede(cache, second, { ttl: 1000 }), /Cannot memoizeStampede: another function is already memoized as/);
  memoizeStampede(cache, arrow, { ttl: 1000, name: "load2" }); // memoizeStampede's names are its own: its keys never meet memoize's
  // A memoize() that fails on its options claims nothing.
  const third = make();
  assert.throws(() => other.memoize(third, { name: "fresh", ttl: -1 }), RangeError);
  other.memoize(third, { name: "fresh" });
});

test("memoize() finds its caller whatever Error.stackTraceLimit says, and asks for a name when the stack cannot be read", () => {
  using cache = tempCache();
  const limit = Error.stackTraceLimit;
  const prepare = (Error as { prepareStackTrace?: unknown }).prepareStackTrace;
  try {
    Error.stackTraceLimit = 0;
    assert.deepEqual(cache.memoize(function limited() {}).cacheKey(), [`${HERE}:limited`]);
    assert.equal(Error.stackTraceLimit, 0, "put back");
    Error.stackTraceLimit = limit;
    (Error as { prepareStackTrace?: unknown }).prepareStackTrace = () => ({ not: "a string" });
    assert.throws(() => cache.memoize(function unreadable() {}), (e: unknown) => e instanceof TypeError && /call stack.*pass options\.name/.test(e.message));
    assert.deepEqual(cache.memoize(function unreadable() {}, { name: "named" }).cacheKey(), ["named"]);
  } finally {
    Error.stackTraceLimit = limit;
    (Error as { prepareStackTrace?: unknown }).prepareStackTrace = prepare;
  }
});

test("memoize() under Deno without read permission near the caller keys on its absolute path instead of failing (or prompting)", async () => {
  using dir = tempDir();
  const script = join(dir.path, "app", "main.ts"), cacheDir = join(dir.path, "cache");
  mkdirSync(join(dir.path, "app"));
  writeFileSync(
    script,
    `import { DiskCache, memoize } from ${JSON.stringify(pathToFileURL(join(repoRoot, "mod.ts")).href)};\n` +
      `const cache = new DiskCache(${JSON.stringify(cacheDir)});\n` +
      `console.log(JSON.stringify(memoize(cache, function load(id: number) { return id; }).cacheKey(1)));\ncache.close();\n`,
  );
  const deno = join(repoRoot, "node_modules", ".bin", "deno");
  const allowed = [cacheDir, repoRoot].join(",");
  const res = await run(deno, [
    "run",
    "--no-prompt",
    "--config",
    join(repoRoot, "deno.json"),
    `--allow-read=${allowed}`,
    `--deny-read=${script}`,
    `--allow-write=${cacheDir}`,
    "--allow-env",
    "--allow-ffi",
    "--allow-sys",
    script,
  ]);
  assert.equal(res.code, 0, res.stderr);
  assert.deepEqual(JSON.parse(res.stdout.trim()), [`${join(dir.path, "app", "main")}:load`, 1]);
});
