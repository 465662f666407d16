// System tests split from test/recipes_lock_test.ts: they start processes of other runtimes, Python or servers,
// and run once per `npm test` (the "system" row, on Node 24).
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { DiskCache } from "../../mod.ts";
import { assertNoInterleaving, assertWorkersExclude, recipeCaches, runJson, runners, tempDir } from "../_helpers.ts";

test("Lock excludes processes of Deno, Bun and Node: appends inside it never interleave", async () => {
  using dir = tempDir();
  const log = join(dir.path, "log.txt");
  writeFileSync(log, "");
  new DiskCache(join(dir.path, "cache"), { evictionPolicy: "none" }).close();
  const procs = runners("lock_worker");
  const results = await Promise.all(procs.map((r, i) => runJson<{ id: string }>(r, [join(dir.path, "cache"), log, `${r.name}${i}`, "15"])));
  assert.equal(results.length, procs.length);
  assertNoInterleaving(log, procs.length * 15 * 2);
});

test("RLock excludes processes of every runtime: appends never interleave", async () => {
  await assertWorkersExclude("rlock");
});

for (const [kind, open] of recipeCaches) {
  test(`Lock on a ${kind} excludes processes of every runtime: appends never interleave`, async () => {
    await assertWorkersExclude("lock", (cacheDir) => kind === "FanoutCache" ? `fanout:${cacheDir}` : cacheDir, (cacheDir) => open(cacheDir).close());
  });
}
