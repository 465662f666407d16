// System tests split from test/settings_stored_test.ts: they start processes of other runtimes, Python or servers,
// and run once per `npm test` (the "system" row, on Node 24).
import { test } from "node:test";
import assert from "node:assert/strict";
import { DiskCache } from "../../mod.ts";
import { runJson, runners, tempDir } from "../_helpers.ts";

test("an open DiskCache applies the settings another process stored (a second open with another sizeLimit) within its next write", async () => {
  for (const r of runners("open_worker")) {
    using dir = tempDir();
    using cache = new DiskCache(dir.path, { sizeLimit: 2 ** 30, cullLimit: 10 });
    using other = new DiskCache(dir.path); // a second connection in this process
    cache.set("before", 1);
    await runJson(r, [dir.path, JSON.stringify({ sizeLimit: 100_000, cullLimit: 1000, statistics: true })]);
    cache.set("after", "x".repeat(2000));
    assert.deepEqual([cache.sizeLimit, cache.cullLimit, cache.statistics], [100_000, 1000, true], `${r.name}: the next write applied the stored settings`);
    for (let i = 0; i < 200; i++) cache.set(i, "x".repeat(2000));
    assert.ok(cache.length < 100, `${r.name}: ${cache.length} items: writes cull by the new limit`);
    assert.ok(cache.volume() < 2 * 100_000, `${r.name}: volume ${cache.volume()} held near the new limit`);
    other.get(1);
    assert.equal(other.sizeLimit, 2 ** 30, "a connection that has not written since keeps the old value...");
    other.set("x", 1);
    assert.deepEqual([other.sizeLimit, other.cullLimit, other.statistics], [100_000, 1000, true], "...until its next write");
    cache.updateSettings({ sizeLimit: 200_000 });
    other.delete("x");
    assert.equal(other.sizeLimit, 200_000, "updateSettings() of another connection too");
  }
});
