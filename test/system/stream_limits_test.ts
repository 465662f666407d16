// System tests split from test/stream_limits_test.ts: they start processes of other runtimes, Python or servers,
// and run once per `npm test` (the "system" row, on Node 24).
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { runJson, runners } from "../_helpers.ts";

test("DiskCache.getStream(): streams dropped unread release their descriptors when collected (Deno, Bun, Node)", async (t) => {
  if (!existsSync("/proc/self/fd")) return t.skip("needs /proc");
  for (const r of runners("stream_gc_worker")) {
    const args = r.name === "deno" ? [r.args[0]!, "--v8-flags=--expose-gc", ...r.args.slice(1)] : r.name === "bun" ? r.args : ["--expose-gc", ...r.args];
    const { before, after } = await runJson<{ before: number; after: number }>({ ...r, args }, ["300"]);
    assert.equal(before, 300, `${r.name}: each stream holds the value file open until read, cancelled or collected`);
    assert.equal(after, 0, `${r.name}: ${after} descriptors of unread streams left after garbage collection`);
  }
});
