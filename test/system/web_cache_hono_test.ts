// hono's real cache() middleware over installGlobalCaches(): on Node and Bun
// (no caches of their own) and Deno (replaced), the handler runs once, then
// the cache answers, also in a new process (a restart). Skipped, saying so,
// where hono is not installed (it is a devDependency: hono@4.13.23); set
// DISKCACHE_HONO_FROM to a directory whose node_modules has hono to run it anyway.
import process from "node:process";
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { repoRoot, runJson, runners, tempDir } from "../_helpers.ts";

/** hono's entry and its cache middleware as file URLs (so every runtime's fixture finds them), or why not. */
function honoUrls(): { HONO_URL: string; HONO_CACHE_URL: string } | { skip: string } {
  try {
    const require = createRequire(`${process.env.DISKCACHE_HONO_FROM ?? repoRoot}/package.json`);
    return { HONO_URL: pathToFileURL(require.resolve("hono")).href, HONO_CACHE_URL: pathToFileURL(require.resolve("hono/cache")).href };
  } catch {
    return { skip: "hono is not installed (add it as a devDependency: npm install -D hono@4.13.23)" };
  }
}
const hono = honoUrls();

test(
  "hono's cache() middleware serves from DiskCacheStorage: the handler runs once, across a restart",
  { skip: "skip" in hono ? hono.skip : false },
  async () => {
    if ("skip" in hono) return;
    Object.assign(process.env, hono);
    try {
      for (const r of runners("web_cache_worker")) {
        using dir = tempDir();
        const url = `http://localhost/page?r=${r.name}`;
        const first = await runJson<{ runs: number; texts: string[] }>(r, ["hono", dir.path, "pages", url, "3"]);
        assert.equal(first.runs, 1, `${r.name}: the handler ran once for three requests`);
        assert.deepEqual(first.texts, Array(3).fill(first.texts[0]), r.name);
        const restarted = await runJson<{ runs: number; texts: string[] }>(r, ["hono", dir.path, "pages", url, "2"]);
        assert.equal(restarted.runs, 0, `${r.name}: after a restart the cache answers`);
        assert.deepEqual(restarted.texts, [first.texts[0], first.texts[0]], r.name);
      }
    } finally {
      delete process.env.HONO_URL;
      delete process.env.HONO_CACHE_URL;
    }
  },
);
