// What a user reads: a closed cache names the call; console.log of a cache
// shows what it is; the /bun entry on another runtime says what to import;
// an unstorable memoized result is one line.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { DiskCache, DiskCacheError, FanoutCache } from "../mod.ts";
import { repoRoot, run, runners, tempDir, withConsole } from "./_helpers.ts";

test("a closed DiskCache or FanoutCache says which call met it closed, never a driver's 'Cannot prepare a statement'", async () => {
  using dir = tempDir();
  const cache = new DiskCache(join(dir.path, "single"));
  const memoized = cache.memoize(function load(n: number) {
    return n;
  });
  const fanout = new FanoutCache(join(dir.path, "fanout"), { shards: 2 });
  cache.set("a", 1);
  cache.close();
  fanout.close();
  cache.close(); // twice is fine
  assert.equal(cache.closed, true);
  assert.equal(fanout.closed, true);
  const closed = (call: string, where: string) => (e: Error) =>
    e instanceof DiskCacheError && e.message.startsWith(`Cannot ${call}: the ${where} at "`) &&
    /is closed \(close\(\) was called\); open a new one/.test(e.message) &&
    !/prepare a statement/.test(e.message);
  const calls: [string, () => unknown][] = [
    ["call get()", () => cache.get("a")],
    ["call check()", () => cache.check()],
    ["call reloadSettings()", () => cache.reloadSettings()],
    ["call set()", () => cache.set("a", 2)],
    ["call add()", () => cache.add("b", 2)],
    ["call push()", () => cache.push(1)],
    ["call setMany()", () => cache.setMany([["a", 1]])],
    ["read .length", () => cache.length],
    ["iterate over it", () => [...cache]],
    ["call get()", () => memoized(1)],
  ];
  for (const [call, fn] of calls) assert.throws(fn, closed(call, "cache"), call);
  await assert.rejects(cache.setStream("s", new Blob(["x"]).stream()), closed("call setStream()", "cache"));
  assert.throws(() => fanout.get("a"), closed("call get()", "FanoutCache"));
  assert.throws(() => fanout.length, closed("read .length", "FanoutCache"));
  await assert.rejects(fanout.setStream("s", new Blob(["x"]).stream()), closed("call setStream()", "FanoutCache"));
  assert.equal(cache.directory, join(dir.path, "single"), "what needs no connection still answers");
  assert.equal(cache.sizeLimit, 2 ** 30);
});

test("console.log of a DiskCache or FanoutCache shows its directory, count and volume (Node, Bun, Deno consoles)", async () => {
  const runs = runners("inspect_worker");
  assert.ok(runs.length >= 3, "Deno, Bun and Node at least");
  for (const r of runs) {
    using dir = tempDir();
    const res = await run(r.cmd, [...r.args, dir.path]);
    assert.equal(res.code, 0, `${r.name}: ${res.stderr}`);
    const lines = res.stdout.trim().split("\n");
    const single = JSON.stringify(join(dir.path, "single")), fanout = JSON.stringify(join(dir.path, "fanout"));
    assert.match(lines[0]!, new RegExp(`^DiskCache \\{ directory: ${escape(single)}, count: 2, volume: \\d+ \\}$`), `${r.name}: ${lines[0]}`);
    assert.match(lines[1]!, new RegExp(`^FanoutCache \\{ directory: ${escape(fanout)}, shards: 2, count: 1, volume: \\d+ \\}$`), `${r.name}: ${lines[1]}`);
    assert.equal(lines[2], `DiskCache { directory: ${single}, closed: true }`, r.name);
    assert.equal(lines[3], `FanoutCache { directory: ${fanout}, closed: true }`, r.name);
    assert.ok(Number(/volume: (\d+)/.exec(lines[0]!)![1]) >= 50_000, "the value file counts in the volume");
  }
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

test("importing the /bun entry on Node or Deno fails with our message saying to import the default entry", async () => {
  const program = (path: string) => `import(${JSON.stringify(path)}).then(() => console.log("loaded"), (e) => { console.log(e.message); })`;
  const source = join(repoRoot, "runtimes", "bun.ts");
  const tries: [string, string, string[]][] = [];
  for (const r of runners("exit_flush_worker")) {
    if (r.name === "bun") continue;
    if (r.name === "node20") tries.push([r.name, r.cmd, ["--input-type=module", "-e", program(join(repoRoot, "dist", "runtimes", "bun.js"))]]);
    else if (r.name === "deno") tries.push([r.name, r.cmd, ["eval", program(source)]]);
    else tries.push([r.name, r.cmd, ["--no-warnings", "--input-type=module", "-e", program(source)]]);
  }
  assert.ok(tries.some(([name]) => name === "deno") && tries.some(([name]) => name.startsWith("node")), tries.map(([n]) => n).join());
  for (const [name, cmd, args] of tries) {
    const res = await run(cmd, args);
    assert.match(
      res.stdout,
      /^Cannot load "@diskcache\/diskcache\/bun" on (Node|Deno) [\d.]+: it is the driver for Bun's built-in bun:sqlite\. Import "@diskcache\/diskcache" instead/,
      `${name}: ${res.stdout}${res.stderr}`,
    );
  }
});

test("an unstorable memoized result is reported in one line, without a stack trace", async () => {
  using dir = tempDir();
  using cache = new DiskCache(dir.path);
  const warnings = await withConsole("warn", () => {
    const make = cache.memoize(function make(n: number) {
      return () => n; // a function: the codec cannot store it
    });
    assert.equal(make(1)(), 1);
  });
  assert.equal(warnings.length, 1);
  assert.equal(warnings[0]!.length, 1, "one argument: a line of text, not an Error object printed with its stack");
  const line = String(warnings[0]![0]);
  assert.match(line, /^memoize\((?:\S+:)?make\): a result could not be cached and was returned uncached \(reported once per memoized function\): .+/);
  assert.doesNotMatch(line, /\n/);
});
