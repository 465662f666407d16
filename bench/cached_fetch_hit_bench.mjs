// A cachedFetch hit on a stored body, with the body in the URL's row (the
// default maxInlineBody, 1 MiB) against in a value file (maxInlineBody: 0,
// how cachedFetch stored every body at or above minFileSize before). Paired
// timing: each round times a batch of hits of both on the same URLs, in an
// order swapped every round; the ratio is the median over rounds of
// inline's median / file's in the same round. Prints one JSON line.
//
//   <node|deno run -A|bun> bench/cached_fetch_hit_bench.mjs [--entry http.ts] [--sizes 102400] [--rounds 20] [--batch 40] [--urls 20]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { arg, bodyOrigin } from "./_http_origin.mjs";

const entry = arg("entry", new URL("../http.ts", import.meta.url).pathname);
const { cachedFetch } = await import(pathToFileURL(resolve(entry)).href);
const { DiskCache } = await import(pathToFileURL(resolve(dirname(entry), entry.endsWith(".js") ? "mod.js" : "mod.ts")).href);
const sizes = arg("sizes", "102400").split(",").map(Number);
const rounds = Number(arg("rounds", "20")), batch = Number(arg("batch", "40")), urls = Number(arg("urls", "20"));

const origin = await bodyOrigin(Math.max(...sizes));
const base = origin.base;
const dir = mkdtempSync(join(tmpdir(), "diskcache-fetch-hit-"));
const caches = { inline: new DiskCache(join(dir, "inline")), file: new DiskCache(join(dir, "file")) };
const fetches = { inline: cachedFetch(caches.inline), file: cachedFetch(caches.file, { maxInlineBody: 0 }) };
const names = Object.keys(fetches);

async function get(f, url) {
  const res = await f(url);
  return (await res.arrayBuffer()).byteLength;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const results = {};
for (const size of sizes) {
  const url = (i) => `${base}/s/${size}/${i}`;
  for (const n of names) for (let i = 0; i < urls; i++) await get(fetches[n], url(i)); // store
  for (const n of names) for (let i = 0; i < urls; i++) await get(fetches[n], url(i)); // warm up
  const all = { inline: [], file: [] }, ratios = [];
  for (let r = 0; r < rounds; r++) {
    const medians = {};
    for (let j = 0; j < names.length; j++) {
      const n = names[(r + j) % names.length];
      const times = [];
      for (let i = 0; i < batch; i++) {
        const t = performance.now();
        if ((await get(fetches[n], url(i % urls))) !== size) throw new Error(`${n}: short body`);
        times.push(performance.now() - t);
      }
      medians[n] = median(times);
      all[n].push(...times);
    }
    ratios.push(medians.inline / medians.file);
  }
  results[size] = {
    inlineMs: +median(all.inline).toFixed(4),
    fileMs: +median(all.file).toFixed(4),
    inlineVsFile: +median(ratios).toFixed(3),
  };
}
origin.close();
for (const c of Object.values(caches)) c.close();
rmSync(dir, { recursive: true, force: true });
console.log(
  JSON.stringify({ runtime: typeof Deno !== "undefined" ? "deno" : typeof Bun !== "undefined" ? "bun" : `node ${process.version}`, rounds, batch, results }),
);
