// `diskcache ls` into a slow pipe: the real tool on this row's runtime,
// piped by a shell into a reader that takes 64 KiB at a time with a pause
// between, under a bounded heap where the runtime has one (Node, Deno). A
// probe around process.stdout counts the writes made while an earlier one
// waited for 'drain' (the reader behind): each is output queued in memory.
// Deno writes a pipe synchronously (write() never returns false), so there
// the probe sees no waiting and the test shows only that nothing breaks.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DiskCache } from "../mod.ts";
import { repoRoot, run, tempDir } from "./_helpers.ts";

/** The command that runs a script on this row under a bounded heap, and the tool's entry (Node 20: the build in dist/). */
function runtime(): { cmd: string[]; cli: string } {
  // deno-lint-ignore no-explicit-any
  const g = globalThis as any;
  const source = join(repoRoot, "cli.ts");
  if (g.Deno !== undefined) {
    return { cmd: [g.Deno.execPath(), "run", "-A", "--no-check", "--v8-flags=--max-old-space-size=24", "--config", join(repoRoot, "deno.json")], cli: source };
  }
  if (g.Bun !== undefined) return { cmd: [process.execPath, "--smol"], cli: source };
  const built = fileURLToPath(import.meta.url).endsWith(".js");
  return { cmd: [process.execPath, "--no-warnings", "--max-old-space-size=24"], cli: built ? join(repoRoot, "dist", "cli.js") : source };
}

const PROBE = `
import process from "node:process";
import { writeFileSync } from "node:fs";
const write = process.stdout.write.bind(process.stdout);
let waiting = false, ahead = 0, waits = 0, writes = 0;
process.stdout.on("drain", () => (waiting = false));
process.stdout.write = (chunk, ...rest) => {
  writes++;
  if (waiting) ahead++;
  const ok = write(chunk, ...rest);
  if (!ok && !waiting) (waiting = true), waits++;
  return ok;
};
process.on("exit", () => writeFileSync(process.env.PROBE_REPORT, JSON.stringify({ ahead, waits, writes })));
await import(process.env.PROBE_CLI);
`;

/** `s` quoted for sh. */
const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

test("the diskcache binary's ls waits for a slow reader instead of queueing the listing in memory", async () => {
  using dir = tempDir();
  const cache = join(dir.path, "c");
  const n = 100_000;
  {
    using c = new DiskCache(cache, { sqliteMmapSize: 0 });
    const pad = "k".repeat(100);
    for (let i = 0; i < n; i += 10_000) c.setMany(Array.from({ length: 10_000 }, (_, j) => [`${pad}-${i + j}`, "v"] as const));
  }
  const probe = join(dir.path, "probe.mjs"), report = join(dir.path, "report.json"), count = join(dir.path, "count");
  writeFileSync(probe, PROBE);
  const rt = runtime();
  // The reader: 64 KiB, a pause, again, until the end; then the byte count.
  const reader =
    `total=0; while :; do got=$(dd bs=65536 count=1 2>/dev/null | wc -c); [ "$got" -eq 0 ] && break; total=$((total + got)); sleep 0.002; done; echo $total > ${
      quote(count)
    }`;
  const tool = [...rt.cmd, probe, "ls", cache].map(quote).join(" ");
  const status = join(dir.path, "status");
  const r = await run("sh", ["-c", `{ PROBE_REPORT=${quote(report)} PROBE_CLI=${quote(rt.cli)} ${tool}; echo $? > ${quote(status)}; } | { ${reader}; }`]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readFileSync(status, "utf8").trim(), "0", `the tool ran to its end within the bounded heap: ${r.stderr.slice(-2000)}`);
  const probed = JSON.parse(readFileSync(report, "utf8")) as { ahead: number; waits: number; writes: number };
  const lines = n + 1;
  assert.ok(Number(readFileSync(count, "utf8")) > lines * 100, "the reader got the whole listing");
  assert.equal(probed.ahead, 0, `no write while the reader was behind: ${JSON.stringify(probed)}`);
});
