// What the memory tier really holds against what it counts (issue 22 #19):
// 40,000 small values of every kind read through a tier of maxBytes 2e6, in a
// process of this test's runtime with its gc exposed
// (fixtures/memory_heap_worker.ts). The heap's growth over the same reads
// without the tier is subtracted; what is left must stay within maxBytes plus
// a stated tolerance. A bound on memory, not on time.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { COSTS } from "../src/ops/memory_tier.ts";
import { runJson, type Runner, runners, tempDir } from "./_helpers.ts";

/** The runtime's own allocations that a full collection does not settle (JIT code, statement caches), as a share of maxBytes. */
const TOLERANCE = 0.1;
const MAX_BYTES = 2_000_000;

/** This test's runtime, running the worker with its gc exposed. */
function here(): Runner {
  const g = globalThis as { Deno?: unknown; Bun?: unknown };
  const row = g.Deno !== undefined ? "deno" : g.Bun !== undefined ? "bun" : process.versions.node.startsWith("20.") ? "node20" : "node24";
  const r = runners("memory_heap_worker").find((x) => x.name === row);
  assert.ok(r !== undefined, `no runner for ${row} (Node 20 runs the build: npm run build first)`);
  if (row === "deno") return { ...r, args: [r.args[0]!, "--v8-flags=--expose-gc", ...r.args.slice(1)] };
  if (row === "bun") return r;
  return { ...r, args: ["--expose-gc", ...r.args] };
}

interface Measured {
  control: number;
  tiered: number;
  memory: { bytes: number; entries: number; hits: number; maxBytes: number };
}

async function measure(kind?: string, maxBytes = MAX_BYTES): Promise<Measured> {
  using dir = tempDir();
  return await runJson<Measured>(here(), [join(dir.path, "cache"), String(maxBytes), ...(kind === undefined ? [] : [kind])]);
}

test("memory tier: 40,000 small values under maxBytes 2e6 hold at most maxBytes of heap, as counted (issue 22 #19)", { timeout: 300_000 }, async () => {
  const r = here();
  const m = await measure();
  const real = m.tiered - m.control;
  const line = `${r.name}: ${m.memory.entries} entries, counted ${m.memory.bytes} bytes, heap +${real} over the reads without the tier`;
  // The tier's own accounting: within its bound, and at least an entry's cost for each entry.
  assert.ok(m.memory.bytes <= MAX_BYTES, line);
  assert.ok(m.memory.entries * COSTS.entry <= m.memory.bytes, line);
  assert.ok(m.memory.entries >= MAX_BYTES / 1000, `the tier still holds a useful number of entries: ${line}`);
  // What it really holds: within maxBytes and the tolerance, and not far below what it counts
  // (an estimate that far above the truth would waste the memory the user granted).
  assert.ok(real <= MAX_BYTES * (1 + TOLERANCE), `heap growth past maxBytes + ${TOLERANCE * 100}%: ${line}`);
  assert.ok(real >= m.memory.bytes * 0.5, `the tier counts more than twice what it holds: ${line}`);
});

test("memory tier: the smallest entries, just past a doubling of the Map's table, hold at most maxBytes", { timeout: 300_000 }, async () => {
  // The table's capacity grows by powers of two: just past 8,192 entries it is twice what they need,
  // the worst case for the per-entry cost (kind 2 of the worker: an integer key and a float).
  const maxBytes = (8192 + 100) * (COSTS.entry + 2 * COSTS.number);
  const m = await measure("2", maxBytes);
  const real = m.tiered - m.control;
  assert.ok(m.memory.entries > 8192, `${m.memory.entries} entries`);
  assert.ok(real <= maxBytes * (1 + TOLERANCE), `heap +${real} for ${m.memory.entries} entries, ${m.memory.bytes} bytes counted, maxBytes ${maxBytes}`);
});

test("memory tier: a key cut from a larger string does not keep that string alive in the tier", { timeout: 300_000 }, async () => {
  const m = await measure("sliced");
  const real = m.tiered - m.control;
  assert.equal(m.memory.entries, 200);
  // 200 keys of 30 characters, each cut from 300,000: the tier holds the 30 (60 MB if it kept the strings cut from).
  assert.ok(real <= MAX_BYTES * (1 + TOLERANCE), `heap +${real} for ${m.memory.bytes} bytes counted`);
});
