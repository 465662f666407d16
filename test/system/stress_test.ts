// The short stress run of CI (npm run stress runs long ones).
import { test } from "node:test";
import assert from "node:assert/strict";
import { row } from "../_helpers.ts";
import { runStress } from "../stress/stress.ts";

test("stress: processes of every runtime with worker threads leave a cache that checks clean, with exact counters", async (t) => {
  if (row !== "node24" && row !== "unknown") return t.skip("runs in the node24 row only: its processes are of every runtime");
  // A fixed amount of work, not a time slice: every job runs its 1000
  // operations (the hour is only a ceiling against a hang).
  const options = { seconds: 3600, processes: 4, threads: 1, ops: 1000 };
  const report = await runStress(options);
  assert.equal(report.ops, (options.processes * (options.threads + 1) + 1) * options.ops, "every job ran all its operations");
  for (const [name, c] of Object.entries(report.counters)) assert.equal(c.stored, c.expected, name);
  assert.equal(report.mismatches, 0, "the single writer read back every value it set");
  assert.deepEqual(report.check, []);
  if (report.pythonCheck !== "skipped") assert.deepEqual(report.pythonCheck, []);
});
