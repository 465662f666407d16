// A short subset of http-cache-tests (the full run: npm run conformance:http)
// against the suite's own server: cachedFetch in a process of every runtime;
// on Node 24 and Node 20, also undici's interceptor over DiskCacheStore beside
// undici's MemoryCacheStore.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { repoRoot, run, type Runner, runtimeCommands } from "../_helpers.ts";

/** Tests every cache here passes, away from the suite's timing edges. */
const SUBSET = [
  "freshness-none",
  "freshness-max-age",
  "freshness-max-age-age",
  "freshness-s-maxage-shared",
  "vary-match",
  "vary-no-match",
  "vary-2-no-match",
  "cc-resp-no-store",
  "cc-resp-private-shared",
  "ccreq-no-store",
  "ccreq-no-cache",
  "invalidate-POST",
  "invalidate-PUT",
  "invalidate-DELETE",
];

const worker = join(repoRoot, "scripts", "conformance_http_worker.mjs");
const suiteDir = join(repoRoot, "node_modules", "http-cache-tests");

/** The runtimes the worker runs on: each from source, Node 20 on the build in dist/ (when built). */
const runtimes = runtimeCommands().filter((r) => r.name !== "node20" || existsSync(join(repoRoot, "dist", "http.js")));

async function runSuite(r: Runner, cache: string, base: string, undici = "undici"): Promise<Record<string, unknown>> {
  const entry = r.name === "node20" ? join(repoRoot, "dist", "http.js") : join(repoRoot, "http.ts");
  const res = await run(r.cmd, [...r.args, worker, cache, base, entry, undici, SUBSET.join(",")]);
  assert.equal(res.code, 0, `${r.name}: ${res.stderr}`);
  return JSON.parse(res.stdout.trim().split("\n").at(-1)!) as Record<string, unknown>;
}

describe("http-cache-tests, a subset", { skip: !existsSync(suiteDir) && "http-cache-tests is not installed" }, () => {
  let server: ChildProcess | undefined;
  let base = "";
  before(async () => {
    // The suite's server is a Node program: run it with the Node in node_modules.
    server = spawn(join(repoRoot, "node_modules", ".bin", "node"), [join(suiteDir, "server", "server.mjs")], {
      cwd: suiteDir,
      env: {
        ...process.env,
        npm_package_config_protocol: "http",
        npm_package_config_port: "0",
        npm_package_config_pidfile: join(repoRoot, "node_modules", ".cache-tests-server-test.pid"),
      },
      stdio: ["ignore", "pipe", "inherit"],
    });
    base = await new Promise<string>((resolve, reject) => {
      server!.on("error", reject);
      server!.stdout!.setEncoding("utf8").on("data", (d: string) => {
        const m = d.match(/Listening on http:\/\/\S+:(\d+)\//);
        if (m) resolve(`http://localhost:${m[1]}`);
      });
    });
  });
  after(() => {
    server?.kill();
  });

  it("cachedFetch passes the subset", async () => {
    assert.ok(runtimes.length >= 3, runtimes.map((r) => r.name).join());
    for (const r of runtimes) {
      const results = await runSuite(r, "cached-fetch", base);
      const failed = SUBSET.filter((id) => results[id] !== true).map((id) => `${id}: ${JSON.stringify(results[id])}`);
      assert.deepEqual(failed, [], `cachedFetch on ${r.name}`);
    }
  });

  // undici's cache interceptor is Node's fetch machinery: Node 24 (undici 8) and Node 20 (undici 7).
  it("DiskCacheStore under undici's interceptor passes what MemoryCacheStore passes", async () => {
    for (const r of runtimes.filter((r) => r.name === "node24" || r.name === "node20")) {
      const undici = r.name === "node20" ? "undici7" : "undici";
      const [memory, ours] = await Promise.all([
        runSuite(r, "undici-memory", base, undici),
        runSuite(r, "undici-ours", base, undici),
      ]);
      const regressions = SUBSET.filter((id) => memory[id] === true && ours[id] !== true);
      assert.deepEqual(regressions, [], `undici on ${r.name}`);
      assert.ok(SUBSET.filter((id) => ours[id] === true).length >= SUBSET.length - 2, `${r.name}: ${JSON.stringify(ours)}`);
    }
  });
});
