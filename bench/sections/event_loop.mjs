// Event-loop delay of an HTTP server using the cache while other processes
// write it (bench/event_loop_bench.ts): the synchronous API against
// setAsync(), and a server that does not touch the cache (the floor the
// machine's load sets). Section contract: bench/_harness.mjs.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const name = "event_loop";
export const title = "event-loop delay of an HTTP server while other processes write and hold the lock";

const MODES = [
  ["none", "no cache calls (the floor)"],
  ["sync", "get() + set()"],
  ["async", "get() + setAsync()"],
];

/** @param {import("../_harness.mjs").SectionContext} ctx */
export function run({ root, quick, command, log }) {
  const seconds = quick ? 2 : 8;
  const rows = [];
  const data = [];
  for (const row of ["node24", "bun", "deno"]) {
    const writer = command(row, "bench/_writer.ts");
    const holder = command(row, "bench/_lock_holder.ts");
    if (!writer || !holder) {
      log(`${row}: not on this machine`);
      continue;
    }
    for (const [mode, label] of MODES) {
      const dir = mkdtempSync(join(tmpdir(), "diskcache-bench-eventloop-"));
      try {
        const c = command(row, "bench/event_loop_bench.ts", [join(dir, "c"), mode, String(seconds), JSON.stringify(writer), JSON.stringify(holder)]);
        log(`running event_loop_bench.ts on ${row}, ${mode}...`);
        const r = spawnSync(c.cmd, c.args, { cwd: root, encoding: "utf8", timeout: (seconds + 60) * 1000 });
        if (r.status !== 0) {
          log(`${row} ${mode} failed (exit ${r.status}):\n${r.stderr}`);
          rows.push(`| ${row} | ${label} | failed | | | | |`);
          continue;
        }
        const out = JSON.parse(r.stdout.trim().split("\n").at(-1));
        data.push({ row, ...out });
        rows.push(
          `| ${out.runtime} | ${label} | ${out.p50.toFixed(1)} ms | **${out.p99.toFixed(1)} ms** | ${out.max.toFixed(0)} ms | ${out.served} | ${out.source} |`,
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  const markdown = `## Event-loop delay under write contention (bench/event_loop_bench.ts)

An HTTP server (node:http) answers GETs with \`get()\` and POSTs with a write of 200 bytes, 4 requests
in flight from the same process, for ${seconds} s, while three other processes of the same runtime
\`set()\` in tight loops (bench/_writer.ts) and one holds the write lock in 200 ms transactions with
50 ms between them (bench/_lock_holder.ts). Delay: \`perf_hooks.monitorEventLoopDelay\` (resolution
1 ms) on Node and Bun, a 1 ms timer's lateness on Deno (whose histogram stays empty). "No cache
calls" answers without the cache under the same load: on 2 cores shared by 5 busy processes, what is
left above it is the cache's. Target: p99 at most 5 ms through the asynchronous path, which the
floor itself exceeds on a loaded 2-core machine.

| runtime | server writes with | p50 | p99 | max | requests | measured by |
|---|---|---|---|---|---|---|
${rows.join("\n")}
`;
  return { markdown, data };
}
