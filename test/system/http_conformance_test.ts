// A short subset of http-cache-tests (the full run: npm run conformance:http)
// against the suite's own server: cachedFetch on every row; on Node, also
// undici's interceptor over DiskCacheStore beside undici's MemoryCacheStore.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { repoRoot, run } from "../_helpers.ts";

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

const runtime = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";
const node20 = runtime === "node" && process.versions.node.startsWith("20.");
const entry = node20 ? join(repoRoot, "dist", "http.js") : join(repoRoot, "http.ts");
const worker = join(repoRoot, "scripts", "conformance_http_worker.mjs");
const suiteDir = join(repoRoot, "node_modules", "http-cache-tests");

function workerCommand(): string[] {
  if (runtime === "deno") return [process.execPath, "run", "-A", "--no-check", worker];
  if (runtime === "bun") return [process.execPath, worker];
  return [process.execPath, "--no-warnings", worker];
}

async function runSuite(cache: string, base: string, undici = "undici"): Promise<Record<string, unknown>> {
  const [cmd, ...args] = workerCommand();
  const r = await run(cmd!, [...args, cache, base, entry, undici, SUBSET.join(",")]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split("\n").at(-1)!) as Record<string, unknown>;
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
    const results = await runSuite("cached-fetch", base);
    const failed = SUBSET.filter((id) => results[id] !== true).map((id) => `${id}: ${JSON.stringify(results[id])}`);
    assert.deepEqual(failed, []);
  });

  it("DiskCacheStore under undici's interceptor passes what MemoryCacheStore passes", {
    skip: runtime !== "node" && `undici's cache interceptor is Node's fetch machinery, not ${runtime}'s`,
  }, async () => {
    const undici = node20 ? "undici7" : "undici";
    const [memory, ours] = await Promise.all([
      runSuite("undici-memory", base, undici),
      runSuite("undici-ours", base, undici),
    ]);
    const regressions = SUBSET.filter((id) => memory[id] === true && ours[id] !== true);
    assert.deepEqual(regressions, []);
    assert.ok(SUBSET.filter((id) => ours[id] === true).length >= SUBSET.length - 2, JSON.stringify(ours));
  });
});
