// Real processes of different runtimes on one directory: incr and add are
// atomic across all of them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { DiskCache } from "../../mod.ts";
import { runJson, runners, tempDir } from "../_helpers.ts";

test("DiskCache.incr() and add() are atomic across processes of Deno, Bun and Node", async () => {
  using dir = tempDir();
  new DiskCache(dir.path).close();
  const base = runners("incr_add_worker");
  // At least 4 processes, every runtime at least once, two of Deno when Node 20 is missing.
  const procs = base.length >= 4 ? base : [...base, base[0]!];
  const n = 150, range = 120;
  const results = await Promise.all(
    procs.map((r, i) => runJson<{ id: string; driver: string; added: string[] }>(r, [dir.path, `${r.name}-${i}`, String(n), String(range)])),
  );
  using cache = new DiskCache(dir.path);
  assert.equal(cache.get("counter"), n * procs.length, "every increment counted exactly once");
  const all = results.flatMap((r) => r.added);
  assert.equal(all.length, range, "each key was added by exactly one process");
  assert.equal(new Set(all).size, range);
  for (const r of results) for (const key of r.added) assert.equal(cache.get(key), r.id);
  const drivers = new Set(results.map((r) => r.driver));
  assert.ok(drivers.has("bun:sqlite") && drivers.has("node:sqlite"), `drivers used: ${[...drivers].join(", ")}`);
});
