// The Web Cache API (issue 27): match() hits and put() of 1 KiB, 100 KiB and
// 10 MiB responses through DiskCacheStorage on each runtime, Deno's built-in
// `caches` on Deno, and an in-memory Map of Responses (a hit answers a
// clone) as the floor; bench/web_cache_bench.ts, paired rounds in one process.
// Target (issue 27): a 1 KiB hit within 2x of the floor and faster than
// Deno's built-in.
// Section contract: bench/_harness.mjs (npm run bench -- --section web_cache [--quick]).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const name = "web_cache";
export const title = "Web Cache API: match hits and puts by body size, against an in-memory Map and Deno's built-in caches";

const KiB = 1024;
const label = (size) => (size >= 1 << 20 ? `${size / (1 << 20)} MiB` : `${size / KiB} KiB`);
const STORES = { ours: "DiskCacheStorage", memory: "Map of Responses (floor)", deno: "Deno's built-in caches" };

/** @param {import("../_harness.mjs").SectionContext} ctx */
export function run({ quick, runtimes, runJson, fmt }) {
  const rounds = quick ? 5 : 15;
  const sizes = [KiB, 100 * KiB, 10 * 1024 * KiB];
  const rows = [];
  const notes = [];
  const data = [];
  for (const rt of runtimes) {
    const dir = mkdtempSync(join(tmpdir(), "diskcache-bench-webcache-"));
    try {
      const out = runJson(rt.row, "bench/web_cache_bench.ts", [dir, String(rounds), sizes.join(",")]);
      if (!out) {
        notes.push(`${rt.label}: the benchmark failed (see the log).`);
        continue;
      }
      data.push(out);
      for (const r of out.results) {
        const vs = r.store === "memory" ? "1.0x / 1.0x" : `${r.hitVsMemory.toFixed(1)}x / ${r.putVsMemory.toFixed(1)}x`;
        rows.push(`| ${out.runtime} | ${label(r.size)} | ${STORES[r.store]} | ${fmt(r.hit)} | ${fmt(r.put)} | ${vs} |`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const markdown = `## Web Cache API (bench/web_cache_bench.ts, bench/sections/web_cache.mjs)

One process per runtime; the same URLs (100 per size for 1 KiB, 20 for 100 KiB, 3 for 10 MiB) put, then
matched, through each store in turn, ${rounds} rounds in an order rotated every round (one more round untimed
first). A hit is \`match(url)\` and its body read to the end; a put is \`put(url, new Response(bytes))\` of a URL
already stored (a replacement). DiskCacheStorage: default settings (bodies up to 16 KiB in their URL's row,
bodies of 32 KiB and more in value files, no memory tier; each URL is read once after its put, so every hit reads
SQLite). The floor keeps each body in memory and
answers \`clone()\`. Figures: the median over rounds of the mean time
per operation; "vs floor": the median of the per-round ratios. Target: a 1 KiB hit within 2x of the floor and
faster than Deno's built-in \`caches\`.

| runtime | body | store | hit | put | vs floor (hit / put) |
|---|---|---|---|---|---|
${rows.join("\n")}
${notes.length ? "\n" + notes.map((n) => `- ${n}`).join("\n") + "\n" : ""}`;
  return { markdown, data };
}
