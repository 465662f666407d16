// System tests split from test/memory_test.ts: they start processes of other runtimes, Python or servers,
// and run once per `npm test` (the "system" row, on Node 24).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { DiskCache } from "../../mod.ts";
import { python, tempDir } from "../_helpers.ts";

const MEMORY = { maxBytes: 2 ** 20 };

/** Runs a Python statement block on `cache = diskcache.Cache(dir)`. */
function pythonOn(dir: string, code: string): void {
  const py = python();
  assert.ok(py !== undefined, "python3 with diskcache is required");
  const r = spawnSync(py, ["-c", `import diskcache\ncache = diskcache.Cache(${JSON.stringify(dir)})\n${code}\ncache.close()`], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
}

test("DiskCache with memory: this process's set and delete reach a key Python stored as a REAL integral number (issue 22 #18)", (t) => {
  if (python() === undefined) return t.skip("python3 with diskcache is not installed");
  using dir = tempDir();
  pythonOn(
    dir.path,
    `cache[1.0] = "old 1"\ncache[-0.0] = "old 0"\ncache[2.0 ** 60] = "old big"\ncache[-(2.0 ** 62)] = "old neg"\ncache[2.0 ** 63] = "old past int64"`,
  );
  using cache = new DiskCache(dir.path, { memory: MEMORY });
  const keys: [unknown, unknown, string][] = [[1, 1n, "old 1"], [0, -0, "old 0"], [2 ** 60, 2n ** 60n, "old big"], [-(2 ** 62), -(2n ** 62n), "old neg"], [
    2 ** 63,
    2 ** 63,
    "old past int64",
  ]];
  for (const [key, same, old] of keys) {
    assert.equal(cache.get(key as never), old, `Python's ${String(key)}`);
    assert.equal(cache.get(same as never), old, `Python's ${String(key)}, read again (from memory)`);
  }
  assert.equal(cache.stats().memory?.entries, keys.length);
  for (const [key, same] of keys) {
    cache.set(key as never, "new");
    assert.equal(cache.get(key as never), "new", `set(${String(key)})`);
    assert.equal(cache.get(same as never), "new", `set(${String(key)}), read again`);
    assert.equal(cache.delete(same as never), true);
    assert.equal(cache.get(key as never), undefined, `delete(${String(key)})`);
  }
  // Python replaces its own REAL rows (an UPDATE that keeps the key): seen once the tier reads data_version.
  pythonOn(dir.path, `cache[1.0] = "py"`);
  assert.equal(cache.get(1), "py");
  cache.set(1, "js");
  assert.equal(cache.get(1), "js");
});
