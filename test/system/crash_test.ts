// Writers of every runtime are killed with SIGKILL mid-write, 100 times.
// Afterwards the cache opens, every acknowledged key reads back its value,
// and check({ fix: true }) finds nothing but orphaned value files.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Deque, DiskCache } from "../../mod.ts";
import { row, runners, sleep, tempDir, until } from "../_helpers.ts";
import { valueFor } from "../fixtures/crash_values.ts";

const KILLS = Number(process.env.DISKCACHE_CRASH_KILLS ?? 100);

async function killMidWrite(cmd: string, args: string[], log: string): Promise<string> {
  const child = spawn(cmd, args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const exited = new Promise<void>((r) => child.on("close", () => r()));
  const start = existsSync(log) ? statSync(log).size : 0;
  // Wait until it is writing, then let it run a random while.
  await until(() => (existsSync(log) ? statSync(log).size : 0) !== start, 20_000);
  await sleep(Math.random() * 40);
  child.kill("SIGKILL");
  await exited;
  return stderr;
}

test("DiskCache loses nothing acknowledged when writers are SIGKILLed mid-write", async (t) => {
  if (row !== "node24" && row !== "unknown") return t.skip("runs in the node24 row only: its writers are processes of every runtime");
  using dir = tempDir();
  const cacheDir = join(dir.path, "cache");
  const log = join(dir.path, "acked.log");
  writeFileSync(log, "");
  new DiskCache(cacheDir, { minFileSize: 4096 }).close();
  const procs = runners("crash_writer");
  for (let kill = 0; kill < KILLS; kill += 2) {
    // Two writers at once, of two runtimes, contend for the lock when killed.
    const pair = [procs[kill % procs.length]!, procs[(kill + 1) % procs.length]!];
    const errors = await Promise.all(pair.map((r, i) => killMidWrite(r.cmd, [...r.args, cacheDir, log, `w${kill + i}`], log)));
    for (const e of errors) assert.doesNotMatch(e, /malformed|corrupt/i, e);
  }
  using cache = new DiskCache(cacheDir);
  const acked = new Set<string>();
  for (const line of readFileSync(log, "utf8").split("\n")) {
    if (line.startsWith("-")) acked.delete(line.slice(1));
    else if (line) acked.add(line);
  }
  assert.ok(acked.size > KILLS, `${acked.size} acknowledged keys`);
  let lost = 0;
  for (const key of acked) {
    const got = cache.get(key), want = valueFor(key);
    const same = typeof want === "string" ? got === want : got instanceof Uint8Array && Buffer.from(got).equals(Buffer.from(want));
    if (!same) {
      lost++;
      console.error(`acknowledged key ${key} reads back ${got === undefined ? "undefined" : "a different value"}`);
    }
  }
  assert.equal(lost, 0, `${lost} of ${acked.size} acknowledged keys lost`);
  const warnings = cache.check({ fix: true });
  const unexpected = warnings.filter((w) => w.kind !== "unknown-file" && w.kind !== "empty-directory");
  assert.deepEqual(unexpected, [], "only orphaned files of killed writes");
  assert.deepEqual(cache.check().filter((w) => !/left in place/.test(w.message) && w.kind !== "unknown-file"), []);
});

test("Deque loses no file-backed item when a process is SIGKILLed during rotate() or a trimming push", async (t) => {
  if (row !== "node24" && row !== "unknown") return t.skip("runs in the node24 row only: its workers are processes of every runtime");
  using dir = tempDir();
  const dequeDir = join(dir.path, "deque");
  {
    using deque = new Deque<Uint8Array>(dequeDir, { maxLength: 200 });
    for (let i = 0; i < 200; i++) deque.push(new Uint8Array(40_000).fill(i));
  }
  const procs = runners("deque_rotate_worker").filter((r) => r.name !== "node20");
  const kills = Math.max(6, Math.round(KILLS / 10));
  for (let kill = 0; kill < kills; kill++) {
    const r = procs[kill % procs.length]!;
    const child = spawn(r.cmd, [...r.args, dequeDir], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const exited = new Promise<void>((res) => child.on("close", () => res()));
    await new Promise<void>((res) => child.stdout.setEncoding("utf8").on("data", (d: string) => d.includes("ready") && res()));
    await sleep(5 + Math.random() * 60);
    child.kill("SIGKILL");
    await exited;
    assert.doesNotMatch(stderr, /error/i, `${r.name}: ${stderr}`);
    using deque = new Deque<Uint8Array>(dequeDir, { maxLength: 200 });
    const items = [...deque];
    assert.equal(deque.length, 200);
    const readable = items.filter((v) => v instanceof Uint8Array && v.length === 40_000 && v.every((b) => b === v[0]));
    assert.equal(readable.length, 200, `after killing ${r.name} (kill ${kill}): ${readable.length} of 200 items readable`);
    // Files the killed transaction wrote are orphans (and a directory made
    // for one, or left by a removal cut short, may be empty); nothing else.
    const warnings = deque.cache.check().filter((w) => w.kind !== "unknown-file" && w.kind !== "empty-directory");
    assert.deepEqual(warnings, [], `after killing ${r.name}`);
  }
});
