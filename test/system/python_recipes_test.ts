// The recipes beside python-diskcache's, both processes live at once, both
// directions: a Python holder excludes us until it releases, and we exclude
// Python until we release (Lock, RLock, BoundedSemaphore, barrier), and a
// throttle's bucket is one bucket for both. On a Cache and on a FanoutCache.
import { test } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { join } from "node:path";
import { Averager, barrier, BoundedSemaphore, DiskCache, FanoutCache, Lock, RLock, throttle } from "../../mod.ts";
import { pickle, unpickle } from "../../src/format/pickle.ts";
import { python, run, sleep, tempDir } from "../_helpers.ts";

/**
 * A Python process holding one of python-diskcache's recipes on `directory`:
 * it runs each command sent (`acquire`, `release`, `call`, `leave`, `exit`)
 * in turn and answers one line per command done.
 */
const DRIVER = `
import sys, threading, diskcache
from diskcache import Averager, Lock, RLock, BoundedSemaphore, barrier, throttle
kind, directory, fanout, key = sys.argv[1:5]
cache = diskcache.FanoutCache(directory, shards=4) if fanout == "1" else diskcache.Cache(directory)
say = lambda *a: print(*a, flush=True)
leave = threading.Event()
if kind == "lock": recipe = Lock(cache, key)
elif kind == "rlock": recipe = RLock(cache, key)
elif kind == "semaphore": recipe = BoundedSemaphore(cache, key, value=2)
elif kind in ("barrier-lock", "barrier-rlock"):
    @barrier(cache, Lock if kind == "barrier-lock" else RLock, name=key)
    def work():
        say("inside")
        leave.wait()
        leave.clear()
elif kind == "averager": recipe = Averager(cache, key)
elif kind == "throttle":
    waits = []
    def no_sleep(seconds):
        waits.append(seconds)
        raise RuntimeError("would wait")
    @throttle(cache, 2, 3600, name=key, sleep_func=no_sleep)
    def call():
        pass
say("ready")
for line in sys.stdin:
    cmd = line.strip()
    if cmd == "acquire": recipe.acquire(); say("acquired")
    elif cmd == "release": recipe.release(); say("released")
    elif cmd == "work": threading.Thread(target=lambda: (work(), say("worked"))).start()
    elif cmd == "leave": leave.set()
    elif cmd == "call":
        try:
            call(); say("called")
        except RuntimeError:
            say("waits %d" % round(waits[-1]))
    elif cmd.startswith("add "): recipe.add(float(cmd[4:])); say("added")
    elif cmd == "get": say(repr(recipe.get()))
    elif cmd == "pop": say(repr(recipe.pop()))
    elif cmd == "exit": break
say("bye")
`;

/** A live Python process running {@linkcode DRIVER}. */
class Py {
  #child: ChildProcessWithoutNullStreams;
  #lines: string[] = [];
  #waiting: ((line: string) => void) | undefined;
  #stderr = "";

  constructor(kind: string, directory: string, fanout: boolean, key: string) {
    this.#child = spawn(python()!, ["-c", DRIVER, kind, directory, fanout ? "1" : "0", key]);
    let buffered = "";
    this.#child.stdout.setEncoding("utf8").on("data", (d: string) => {
      buffered += d;
      for (let i = buffered.indexOf("\n"); i >= 0; i = buffered.indexOf("\n")) {
        const line = buffered.slice(0, i);
        buffered = buffered.slice(i + 1);
        if (this.#waiting) {
          const w = this.#waiting;
          this.#waiting = undefined;
          w(line);
        } else this.#lines.push(line);
      }
    });
    this.#child.stderr.setEncoding("utf8").on("data", (d: string) => (this.#stderr += d));
    this.#child.on("close", (code) => {
      if (this.#waiting) this.#waiting(`exited ${code}: ${this.#stderr}`);
    });
  }

  /** Whether a line is waiting to be read (Python answered something not yet read). */
  get answered(): boolean {
    return this.#lines.length > 0;
  }

  /** The next line Python prints. */
  next(): Promise<string> {
    const line = this.#lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (this.#child.exitCode !== null) return Promise.resolve(`exited ${this.#child.exitCode}: ${this.#stderr}`);
    return new Promise((resolve) => (this.#waiting = resolve));
  }

  send(cmd: string): void {
    this.#child.stdin.write(cmd + "\n");
  }

  /** Sends `cmd` and checks the answer. */
  async do(cmd: string, expect: string): Promise<void> {
    this.send(cmd);
    assert.equal(await this.next(), expect, `python's answer to ${cmd}`);
  }

  async exit(): Promise<void> {
    this.send("exit");
    assert.equal(await this.next(), "bye");
  }

  /** Ends the process if a failed test left it running. */
  [Symbol.dispose](): void {
    if (this.#child.exitCode === null) this.#child.kill("SIGKILL");
  }
}

/**
 * Gives Python time to get in while we hold (it must not), then asserts it
 * did not: the test passes or fails on what Python printed, not on how long
 * anything took; the pause only gives a broken exclusion its chance to show.
 */
async function assertStillWaiting(py: Py, what: string): Promise<void> {
  await sleep(300);
  assert.equal(py.answered, false, `python got in while ${what}`);
}

const kinds: [string, (dir: string) => DiskCache | FanoutCache][] = [
  ["Cache", (dir) => new DiskCache(dir, { evictionPolicy: "none" })],
  ["FanoutCache", (dir) => new FanoutCache(dir, { shards: 4, evictionPolicy: "none" })],
];

for (const [kind, open] of kinds) {
  const fanout = kind === "FanoutCache";

  test(`Lock and python-diskcache's Lock on one key exclude each other, both ways (${kind})`, async (t) => {
    if (python() === undefined) return t.skip("python3 with diskcache is not installed");
    using dir = tempDir();
    const path = join(dir.path, "cache");
    using cache = open(path);
    using py = new Py("lock", path, fanout, "report");
    assert.equal(await py.next(), "ready");
    // Python holds: we are excluded; our release() says we do not hold it (Python's value is a pickled None).
    await py.do("acquire", "acquired");
    const lock = new Lock(cache, "report");
    assert.equal(lock.tryAcquire(), false);
    assert.equal(lock.locked(), true);
    assert.throws(() => lock.release(), /not held by this Lock/);
    await py.do("release", "released");
    assert.equal(lock.tryAcquire(), true);
    // We hold: Python waits until we release.
    py.send("acquire");
    await assertStillWaiting(py, "this Lock held it");
    lock.release();
    assert.equal(await py.next(), "acquired");
    assert.equal(lock.tryAcquire(), false);
    await py.do("release", "released");
    await lock.acquire();
    lock.release();
    await py.exit();
  });

  test(`RLock and python-diskcache's RLock on one key exclude each other, both ways, and Python's released value frees it (${kind})`, async (t) => {
    if (python() === undefined) return t.skip("python3 with diskcache is not installed");
    using dir = tempDir();
    const path = join(dir.path, "cache");
    using cache = open(path);
    using py = new Py("rlock", path, fanout, "user-1");
    assert.equal(await py.next(), "ready");
    // Python holds (twice): we are excluded, without an error.
    await py.do("acquire", "acquired");
    await py.do("acquire", "acquired");
    const lock = new RLock(cache, "user-1");
    assert.equal(lock.tryAcquire(), false);
    assert.equal(lock.locked(), true);
    assert.throws(() => lock.release(), /not held by this RLock/);
    await py.do("release", "released");
    assert.equal(lock.tryAcquire(), false, "Python still holds one level");
    await py.do("release", "released");
    // Python leaves ("pid-tid", 0) behind: free.
    assert.equal(lock.locked(), false);
    assert.equal(lock.tryAcquire(), true);
    assert.equal(lock.tryAcquire(), true, "re-entered");
    // We hold: Python waits (its acquire reads our value without an error) until we release both levels.
    py.send("acquire");
    await assertStillWaiting(py, "this RLock held it");
    lock.release();
    await assertStillWaiting(py, "this RLock held one level");
    lock.release();
    assert.equal(await py.next(), "acquired");
    assert.equal(new RLock(cache, "user-1").tryAcquire(), false);
    await py.do("release", "released");
    await lock.acquire();
    lock.release();
    await py.exit();
  });

  test(`BoundedSemaphore and python-diskcache's BoundedSemaphore share one count, both ways (${kind})`, async (t) => {
    if (python() === undefined) return t.skip("python3 with diskcache is not installed");
    using dir = tempDir();
    const path = join(dir.path, "cache");
    using cache = open(path);
    using py = new Py("semaphore", path, fanout, "downloads");
    assert.equal(await py.next(), "ready");
    const sem = new BoundedSemaphore(cache, "downloads", { value: 2, ttl: 60_000 });
    // Python holds both slots: we are excluded; one freed is ours.
    await py.do("acquire", "acquired");
    await py.do("acquire", "acquired");
    assert.equal(sem.tryAcquire(), false);
    await py.do("release", "released");
    assert.equal(sem.tryAcquire(), true);
    assert.equal(sem.tryAcquire(), false, "Python holds the other slot");
    await py.do("release", "released"); // Python's release sees a count it can raise, and does not raise
    assert.equal(sem.tryAcquire(), true);
    // We hold both: Python waits until we release one, and releases its own after.
    py.send("acquire");
    await assertStillWaiting(py, "this BoundedSemaphore held every slot");
    sem.release();
    assert.equal(await py.next(), "acquired");
    assert.equal(sem.tryAcquire(), false);
    await py.do("release", "released");
    sem.release();
    await py.do("acquire", "acquired");
    await py.do("acquire", "acquired");
    await py.do("release", "released");
    await py.do("release", "released");
    await py.exit();
  });

  for (const lockKind of ["lock", "rlock"] as const) {
    test(`barrier and python-diskcache's barrier of one name (${lockKind === "lock" ? "Lock" : "RLock"}) exclude each other, both ways (${kind})`, async (t) => {
      if (python() === undefined) return t.skip("python3 with diskcache is not installed");
      using dir = tempDir();
      const path = join(dir.path, "cache");
      using cache = open(path);
      using py = new Py(`barrier-${lockKind}`, path, fanout, "nightly");
      assert.equal(await py.next(), "ready");
      const events: string[] = [];
      let leave = () => {};
      const work = barrier(
        cache,
        (c, k, o) => lockKind === "lock" ? new Lock(c, k, o) : new RLock(c, k, o),
        async () => {
          events.push("js inside");
          await new Promise<void>((resolve) => (leave = resolve));
          events.push("js leaves");
        },
        { name: "nightly" },
      );
      // Python inside: our call waits until Python leaves.
      await py.do("work", "inside");
      const ours = work();
      await sleep(300);
      assert.deepEqual(events, [], "we got in while Python was inside");
      await py.do("leave", "worked");
      while (events.length === 0) await sleep(5);
      assert.deepEqual(events, ["js inside"]);
      // We are inside: Python's call waits until we leave.
      py.send("work");
      await assertStillWaiting(py, "this barrier was inside");
      leave();
      await ours;
      assert.equal(await py.next(), "inside");
      await py.do("leave", "worked");
      await py.exit();
    });
  }

  test(`throttle and python-diskcache's throttle of one name share one bucket, both ways (${kind})`, async (t) => {
    if (python() === undefined) return t.skip("python3 with diskcache is not installed");
    using dir = tempDir();
    const path = join(dir.path, "cache");
    using cache = open(path);
    // Python's decorator fills the bucket as it starts (2 calls an hour).
    using py = new Py("throttle", path, fanout, "api");
    assert.equal(await py.next(), "ready");
    const waits: number[] = [];
    let calls = 0;
    const call = throttle(cache, 2, 3_600_000, () => ++calls, {
      name: "api",
      sleep: (ms) => {
        waits.push(ms);
        return Promise.reject(new Error("would wait"));
      },
    });
    // Python spends the bucket: our call must wait for a token (half an hour at 2 an hour).
    await py.do("call", "called");
    await py.do("call", "called");
    await assert.rejects(call(), /would wait/);
    assert.equal(calls, 0);
    assert.ok(waits[0]! > 1_700_000 && waits[0]! <= 1_800_000, `we were asked to wait ${waits[0]} ms`);
    // We spend it: Python must wait.
    cache.delete("api");
    await call();
    await call();
    assert.equal(calls, 2);
    py.send("call");
    const line = await py.next();
    assert.match(line, /^waits (\d+)$/, `python: ${line}`);
    const seconds = Number(line.split(" ")[1]);
    assert.ok(seconds > 1700 && seconds <= 1800, `python was asked to wait ${seconds} s`);
    await py.exit();
  });
}

for (const [kind, open] of kinds) {
  test(`Averager and python-diskcache's Averager of one key keep one average, both ways (${kind})`, async (t) => {
    if (python() === undefined) return t.skip("python3 with diskcache is not installed");
    using dir = tempDir();
    const path = join(dir.path, "cache");
    using cache = open(path);
    using py = new Py("averager", path, kind === "FanoutCache", "latency");
    assert.equal(await py.next(), "ready");
    const avg = new Averager(cache, "latency");
    await py.do("add 1", "added");
    await py.do("add 2", "added");
    assert.equal(avg.get(), 1.5);
    avg.add(6);
    await py.do("get", "3.0");
    await py.do("add 3", "added");
    assert.equal(avg.pop(), 3);
    await py.do("get", "None");
    avg.add(5);
    await py.do("pop", "5.0");
    assert.equal(avg.get(), undefined);
    await py.exit();
  });
}

test("the recipes' pickles: Python's tuples of plain data read back in every protocol 2-5, ours load in Python, anything else is refused", async (t) => {
  if (python() === undefined) return t.skip("python3 with diskcache is not installed");
  const values = `[("123-456", 1), (1733600000.25, 2), (0.0, 0), (-1, -300, 70000, -2**40, 2**63 - 1, -2**63, 2**70), (None, True, False),
    (), ("é\\u0000x",), [1, [2, "a"]], b"\\x00\\xff", (1.5, (2, (3,)))]`;
  const res = await run(
    python()!,
    [
      "-c",
      `import pickle, json, sys
values = ${values}
print(json.dumps([[pickle.dumps(v, protocol=p).hex() for p in (2, 3, 4, 5)] for v in values]))
refused = [pickle.dumps(v, protocol=p).hex() for p in (0, 1, 2, 3, 4, 5) for v in ({"a": 1}, {1, 2}, 1j, range(3))] + [pickle.dumps(("x", 1), protocol=0).hex()]
print(json.dumps(refused))
ours = [bytes.fromhex(h) for h in json.loads(sys.stdin.read())]
print(json.dumps([repr(pickle.loads(b)) for b in ours]))`,
    ],
    JSON.stringify(
      [["123-456", 1], [1733600000.25, 2], [-1, -300, 70000, -(2 ** 40), 2n ** 63n - 1n, -(2n ** 63n), 2n ** 70n], [null, true, false], [], ["é\0x"], [0.5, [
        2,
        [3],
      ]], new Uint8Array([0, 255])].map((v) => Buffer.from(pickle(v).bytes).toString("hex")),
    ),
  );
  assert.equal(res.code, 0, res.stderr);
  const [dumps, refused, loaded] = res.stdout.trim().split("\n").map((l) => JSON.parse(l));
  const expected = [
    ["123-456", 1],
    [1733600000.25, 2],
    [0, 0],
    [-1, -300, 70000, -(2 ** 40), 2n ** 63n - 1n, -(2n ** 63n), 2n ** 70n],
    [null, true, false],
    [],
    ["é\0x"],
    [1, [2, "a"]],
    undefined,
    [1.5, [2, [3]]],
  ];
  (dumps as string[][]).forEach((protocols, i) =>
    protocols.forEach((hex, p) => {
      const got = unpickle(Buffer.from(hex, "hex"));
      // bytes in protocol 2 are a call to codecs.encode: refused, as every call is
      if (i === 8) assert.deepEqual(got, p === 0 ? undefined : new Uint8Array([0, 255]), `bytes, protocol ${p + 2}`);
      else assert.deepEqual(got, expected[i], `value ${i}, protocol ${p + 2}`);
    })
  );
  for (const hex of refused as string[]) assert.equal(unpickle(Buffer.from(hex, "hex")), undefined, hex);
  assert.deepEqual(loaded, [
    "('123-456', 1)",
    "(1733600000.25, 2)",
    "(-1, -300, 70000, -1099511627776, 9223372036854775807, -9223372036854775808, 1180591620717411303424)",
    "(None, True, False)",
    "()",
    "('é\\x00x',)",
    "(0.5, (2, (3,)))",
    "b'\\x00\\xff'",
  ]);
  // Damaged or hostile bytes never throw: every prefix of a good pickle, and random bytes after a protocol header.
  const good = pickle(["123-456", 1]).bytes;
  for (let n = 0; n < good.length; n++) assert.equal(unpickle(good.subarray(0, n)), undefined);
  let seed = 7;
  for (let i = 0; i < 2000; i++) {
    const bytes = new Uint8Array(2 + (i % 40));
    bytes[0] = 0x80, bytes[1] = 4;
    for (let j = 2; j < bytes.length; j++) bytes[j] = (seed = (seed * 1103515245 + 12345) % 2 ** 31) & 0xff;
    unpickle(bytes);
  }
});

test("a value Python pickled that is not a recipe's (a dict) holds every recipe on its key: tryAcquire() is false, nothing throws UnreadableValue", async (t) => {
  if (python() === undefined) return t.skip("python3 with diskcache is not installed");
  using dir = tempDir();
  const path = join(dir.path, "cache");
  using cache = new DiskCache(path, { evictionPolicy: "none" });
  const res = await run(python()!, ["-c", `import sys, diskcache\nc = diskcache.Cache(sys.argv[1])\nc["odd"] = {"a": 1}`, path]);
  assert.equal(res.code, 0, res.stderr);
  const rlock = new RLock(cache, "odd"), lock = new Lock(cache, "odd"), sem = new BoundedSemaphore(cache, "odd", { value: 3 });
  assert.equal(rlock.tryAcquire(), false);
  assert.equal(rlock.locked(), true);
  assert.throws(() => rlock.release(), /not held by this RLock/);
  assert.equal(lock.tryAcquire(), false);
  assert.throws(() => lock.release(), /not held by this Lock/);
  assert.equal(sem.tryAcquire(), false);
  assert.equal(new Averager(cache, "odd").get(), undefined);
  cache.delete("odd");
  assert.equal(rlock.tryAcquire(), true);
  rlock.release();
});
