// One writer of bench/sections/fairness.mjs: from `startAt` (epoch ms) for
// `seconds`, sets 200-byte values in a tight loop through `set()` ("sync":
// fair turns; "plain": the turns switched off, SQLite's busy handler alone)
// or `setAsync()` ("async": timer retries in turns), and prints one JSON
// line: writes per one-second window, and the longest single write.
//
//   fairness_writer.ts <dir> <sync|plain|async> <seconds> <startAt> <id>
import process from "node:process";
import { DiskCache } from "../mod.ts";
import { FAIR_TURNS } from "../src/engine/engine.ts";

const [dir, mode, seconds, startAt, id] = process.argv.slice(2) as [string, string, string, string, string];
if (mode === "plain") FAIR_TURNS.on = false;
const cache = new DiskCache(dir, { timeout: 60_000 });
const start = Number(startAt), end = start + Number(seconds) * 1000;
const counts = new Array<number>(Number(seconds)).fill(0);
const value = "w".repeat(200);
let maxWait = 0, i = 0;
while (Date.now() < start) await new Promise((r) => setTimeout(r, 1));
for (;;) {
  const t0 = Date.now();
  if (t0 >= end) break;
  const key = `${id}-${i++ % 1000}`;
  if (mode === "async") await cache.setAsync(key, value);
  else cache.set(key, value);
  const t1 = Date.now();
  maxWait = Math.max(maxWait, t1 - t0);
  const w = Math.floor((t1 - start) / 1000);
  if (w < counts.length) counts[w]!++;
}
cache.close();
console.log(JSON.stringify({ id, counts, maxWait }));
