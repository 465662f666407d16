// 10,000 sets one transaction each, against the same sets inside one
// transact(). Prints one JSON line with both totals.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { DiskCache } from "../mod.ts";

const N = 10_000;
const value = new Uint8Array(200);
const dir = mkdtempSync(join(tmpdir(), "diskcache-bench-"));
try {
  const cache = new DiskCache(dir);
  let t = performance.now();
  for (let i = 0; i < N; i++) cache.set(`a-${i}`, value);
  const outside = performance.now() - t;
  t = performance.now();
  cache.transact(() => {
    for (let i = 0; i < N; i++) cache.set(`b-${i}`, value);
  });
  const inside = performance.now() - t;
  cache.close();
  console.log(JSON.stringify({ runtime: `node ${process.version}`, sets: N, outsideMs: outside, insideMs: inside }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
