import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import {
  Averager,
  barrier,
  BoundedSemaphore,
  DiskCache,
  DiskCacheError,
  type DiskCacheOptions,
  FanoutCache,
  Lock,
  memoizeStampede,
  RLock,
  throttle,
  Timeout,
} from "../mod.ts";
import { repoRoot, runJson, runners, tempCache, tempDir } from "./_helpers.ts";

test("Lock: one holder at a time in one process; release checks ownership; ttl frees a dead holder", async () => {
  let now = 0;
  using cache = tempCache({ evictionPolicy: "none", clock: () => now });
  const a = new Lock(cache, "l", { ttl: 1000 }), b = new Lock(cache, "l", { ttl: 1000 });
  await a.acquire();
  assert.equal(b.tryAcquire(), false);
  assert.throws(() => b.release(), DiskCacheError);
  let bHas = false;
  const waiting = b.acquire().then(() => (bHas = true));
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(bHas, false, "b waits without blocking the event loop");
  a.release();
  await waiting;
  assert.equal(bHas, true);
  now = 5000; // b's holder "died": its ttl ran out
  const c = new Lock(cache, "l");
  assert.equal(c.tryAcquire(), true);
  assert.throws(() => b.release(), /ttl ran out/);
  c.release();
  const controller = new AbortController();
  await a.acquire();
  const aborted = new Lock(cache, "l").acquire({ signal: controller.signal });
  controller.abort();
  await assert.rejects(aborted, /aborted/);
  {
    await using _ = new Lock(cache, "m");
    await _.acquire();
    assert.equal(new Lock(cache, "m").locked(), true);
  }
  assert.equal(new Lock(cache, "m").locked(), false);
});

test("RLock re-enters for its holder and excludes others", async () => {
  using cache = tempCache({ evictionPolicy: "none" });
  const a = new RLock(cache, "r"), b = new RLock(cache, "r");
  await a.acquire();
  await a.acquire();
  assert.equal(b.tryAcquire(), false);
  a.release();
  assert.equal(b.tryAcquire(), false);
  a.release();
  assert.equal(b.tryAcquire(), true);
  assert.throws(() => a.release(), DiskCacheError);
});

test("BoundedSemaphore allows value holders and refuses over-release", async () => {
  using cache = tempCache({ evictionPolicy: "none" });
  const s = new BoundedSemaphore(cache, "s", { value: 2 });
  await s.acquire();
  await s.acquire();
  assert.equal(s.tryAcquire(), false);
  s.release();
  s.release();
  assert.throws(() => s.release(), RangeError);
  assert.throws(() => new BoundedSemaphore(cache, "s", { value: 0 }), RangeError);
});

test("Averager, throttle and barrier", async () => {
  using cache = tempCache({ evictionPolicy: "none" });
  const avg = new Averager(cache, "a");
  for (const v of [1, 2, 3, 4]) avg.add(v);
  assert.equal(avg.get(), 2.5);
  assert.throws(() => avg.add(NaN), TypeError);
  let now = 0;
  const sleeps: number[] = [];
  let calls = 0;
  const t = throttle(cache, 2, 1, function tick() {
    return ++calls;
  }, {
    clock: () => now,
    sleep: (ms) => {
      sleeps.push(ms);
      now += ms;
      return Promise.resolve();
    },
  });
  await t();
  await t();
  assert.deepEqual(sleeps, [], "two calls per second pass at once");
  await t();
  assert.equal(sleeps.length, 1);
  assert.ok(Math.abs(sleeps[0]! - 500) < 1, `the third waits for a token: ${sleeps[0]} ms`);
  let inside = 0, most = 0;
  const guarded = barrier(cache, (c, k, o) => new Lock(c, k, o), async function guarded() {
    most = Math.max(most, ++inside);
    await new Promise((r) => setTimeout(r, 5));
    inside--;
  });
  await Promise.all([guarded(), guarded(), guarded()]);
  assert.equal(most, 1, "barrier runs one call at a time");
});

test("Lock excludes processes of Deno, Bun and Node: appends inside it never interleave", async () => {
  using dir = tempDir();
  const log = join(dir.path, "log.txt");
  writeFileSync(log, "");
  new DiskCache(join(dir.path, "cache"), { evictionPolicy: "none" }).close();
  const procs = runners("lock_worker");
  const results = await Promise.all(procs.map((r, i) => runJson<{ id: string }>(r, [join(dir.path, "cache"), log, `${r.name}${i}`, "15"])));
  assert.equal(results.length, procs.length);
  const lines = readFileSync(log, "utf8").trim().split("\n");
  assert.equal(lines.length, procs.length * 15 * 2);
  for (let i = 0; i < lines.length; i += 2) {
    const [begin, who] = lines[i]!.split(" ");
    assert.equal(begin, "begin", `line ${i}: ${lines[i]}`);
    assert.equal(lines[i + 1], `end ${who}`, `line ${i + 1} closes the section ${who} opened`);
  }
});

test("memoizeStampede computes a missing value once across processes of every runtime", async () => {
  using dir = tempDir();
  new DiskCache(dir.path).close();
  const procs = runners("stampede_worker");
  const results = await Promise.all(procs.map((r) => runJson<{ ids: number[] }>(r, [dir.path])));
  for (const r of results) assert.deepEqual(r.ids, [1, 1, 1]);
  using cache = new DiskCache(dir.path);
  assert.equal(cache.get("calls"), 1, `${procs.length} processes, one call of the function`);
});

test("memoizeStampede recomputes early, once, while serving the cached value", async () => {
  using cache = tempCache();
  let calls = 0;
  // deno-lint-ignore require-await -- the recipe is given an async function, as callers write it
  const f = memoizeStampede(cache, async function f() {
    calls++;
    return calls;
  }, { ttl: 50, beta: 1e9 }); // a huge beta makes every hit look due
  assert.equal(await f(), 1);
  assert.equal(await f(), 1, "the stale value is served");
  for (let waited = 0; calls < 2 && waited < 5000; waited += 5) await new Promise((r) => setTimeout(r, 5));
  assert.equal(calls, 2, "one background recomputation");
  for (let waited = 0; (cache.get(["stampede", "f"]) as [number])?.[0] !== 2 && waited < 5000; waited += 5) {
    await new Promise((r) => setTimeout(r, 5));
  }
  assert.equal(await f(), 2, "its result replaced the cached value");
  // The call above started another early recomputation: let it store its result.
  for (let waited = 0; (cache.get(["stampede", "f"]) as [number])?.[0] !== 3 && waited < 5000; waited += 5) {
    await new Promise((r) => setTimeout(r, 5));
  }
  assert.throws(() => memoizeStampede(cache, async function g() {}, {} as never), /"ttl"/);
});

function assertNoInterleaving(log: string, expected: number): void {
  const lines = readFileSync(log, "utf8").trim().split("\n");
  assert.equal(lines.length, expected);
  for (let i = 0; i < lines.length; i += 2) {
    const [begin, who] = lines[i]!.split(" ");
    assert.equal(begin, "begin", `line ${i}: ${lines[i]}`);
    assert.equal(lines[i + 1], `end ${who}`);
  }
}

for (const mode of ["rlock", "barrier"] as const) {
  test(`${mode === "rlock" ? "RLock" : "barrier"} excludes processes of every runtime: appends never interleave`, async () => {
    using dir = tempDir();
    const log = join(dir.path, "log.txt");
    writeFileSync(log, "");
    const procs = runners("recipe_worker");
    await Promise.all(procs.map((r, i) => runJson(r, [mode, join(dir.path, "cache"), log, `${r.name}${i}`])));
    assertNoInterleaving(log, procs.length * 10 * 2);
  });
}

test("BoundedSemaphore, Averager and throttle across processes of every runtime", async () => {
  using dir = tempDir();
  const path = join(dir.path, "cache");
  const procs = runners("recipe_worker");
  await Promise.all(procs.map((r, i) => runJson(r, ["semaphore", path, String(i)])));
  await Promise.all(procs.map((r, i) => runJson(r, ["averager", path, String(i)])));
  await Promise.all(procs.map((r, i) => runJson(r, ["throttle", path, String(i)])));
  using cache = new DiskCache(path);
  assert.ok((cache.get("most") as number) <= 2, `at most 2 holders at once, saw ${cache.get("most")}`);
  assert.equal(cache.get("holders"), 0);
  assert.equal(new Averager(cache, "avg").get(), 5.5);
  assert.equal(cache.get("throttled"), procs.length * 5);
  // The token bucket's promise, whatever the processes' start times: in any
  // window of t ms, at most 5 + 5 * t / 1000 calls (one extra for rounding).
  const times: number[] = [];
  for (let item = cache.pull({ prefix: "calls" }); item; item = cache.pull({ prefix: "calls" })) times.push(item[1] as number);
  times.sort((x, y) => x - y);
  assert.equal(times.length, procs.length * 5);
  for (let i = 0; i < times.length; i++) {
    for (let j = i; j < times.length; j++) {
      const allowed = 5 + (5 * (times[j]! - times[i]!)) / 1000 + 1;
      assert.ok(j - i + 1 <= allowed, `${j - i + 1} calls within ${times[j]! - times[i]!} ms`);
    }
  }
});

test("Lock, RLock and BoundedSemaphore release at the end of an await using block; locked() tells whether anyone holds it", async () => {
  using cache = tempCache({ evictionPolicy: "none" });
  const lock = new Lock(cache, "l");
  const rlock = new RLock(cache, "r");
  const sem = new BoundedSemaphore(cache, "s");
  {
    await using held = await lock.acquire();
    await using rheld = await rlock.acquire();
    await using sheld = await sem.acquire();
    assert.equal(held, lock);
    assert.equal(rheld, rlock);
    assert.equal(sheld, sem);
    assert.equal(lock.locked(), true);
    assert.equal(rlock.locked(), true);
    assert.equal(sem.tryAcquire(), false);
  }
  assert.equal(lock.locked(), false);
  assert.equal(rlock.locked(), false);
  assert.equal(sem.tryAcquire(), true, "the slot came back");
});

test("Averager.pop() returns the mean and forgets it", () => {
  using cache = tempCache({ evictionPolicy: "none" });
  const avg = new Averager(cache, "a");
  assert.equal(avg.pop(), undefined);
  avg.add(2);
  avg.add(4);
  assert.equal(avg.pop(), 3);
  assert.equal(avg.get(), undefined);
  assert.equal(avg.pop(), undefined);
});

test("throttle starts a full bucket again when its state expired (ttl) or was removed", async () => {
  using cache = tempCache({ evictionPolicy: "none" });
  let calls = 0;
  const waits: number[] = [];
  const once = throttle(cache, 1, 3600, function hourly() {
    return ++calls;
  }, {
    sleep: (ms) => {
      waits.push(ms);
      cache.delete(["throttle", "hourly"]); // the state goes away while we wait
      return Promise.resolve();
    },
  });
  assert.equal(await once(), 1);
  assert.equal(await once(), 2, "after a wait, a bucket recreated full lets the call through");
  assert.equal(waits.length, 1);
  assert.ok(waits[0]! > 3_000_000, `it asked to wait about an hour: ${waits[0]} ms`);
});

test("memoizeStampede: concurrent calls in one process compute once; the others wait for the result", async () => {
  using cache = tempCache({ evictionPolicy: "none" });
  let calls = 0;
  let finish!: (v: string) => void;
  const gate = new Promise<string>((r) => (finish = r));
  const load = memoizeStampede(cache, async function slow(id: number) {
    calls++;
    return `${await gate} ${id}`;
  }, { ttl: 60_000, beta: 0.5 });
  const first = load(1);
  const second = load(1);
  await new Promise((r) => setTimeout(r, 20)); // let the second call find the marker and start waiting
  finish("value");
  assert.deepEqual(await Promise.all([first, second]), ["value 1", "value 1"]);
  assert.equal(calls, 1);
});

test("memoizeStampede reports a failed background recomputation on console.error by default, and keeps serving the cached value", async () => {
  using cache = tempCache();
  let calls = 0;
  // deno-lint-ignore require-await -- its throw must reach the recipe as a rejection, as from a real backend
  const f = memoizeStampede(cache, async function flaky() {
    if (++calls > 1) throw new Error("backend down");
    return "first";
  }, { ttl: 60_000, beta: 1e9 }); // a huge beta makes every hit look due
  const reported: unknown[][] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => void reported.push(args);
  try {
    assert.equal(await f(), "first");
    assert.equal(await f(), "first", "served while recomputing in the background");
    for (let waited = 0; reported.length === 0 && waited < 5000; waited += 5) await new Promise((r) => setTimeout(r, 5));
  } finally {
    console.error = original;
  }
  assert.equal(reported.length, 1);
  assert.match(String(reported[0]![0]), /memoizeStampede\(flaky\): background recomputation failed/);
  assert.match(String(reported[0]![1]), /backend down/);
  assert.equal((cache.get(["stampede", "flaky"]) as [string, number])[0], "first", "the failure left the cached value alone");
});

// ---- Every recipe on both cache types ----------------------------------

type AnyCache = DiskCache | FanoutCache;
const cacheKinds: [string, (dir: string, options?: DiskCacheOptions) => AnyCache][] = [
  ["DiskCache", (dir, options = {}) => new DiskCache(dir, { evictionPolicy: "none", ...options })],
  ["FanoutCache", (dir, options = {}) => new FanoutCache(dir, { shards: 4, evictionPolicy: "none", ...options })],
];

for (const [kind, open] of cacheKinds) {
  test(`every recipe works on a ${kind}: Lock, RLock, BoundedSemaphore, Averager, throttle, barrier, memoizeStampede`, async () => {
    using dir = tempDir();
    let now = Date.now();
    using cache = open(dir.path);
    const lock = new Lock(cache, "x", { ttl: 60_000 });
    await lock.acquire();
    assert.equal(lock.locked(), true);
    assert.equal(new Lock(cache, "x").tryAcquire(), false);
    lock.release();
    assert.equal(lock.locked(), false, "release() let go: the lock is not left held until its ttl");
    assert.throws(() => lock.release(), DiskCacheError);

    const rlock = new RLock(cache, "r", { ttl: 60_000 });
    await rlock.acquire();
    await rlock.acquire();
    assert.equal(new RLock(cache, "r").tryAcquire(), false);
    rlock.release();
    rlock.release();
    assert.equal(rlock.locked(), false);

    const sem = new BoundedSemaphore(cache, "s", { value: 2, ttl: 60_000 });
    await sem.acquire();
    await sem.acquire();
    assert.equal(new BoundedSemaphore(cache, "s", { value: 2 }).tryAcquire(), false);
    sem.release();
    sem.release();
    assert.throws(() => sem.release(), RangeError);

    const avg = new Averager(cache, "avg");
    for (const v of [1, 2, 3, 4]) avg.add(v);
    assert.equal(avg.get(), 2.5);
    assert.equal(avg.pop(), 2.5);

    const sleeps: number[] = [];
    const tick = throttle(cache, 1, 1, function tick() {
      return "ticked";
    }, { clock: () => now, sleep: (ms) => (sleeps.push(ms), now += ms, Promise.resolve()) });
    assert.equal(await tick(), "ticked");
    assert.equal(await tick(), "ticked");
    assert.equal(sleeps.length, 1, "the second call waited for a token");

    let inside = 0, most = 0;
    const guarded = barrier(cache, (c, k, o) => new Lock(c, k, o), async function guarded() {
      most = Math.max(most, ++inside);
      await new Promise((r) => setTimeout(r, 2));
      inside--;
    });
    await Promise.all([guarded(), guarded(), guarded()]);
    assert.equal(most, 1);

    let calls = 0;
    // deno-lint-ignore require-await -- the recipe is given an async function, as callers write it
    const load = memoizeStampede(cache, async function load(id: number) {
      calls++;
      return { id };
    }, { ttl: 60_000 });
    assert.deepEqual(await load(1), { id: 1 });
    assert.deepEqual(await load(1), { id: 1 });
    assert.equal(calls, 1);
    assert.equal(cache.has(["stampede", "load", 1, "\u0000computing"]), false, "the computing marker was removed");
  });

  test(`Lock on a ${kind} excludes processes of every runtime: appends never interleave`, async () => {
    using dir = tempDir();
    const log = join(dir.path, "log.txt");
    writeFileSync(log, "");
    const where = kind === "FanoutCache" ? `fanout:${join(dir.path, "cache")}` : join(dir.path, "cache");
    open(join(dir.path, "cache")).close();
    const procs = runners("recipe_worker");
    await Promise.all(procs.map((r, i) => runJson(r, ["lock", where, log, `${r.name}${i}`])));
    assertNoInterleaving(log, procs.length * 10 * 2);
  });
}

test("The README's FanoutCache example type-checks and runs (memoizeStampede and Lock on a FanoutCache)", async () => {
  using dir = tempDir();
  // deno-lint-ignore require-await -- stands for the README's asynchronous renderer
  const expensiveRender = async (page: string) => `<h1>${page}</h1>`;
  {
    // From README.md ("Beyond DiskCache"), with a temporary directory.
    using cache = new FanoutCache(join(dir.path, "myapp"), { shards: 8, sizeLimit: 4 * 2 ** 30 });
    const render = memoizeStampede(cache, async function render(page: string) {
      return await expensiveRender(page);
    }, { ttl: 60_000 });

    await using _ = await new Lock(cache.cache("locks", { evictionPolicy: "none" }), "nightly-report", { ttl: 600_000 }).acquire();
    assert.equal(await render("home"), "<h1>home</h1>");
    const onFanout = await new Lock(cache, "on-the-fanout-itself", { ttl: 600_000 }).acquire();
    onFanout.release();
  }
  // The block in the README is the one above, line for line (the source of
  // this test is only readable where it runs from TypeScript).
  const self = fileURLToPath(import.meta.url);
  if (!self.endsWith(".ts")) return;
  const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
  const block = /```ts\nimport \{ FanoutCache, Lock, memoizeStampede \}[^\n]*\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(block, "the README has the example");
  const source = readFileSync(self, "utf8");
  for (const line of block.split("\n").filter((l) => l.trim() !== "")) {
    const mine = line.replace(`"/var/cache/myapp"`, `join(dir.path, "myapp")`);
    assert.ok(source.includes(mine.trim()), `README line is tested here: ${line}`);
  }
});

/** Starts a fixture and resolves with the child once it printed a line of stdout. */
function startHolding(r: { name: string; cmd: string; args: string[] }, args: string[]): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(r.cmd, [...r.args, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.stdout!.setEncoding("utf8").once("data", () => resolve(child));
    child.on("error", reject);
    child.on("close", (code) => reject(new Error(`${r.name} exited ${code} before holding: ${stderr}`)));
  });
}

test("BoundedSemaphore: a SIGKILLed holder's slot comes back after its own ttl, while a live holder re-acquiring keeps its slot", async () => {
  using dir = tempDir();
  const path = join(dir.path, "cache");
  new DiskCache(path, { evictionPolicy: "none" }).close();
  const [runner] = runners("recipe_worker");
  const child = await startHolding(runner!, ["semhold", path, "60000"]);
  const exited = new Promise((r) => child.on("close", r));
  child.kill("SIGKILL");
  await exited;
  using cache = new DiskCache(path, { evictionPolicy: "none" });
  let offset = 0;
  const clock = () => Date.now() + offset;
  const live = new BoundedSemaphore(cache, "held", { value: 2, ttl: 60_000, clock });
  const other = new BoundedSemaphore(cache, "held", { value: 2, ttl: 60_000, clock });
  assert.equal(live.tryAcquire(), true, "one slot left beside the dead holder's");
  assert.equal(other.tryAcquire(), false);
  offset = 40_000; // the live holder lets go and takes a slot again, before any ttl ran out
  live.release();
  assert.equal(live.tryAcquire(), true);
  offset = 70_000; // the dead holder's ttl ran out; the live one's (taken at +40 s) did not
  assert.equal(other.tryAcquire(), true, "the dead holder's slot came back");
  assert.equal(new BoundedSemaphore(cache, "held", { value: 2, clock }).tryAcquire(), false, "two live holders: no third");
  live.release();
  other.release();
  assert.equal(cache.has("held"), false, "no holder left: the key is gone");
});

test("BoundedSemaphore: a holder past its ttl loses its slot to a newcomer and its release() says so; a newcomer's release() works", () => {
  using cache = tempCache({ evictionPolicy: "none" });
  let now = 1_000_000;
  const clock = () => now;
  const a = new BoundedSemaphore(cache, "s", { value: 2, ttl: 1000, clock });
  const b = new BoundedSemaphore(cache, "s", { value: 2, ttl: 1000, clock });
  assert.equal(a.tryAcquire(), true);
  assert.equal(a.tryAcquire(), true);
  assert.equal(b.tryAcquire(), false);
  now += 500;
  a.release(); // before its ttl: fine
  now += 700; // a's remaining slot (taken at 0) is past its ttl
  assert.equal(b.tryAcquire(), true);
  assert.equal(b.tryAcquire(), true);
  assert.equal(new BoundedSemaphore(cache, "s", { value: 2, clock }).tryAcquire(), false, "never more than value holders");
  assert.throws(() => a.release(), /ttl ran out/);
  b.release();
  b.release();
  assert.throws(() => b.release(), RangeError);
  assert.throws(() => new BoundedSemaphore(cache, "s", { clock: 5 as never }), /"clock" must be a function/);
  // A value left by an older version (a bare count), or entries of another shape, count as no holders.
  cache.set("old", 1);
  assert.equal(new BoundedSemaphore(cache, "old").tryAcquire(), true);
  cache.set("odd", [["t", "never"], 5, [7, null]]);
  assert.equal(new BoundedSemaphore(cache, "odd").tryAcquire(), true);
  // Past its ttl, a holder keeps its slot until someone needs it; the one whose ttl ran out first goes first.
  const first = new BoundedSemaphore(cache, "k", { value: 2, ttl: 1000, clock });
  const second = new BoundedSemaphore(cache, "k", { value: 2, ttl: 1000, clock });
  assert.equal(second.tryAcquire(), true);
  now -= 100; // first's slot runs out 100 ms before second's (whatever the order in the list)
  assert.equal(first.tryAcquire(), true);
  now += 5000;
  assert.equal(new BoundedSemaphore(cache, "k", { value: 2, ttl: 1000, clock }).tryAcquire(), true);
  assert.throws(() => first.release(), /ttl ran out/);
  second.release(); // past its ttl, but nobody needed its slot
});

test("throttle: a clock stepped back an hour, or two processes' clocks 10 s apart, never make a call wait more than the period", async () => {
  using cache = tempCache({ evictionPolicy: "none" });
  let now = 10_000_000;
  const sleeps: number[] = [];
  const make = (skew: number) =>
    throttle(cache, 2, 1, function shared() {
      return 1;
    }, { clock: () => now + skew, sleep: (ms) => (sleeps.push(ms), now += ms, Promise.resolve()) });
  const here = make(0);
  await here();
  await here();
  now -= 3_600_000; // the clock steps back an hour
  await here();
  await here();
  assert.ok(sleeps.every((ms) => ms <= 1000), `waits: ${sleeps.join(", ")} ms`);
  sleeps.length = 0;
  const ahead = make(10_000); // another process, its clock 10 s ahead
  for (let i = 0; i < 10; i++) await (i % 2 ? ahead : here)();
  assert.ok(sleeps.every((ms) => ms <= 1000), `waits: ${sleeps.join(", ")} ms`);
  assert.ok(sleeps.reduce((x, y) => x + y, 0) <= 10 * 1000);
  // A lagging clock within the period never mints tokens ahead of the rate.
  sleeps.length = 0;
  cache.delete(["throttle", "shared"]);
  const lagging = make(-300);
  const fresh = make(0);
  let calls = 0;
  for (let i = 0; i < 20; i++) calls += await (i % 2 ? lagging : fresh)();
  const spent = sleeps.reduce((x, y) => x + y, 0);
  assert.ok(calls <= 2 + (2 * spent) / 1000 + 1, `${calls} calls in ${spent} ms`);
  assert.throws(() => throttle(cache, 1, 1, function t() {}, { ttl: -1 }), /"ttl" must be a positive number/);
});

test("memoizeStampede: a background recomputation that ends after close() drops its result quietly; settled() awaits it", async () => {
  using dir = tempDir();
  const cache = new DiskCache(dir.path);
  let calls = 0;
  let finish!: () => void;
  const gate = new Promise<void>((r) => (finish = r));
  const f = memoizeStampede(cache, async function slowly() {
    if (++calls > 1) await gate;
    return calls;
  }, { ttl: 60_000, beta: 1e9 }); // a huge beta makes every hit look due
  assert.equal(await f(), 1);
  assert.equal(await f(), 1, "served while recomputing in the background");
  const reported: unknown[][] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => void reported.push(args);
  try {
    cache.close();
    finish();
    await f.settled();
  } finally {
    console.error = original;
  }
  assert.equal(calls, 2);
  assert.deepEqual(reported, [], "nothing logged");
  // With the cache open, settled() is when the result is stored.
  using open = new DiskCache(dir.path);
  const g = memoizeStampede(open, function again() {
    return ++calls;
  }, { ttl: 60_000, beta: 1e9 });
  const first = await g();
  await g();
  await g.settled();
  assert.equal((open.get(["stampede", "again"]) as [number])[0], first + 1);
});

test("recipes on a FanoutCache whose shard another connection holds: tries answer false, writes retry then throw Timeout, throttle waits", async () => {
  using dir = tempDir();
  using fanout = new FanoutCache(dir.path, { shards: 1, timeout: 1, evictionPolicy: "none" });
  using other = new DiskCache(join(dir.path, "000"), { timeout: 1, evictionPolicy: "none" });
  const rlock = new RLock(fanout, "r");
  const sem = new BoundedSemaphore(fanout, "s");
  const waits: number[] = [];
  const tick = throttle(fanout, 1, 1, function busyTick() {
    return "ticked";
  }, { sleep: (ms) => Promise.resolve(void waits.push(ms)) });
  let ticked: Promise<string> | undefined;
  other.transact(() => {
    assert.equal(rlock.tryAcquire(), false, "busy: not taken now");
    assert.equal(sem.tryAcquire(), false);
    assert.throws(() => new Averager(fanout, "a").add(1), Timeout, "a write that must not be lost is retried, then reported");
    ticked = tick(); // its first try meets the busy shard
  });
  assert.equal(await ticked, "ticked");
  assert.deepEqual(waits, [1], "throttle waited a moment for the shard");
  assert.equal(rlock.tryAcquire(), true);
  rlock.release();
  let reads = 0;
  const broken = throttle(fanout, 1, 1, function broken() {}, {
    clock: () => {
      if (reads++ > 0) throw new Error("no clock");
      return Date.now();
    },
  });
  await assert.rejects(broken(), /no clock/, "an error inside the shard's transaction is not taken for a busy shard");
});

test("memoizeStampede returns a result the cache cannot store, warning once; in the background it goes to onError", async () => {
  using cache = tempCache();
  const warnings: unknown[][] = [];
  const original = console.warn;
  console.warn = (...args: unknown[]) => void warnings.push(args);
  let calls = 0;
  try {
    const make = memoizeStampede(cache, function make() {
      calls++;
      return () => calls; // a function: the codec cannot store it
    }, { ttl: 60_000 });
    assert.equal((await make())(), 1);
    assert.equal((await make())(), 2, "not cached: computed again");
  } finally {
    console.warn = original;
  }
  assert.equal(warnings.length, 1, "warned once");
  assert.match(String(warnings[0]![0]), /memoizeStampede\(make\): a result could not be cached/);
  const errors: unknown[] = [];
  const later = memoizeStampede(cache, function later() {
    return ++calls === 3 ? "storable" : () => "not storable";
  }, { ttl: 60_000, beta: 1e9, onError: (error) => void errors.push(error) });
  assert.equal(await later(), "storable");
  assert.equal(await later(), "storable", "served while recomputing");
  await later.settled();
  assert.equal(errors.length, 1);
  assert.ok(errors[0] instanceof TypeError, String(errors[0]));
});
