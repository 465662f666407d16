// System tests split from test/get_or_set_test.ts: they start processes of other runtimes, Python or servers,
// and run once per `npm test` (the "system" row, on Node 24).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { DiskCache, FanoutCache } from "../../mod.ts";
import { leaseKey } from "../../src/get_or_set.ts";
import { runJson, runners, tempDir, until } from "../_helpers.ts";

for (const kind of ["disk", "fanout"]) {
  test(`getOrSet on a ${kind} cache: concurrent processes of every runtime compute a missing value exactly once`, async () => {
    using dir = tempDir();
    const procs = runners("get_or_set_worker");
    assert.ok(procs.length >= 2, procs.map((p) => p.name).join());
    const all = [...procs, ...procs]; // two processes of each runtime
    const results = await Promise.all(all.map((r, i) => runJson<{ value: { by: string } }>(r, ["race", kind, dir.path, `${r.name}${i}`])));
    const winners = new Set(results.map((r) => r.value.by));
    assert.equal(winners.size, 1, `every process got the one computed value: ${[...winners].join(", ")}`);
    using cache = kind === "fanout" ? new FanoutCache(dir.path, { shards: 4 }) : new DiskCache(dir.path);
    assert.equal(cache.get("computed"), 1, `${all.length} processes, one computation`);
    assert.deepEqual(cache.get(["report", 2026]), results[0]!.value);
  });
}

test("getOrSet: a holder killed mid-computation (SIGKILL) is taken over by a waiting process of another runtime", async () => {
  const procs = runners("get_or_set_worker");
  for (let i = 0; i < procs.length; i++) {
    const holder = procs[i]!, next = procs[(i + 1) % procs.length]!;
    using dir = tempDir();
    new DiskCache(dir.path).close();
    const child = spawn(holder.cmd, [...holder.args, "hold", "disk", dir.path, holder.name], { stdio: "ignore" });
    const exited = new Promise((resolve) => child.on("exit", resolve));
    using cache = new DiskCache(dir.path);
    assert.ok(await until(() => cache.get("started") === holder.name, 60_000), `${holder.name} started computing`);
    const waiter = runJson<{ value: { by: string } }>(next, ["wait", "disk", dir.path, next.name]);
    assert.ok(await until(() => cache.get("waiting") === next.name, 60_000), `${next.name} is waiting`);
    assert.ok(cache.has(leaseKey(["report", 2026])), "the holder's lease is held");
    child.kill("SIGKILL");
    await exited;
    assert.deepEqual((await waiter).value, { by: next.name }, `${next.name} took over from ${holder.name}`);
    assert.equal(cache.get("computed"), 2, "the killed computation and the one that took over");
    assert.equal(cache.has(leaseKey(["report", 2026])), false);
  }
});
