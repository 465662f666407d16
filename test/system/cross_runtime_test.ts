// A value written by one runtime reads back identically in the others, and
// the stored bytes are the same whichever runtime wrote them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { DiskCache } from "../../mod.ts";
import { rawOpen, runJson, runners, tempDir } from "../_helpers.ts";
import { sampleValues } from "../fixtures/samples.ts";

function rows(directory: string): string[] {
  const db = rawOpen(join(directory, "cache.db"));
  const all = db.prepare("SELECT hex(key) AS k, raw, mode, size, hex(value) AS v, typeof(value) AS t FROM Cache ORDER BY key").all();
  db.close();
  return (all as Record<string, unknown>[]).map((r) => `${r.k} ${r.raw} ${r.mode} ${r.size} ${r.t} ${r.v}`);
}

test("DiskCache values written by each runtime are stored as the same bytes and read back the same everywhere", async () => {
  const all = runners("values_worker");
  const dirs = all.map(() => tempDir());
  try {
    await Promise.all(all.map((r, i) => runJson(r, ["write", dirs[i]!.path])));
    const stored = dirs.map((d) => rows(d.path));
    for (let i = 1; i < all.length; i++) {
      assert.deepEqual(stored[i], stored[0], `${all[i]!.name} stored the same rows as ${all[0]!.name}`);
    }
    // Every runtime reads what Bun wrote, and gets the same values.
    const bunDir = dirs[all.findIndex((r) => r.name === "bun")]!.path;
    const reads = await Promise.all(all.map((r) => runJson<{ read: Record<string, string> }>(r, ["dump", bunDir])));
    for (let i = 1; i < reads.length; i++) assert.deepEqual(reads[i]!.read, reads[0]!.read, `${all[i]!.name} reads as ${all[0]!.name}`);
    using here = new DiskCache(bunDir);
    for (const [key, value] of sampleValues()) assert.deepEqual(here.get(key), value, key);
  } finally {
    for (const d of dirs) d[Symbol.dispose]();
  }
});
