// The adapters section of bench/RESULTS.md: bench/adapters_bench.ts on Node 24.
// Section contract: bench/_harness.mjs.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const name = "adapters";
export const title = "Keyv, cache-manager and unstorage adapters against their usual alternative";

/**
 * Runs the adapter benchmark: `{ markdown, data }` (markdown says why when it could not run).
 * @param {import("../_harness.mjs").SectionContext} ctx
 */
export function run({ root, quick, command, fmt, log }) {
  const ops = quick ? 5000 : 30000;
  const dir = mkdtempSync(join(tmpdir(), "diskcache-bench-adapters-"));
  let out;
  try {
    log("running adapters_bench.ts...");
    const { cmd, args } = command("node24", "bench/adapters_bench.ts", [dir, String(ops)]);
    const r = spawnSync(cmd, args, { cwd: root, encoding: "utf8" });
    if (r.status !== 0) {
      log(`adapters_bench.ts failed:\n${r.stderr}`);
      return { markdown: `## Adapters\n\nSkipped: bench/adapters_bench.ts failed (${r.stderr.trim().split("\n").at(-1)}).\n`, data: undefined };
    }
    out = JSON.parse(r.stdout.trim().split("\n").at(-1));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const rows = [];
  for (let i = 0; i < out.results.length; i += 2) {
    const ours = out.results[i], alt = out.results[i + 1];
    for (const x of [ours, alt]) {
      const vs = x === ours ? `**${(ours.opsPerSec / alt.opsPerSec).toFixed(1)}x**` : "1.0x";
      rows.push(
        `| ${x.host} | ${x.store} | ${Math.round(x.opsPerSec).toLocaleString("en")} | ${vs} | ${fmt(x.get.median)} / ${fmt(x.get.p99)} | ${
          fmt(x.set.median)
        } / ${fmt(x.set.p99)} | ${fmt(x.delete.median)} / ${fmt(x.delete.p99)} |`,
      );
    }
  }
  const markdown = `## Adapters against their usual alternative (bench/adapters_bench.ts)

${out.runtime}; workload 1's mix (90% get, 9% set, 1% delete over 100 keys, string values of 1 to
~500 characters, keys pre-filled, the first 1,000 of ${ops.toLocaleString("en")} operations untimed), each through the host
library's own API with its default options: Keyv 5 (JSON serialization on), cache-manager 7 over
Keyv, unstorage \`createStorage\`. Each store opens its own directory or file with its own defaults
(\`@keyv/sqlite\` keeps SQLite's rollback journal and fsyncs every write; unstorage's \`fs\` driver
writes one file per key). Throughput: timed operations / their summed latency.

| host | store | ops/s | vs alternative | get median / p99 | set median / p99 | delete median / p99 |
|---|---|---|---|---|---|---|
${rows.join("\n")}
`;
  return { markdown, data: out };
}
