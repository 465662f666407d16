// The short stress run of CI (npm run stress runs long ones).
import { test } from "node:test";
import assert from "node:assert/strict";
import { row } from "./_helpers.ts";
import { runStress } from "./stress/stress.ts";

test("stress: processes of every runtime with worker threads leave a cache that checks clean, with exact counters", async (t) => {
  if (row !== "node24" && row !== "unknown") return t.skip("runs in the node24 row only: its processes are of every runtime");
  const report = await runStress({ seconds: 8, processes: 4, threads: 1, ops: 1e9 });
  assert.ok(report.ops > 1000, `${report.ops} operations`);
  for (const [name, c] of Object.entries(report.counters)) assert.equal(c.stored, c.expected, name);
  assert.equal(report.mismatches, 0, "the single writer read back every value it set");
  assert.deepEqual(report.check, []);
  if (report.pythonCheck !== "skipped") assert.deepEqual(report.pythonCheck, []);
});
