// What a user reads: a closed cache names the call; console.log of a cache
// shows what it is; the /bun entry on another runtime says what to import;
// an unstorable memoized result is one line.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { DiskCache, DiskCacheError, FanoutCache } from "../mod.ts";
import { tempDir, withConsole } from "./_helpers.ts";

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
