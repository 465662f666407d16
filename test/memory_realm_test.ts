// A second instance of the memory tier's module in one realm (as a second
// installed copy of the library would load it) shares the commit count. In a
// file of its own: Node's coverage takes a module imported twice under one
// path (here with a ?query) from one of the two instances only, which hid
// every other test's coverage of memory_tier.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { DiskCache } from "../mod.ts";
import { commitCounter } from "../src/ops/memory_tier.ts";
import { tempDir } from "./_helpers.ts";

test("DiskCache with memory: two copies of the library in one realm count each other's commits", async () => {
  using dir = tempDir();
  using cache = new DiskCache(dir.path);
  // A second instance of the module, as a second installed copy of the library would load it.
  const ext = import.meta.url.endsWith(".js") ? ".js" : ".ts";
  const copy = await import(`../src/ops/memory_tier${ext}?second-copy`) as typeof import("../src/ops/memory_tier.ts");
  assert.notEqual(copy.commitCounter, commitCounter, "a module instance of its own");
  const path = join(cache.directory, "cache.db");
  assert.equal(copy.commitCounter(path), commitCounter(path));
  const before = copy.commitCounter(path).n;
  cache.set("k", 1);
  assert.equal(copy.commitCounter(path).n, before + 1);
});
