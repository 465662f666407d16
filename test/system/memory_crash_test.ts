// The memory tier under crashes (issue 16): writers of every runtime, each
// with a tier, are SIGKILLed mid-transaction many times while this process
// reads through its own tier (staleness 0). Nothing any tier serves was never
// committed, and every acknowledged write is seen.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DiskCache } from "../../mod.ts";
import { row, runners, tempDir } from "../_helpers.ts";

const KILLS = Number(process.env.DISKCACHE_CRASH_KILLS ?? 24);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("memory tier: writers killed mid-transaction never let any tier serve an uncommitted value", { timeout: 600_000 }, async (t) => {
  if (row !== "node24" && row !== "unknown") return t.skip("runs in the node24 row only: its writers are processes of every runtime");
  using dir = tempDir();
  const cacheDir = join(dir.path, "cache");
  const log = join(dir.path, "acked.log");
  writeFileSync(log, "");
  using reader = new DiskCache(cacheDir, { memory: { maxBytes: 2 ** 20 } });
  const procs = runners("memory_crash_writer");
  let reads = 0;
  const check = () => {
    for (const key of ["k", ...Array.from({ length: 10 }, (_, i) => `side-${i}`)]) {
      const v = reader.get(key);
      reads++;
      assert.notEqual(v, "uncommitted", `the reader's tier served an uncommitted ${key}`);
    }
  };
  for (let kill = 0; kill < KILLS; kill++) {
    const r = procs[kill % procs.length]!;
    const child = spawn(r.cmd, [...r.args, cacheDir, log], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    const start = statSync(log).size;
    for (let waited = 0; waited < 20_000 && statSync(log).size === start && child.exitCode === null; waited += 2) {
      check();
      await sleep(2);
    }
    const until = Date.now() + Math.random() * 40;
    while (Date.now() < until) {
      check();
      await sleep(1);
    }
    child.kill("SIGKILL");
    const code = await exited;
    assert.equal(code, null, `${r.name} writer exited by itself (${code}): ${stderr}`);
    check();
    // Every acknowledged round is seen at once.
    const acked = readFileSync(log, "utf8").trim().split("\n").filter(Boolean).map(Number);
    if (acked.length > 0) assert.ok((reader.get("k") as number) >= acked.at(-1)!, `${r.name}: acknowledged round ${acked.at(-1)} not seen`);
  }
  assert.ok(existsSync(log) && readFileSync(log, "utf8").trim().split("\n").length >= KILLS, "every writer got to write");
  assert.ok(reader.stats().memory!.hits > 0, `${reads} reads, some from memory`);
});
