// A reader in one process, a writer replacing the same file-backed value in
// another (of a different runtime): every read path returns the old value or
// the new one, never a miss (issue 12 #4).
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { DiskCache } from "../../mod.ts";
import { run, runJson, runners, tempDir, until } from "../_helpers.ts";

test("DiskCache reads return the old or the new value while another runtime's process replaces a value file", async () => {
  using dir = tempDir();
  const cacheDir = join(dir.path, "cache"), stop = join(dir.path, "stop");
  {
    using cache = new DiskCache(cacheDir, { minFileSize: 1000 });
    cache.set(500000000000000, "v-1:".padEnd(4096, "x"));
  }
  const all = runners("replace_worker");
  const writer = all.find((r) => r.name === "bun")!;
  const readers = all.filter((r) => r.name === "deno" || r.name === "node24");
  const writing = run(writer.cmd, [...writer.args, "write", cacheDir, stop]);
  let results: { driver: string; reads: number; bad: string[] }[];
  try {
    using probe = new DiskCache(cacheDir);
    await until(() => !(probe.get<string>(500000000000000) ?? "v-1").startsWith("v-1:"), Infinity); // the writer has started
    results = await Promise.all(readers.map((r) => runJson<{ driver: string; reads: number; bad: string[] }>(r, ["read", cacheDir, "150"])));
  } finally {
    writeFileSync(stop, "");
  }
  const w = await writing;
  assert.equal(w.code, 0, w.stderr);
  const writes = JSON.parse(w.stdout.trim().split("\n").at(-1)!).writes as number;
  assert.ok(writes > 0, "the writer replaced the value while the readers read");
  for (const r of results) assert.deepEqual(r.bad, [], `${r.driver}: ${r.bad.length} of ${r.reads} reads saw neither the old nor the new value`);
  using cache = new DiskCache(cacheDir);
  assert.deepEqual(cache.check(), []);
});
