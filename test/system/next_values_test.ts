// Every kind of value Next.js stores (app and pages-router pages, route
// handler bodies, fetch results, redirects, images, a cached "not found")
// round-trips exactly through createIncrementalCacheHandler from a process of
// one runtime to a process of another (test/fixtures/next_values_worker.ts):
// Buffers stay Buffers (of 0 bytes, and of several MB in value files), the
// segment-data Map keeps its order, undefined fields stay. Runs once per
// `npm test` (the "system" row, on Node 24).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { describeValue, nextValues } from "../fixtures/next_values.ts";
import { runJson, runners, tempDir, valueFiles } from "../_helpers.ts";

describe("createIncrementalCacheHandler across runtimes", () => {
  it("every kind of value, IMAGE included, comes back exactly in a process of another runtime", async () => {
    const rs = runners("next_values_worker");
    assert.ok(rs.length >= 2, "at least two runtimes");
    const expected = Object.fromEntries(nextValues().map(([key, value]) => [key, describeValue(value)]));
    for (let i = 0; i < rs.length; i++) {
      const writer = rs[i]!, reader = rs[(i + 1) % rs.length]!, label = `${writer.name} -> ${reader.name}`;
      using dir = tempDir();
      const written = await runJson<{ result: Record<string, { value: unknown; lastModified: number }> }>(writer, [dir.path, "set"]);
      assert.ok(valueFiles(dir.path).length >= 3, `${label}: the MB-sized Buffers went to value files`);
      const read = await runJson<{ result: Record<string, { value: unknown; lastModified: number }> }>(reader, [dir.path, "get"]);
      assert.deepEqual(read.result, written.result, `${label}: the reader gets what the writer got (lastModified, cacheControl)`);
      for (const [key, value] of Object.entries(expected)) {
        assert.deepEqual(read.result[key]?.value, value, `${label}: ${key}`);
      }
    }
  });
});
