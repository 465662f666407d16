// check() while another process (another runtime) keeps writing: value
// directories pruned or files removed between being listed and being read
// are normal, not errors, and no false damage is reported (issue 12).
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { DiskCache } from "../../mod.ts";
import { run, runners, tempDir, until } from "../_helpers.ts";

test("DiskCache.check() runs beside a writer of another runtime without failing or reporting false damage (writable, read-only, fix)", async () => {
  using dir = tempDir();
  const cacheDir = join(dir.path, "cache"), stop = join(dir.path, "stop");
  new DiskCache(cacheDir, { minFileSize: 1000 }).close();
  const writer = runners("churn_worker").find((r) => r.name === "bun")!;
  const writing = run(writer.cmd, [...writer.args, cacheDir, stop]);
  const seen = new Set<string>();
  try {
    using rw = new DiskCache(cacheDir);
    using ro = new DiskCache(cacheDir, { readonly: true });
    await until(() => rw.length >= 10, Infinity); // the writer has started
    for (let i = 0; i < 300; i++) {
      for (const w of [...rw.check(), ...ro.check(), ...rw.check({ fix: true })]) seen.add(w.kind);
      await new Promise((r) => setImmediate(r)); // let the writer's output drain
    }
  } finally {
    writeFileSync(stop, "");
  }
  const w = await writing;
  assert.equal(w.code, 0, w.stderr);
  assert.ok(JSON.parse(w.stdout.trim().split("\n").at(-1)!).writes > 0);
  // Files of a write in progress, directories between creation and first
  // file or between last file and pruning: transient, and reported as such.
  for (const kind of seen) assert.ok(kind === "unknown-file" || kind === "empty-directory", `check reported ${kind} for a healthy cache`);
  using cache = new DiskCache(cacheDir);
  assert.deepEqual(cache.check(), [], "nothing is wrong once the writer has finished");
});
