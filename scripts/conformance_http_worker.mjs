// One run of http-cache-tests (the suite behind cache-tests.fyi) against one
// HTTP cache, in its own process (the suite keeps its results in module
// state). Prints the suite's results as JSON on the last line.
//
//   <runtime> scripts/conformance_http_worker.mjs <cache> <base-url> <entry> [undici-package] [only-ids]
//
// cache: "undici-memory" | "undici-sqlite" | "undici-ours" (undici's fetch through
// interceptors.cache over that store) | "cached-fetch" (our cachedFetch over
// the runtime's own fetch). entry: the path of http.ts (or the built http.js).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const [cache, base, entry, undiciName = "undici", only = ""] = process.argv.slice(2);
const suiteDir = join(root, "node_modules", "http-cache-tests");
const { runTests, getResults } = await import(pathToFileURL(join(suiteDir, "client", "runner.mjs")).href);
const suites = (await import(pathToFileURL(join(suiteDir, "tests", "index.mjs")).href)).default;
const http = await import(pathToFileURL(resolve(entry)).href);

const dir = mkdtempSync(join(tmpdir(), "diskcache-conformance-"));
let fetchFn;
let close = () => {};
if (cache.startsWith("undici-")) {
  const undici = await import(undiciName);
  const store = cache === "undici-memory"
    ? new undici.cacheStores.MemoryCacheStore()
    : cache === "undici-sqlite"
    ? new undici.cacheStores.SqliteCacheStore({ location: join(dir, "sqlite.db") })
    : new http.DiskCacheStore(join(dir, "cache"));
  const dispatcher = new undici.Agent().compose(undici.interceptors.cache({ store }));
  fetchFn = (url, init) => undici.fetch(url, { ...init, dispatcher });
  close = () => store.close?.();
} else if (cache === "cached-fetch") {
  const { DiskCache } = await import(pathToFileURL(join(dirname(resolve(entry)), basenameOfMod(entry))).href);
  const diskCache = new DiskCache(join(dir, "cache"));
  const cached = http.cachedFetch(diskCache, { shared: true });
  // The suite asks for `cache: "no-store"` to get past a browser's cache
  // when it tests a proxy; here the cache under test is in the client, and
  // cachedFetch honours that mode, so drop it (undici's fetch ignores it).
  fetchFn = (url, init) => {
    const { cache: _mode, ...rest } = init ?? {};
    return cached(url, rest);
  };
  close = () => diskCache.close();
} else {
  throw new Error(`unknown cache "${cache}"`);
}

function basenameOfMod(path) {
  return path.endsWith(".js") ? "mod.js" : "mod.ts";
}

let toRun = suites;
if (only) {
  const ids = new Set(only.split(","));
  toRun = suites.map((s) => ({ ...s, tests: s.tests.filter((t) => ids.has(t.id)) })).filter((s) => s.tests.length);
}
await runTests(toRun, fetchFn, false, base.replace(/\/$/, ""));
const results = getResults();
close();
rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify(results));
process.exit(0);
