// System tests split from test/recipes_barrier_test.ts: they start processes of other runtimes, Python or servers,
// and run once per `npm test` (the "system" row, on Node 24).
import { test } from "node:test";
import { assertWorkersExclude } from "../_helpers.ts";

test("barrier excludes processes of every runtime: appends never interleave", async () => {
  await assertWorkersExclude("barrier");
});
