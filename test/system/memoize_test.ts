// System tests split from test/memoize_test.ts: they start processes of other runtimes, Python or servers,
// and run once per `npm test` (the "system" row, on Node 24).
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { runJson, runners, tempDir } from "../_helpers.ts";
import { twoModules } from "../_memoize_modules.ts";

test("memoize(): processes of every runtime share a module's results (source and built copy) and never another module's", async () => {
  using dir = tempDir();
  const files = twoModules(join(dir.path, "app"));
  const cacheDir = join(dir.path, "cache");
  const procs = runners("memoize_module_worker");
  assert.ok(procs.length >= 3, procs.map((p) => p.name).join());
  type Out = { value: unknown; key: unknown[]; calls: number };
  const first = await runJson<Out>(procs.at(-1)!, [cacheDir, files.users, "1"]);
  assert.deepEqual(first, { value: { user: 1 }, key: ["app/users:load", 1], calls: 1 });
  for (const p of procs) {
    const orders = await runJson<Out>(p, [cacheDir, files.orders, "1"]);
    assert.deepEqual(orders.value, { order: 1 }, `${p.name}: the orders module's own result`);
    const users = await runJson<Out>(p, [cacheDir, files.builtUsers, "1"]);
    assert.deepEqual(users, { value: { user: 1 }, key: ["app/users:load", 1], calls: 0 }, `${p.name}: the built copy hits the source's result`);
  }
});
