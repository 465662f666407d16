// Fair turns at the write lock between processes: a process writing in a
// tight loop, taking the lock again right after releasing it, must not keep
// another process's writes out until they time out. SQLite's busy handler
// alone sleeps 1, 2, 5 ... up to 100 ms between tries and, against a writer
// that leaves the lock free for microseconds at a time, almost never lands
// in a gap. Real processes of two runtimes per pair; counts, not timings.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DiskCache, Timeout } from "../mod.ts";
import { WAITING_FILE, WAITING_FRESH_MS } from "../src/_turns.ts";
import { rawOpen, runJson, type Runner, runners, tempCache, tempDir } from "./_helpers.ts";

/** Starts `r` as the hog; resolves with its count once `dir/stop` exists and it exits. */
function startHog(r: Runner, dir: string, holdMs: number): Promise<{ hog: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(r.cmd, [...r.args, "hog", dir, String(holdMs)], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "", err = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
    child.on("error", reject);
    child.on("close", (code) => code === 0 ? resolve(JSON.parse(out.trim().split("\n").at(-1)!)) : reject(new Error(`hog ${r.name} exited ${code}\n${err}`)));
  });
}

test("a writer in a tight loop in one process does not starve another process's writes (two runtimes per pair)", async () => {
  const all = runners("turns_worker");
  const byName = new Map(all.map((r) => [r.name, r]));
  // Each runtime is a hog once and a waiter once (Node 20 when its build exists).
  const names = all.map((r) => r.name);
  const pairs = names.map((hog, i) => [hog, names[(i + 1) % names.length]!] as const);
  for (const [hogName, waiterName] of pairs) {
    using dir = tempDir();
    new DiskCache(dir.path).close();
    const hog = startHog(byName.get(hogName)!, dir.path, 20);
    // Wait until the hog is writing: its first transaction committed.
    for (;;) {
      using probe = new DiskCache(dir.path, { readonly: true });
      if (probe.get("hog") !== undefined) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const n = 20;
    let waiter;
    try {
      waiter = await runJson<{ ok: number; timeouts: number; hogBefore: number; hogAfter: number }>(byName.get(waiterName)!, [
        "waiter",
        dir.path,
        "5000",
        String(n),
      ]);
    } finally {
      writeFileSync(join(dir.path, "stop"), "");
    }
    const { hog: total } = await hog;
    const pair = `hog ${hogName}, waiter ${waiterName}`;
    assert.deepEqual([waiter.ok, waiter.timeouts], [n, 0], `${pair}: every write of the waiting process got its turn`);
    assert.ok(waiter.hogAfter > waiter.hogBefore, `${pair}: the hog kept writing meanwhile (${waiter.hogBefore} -> ${waiter.hogAfter})`);
    assert.ok(total >= waiter.hogAfter, `${pair}: the hog ran until the waiter was done`);
  }
});

test("a write waiting for the lock says so in cache.db-waiting; a writer steps aside only for another connection's recent touch", () => {
  using cache = tempCache({ timeout: 20 });
  const marker = join(cache.directory, WAITING_FILE);
  cache.set("a", 1);
  assert.equal(existsSync(marker), false, "no file while nobody waits");
  const db = rawOpen(join(cache.directory, "cache.db"));
  db.exec("BEGIN IMMEDIATE");
  try {
    assert.throws(() => cache.set("b", 2), Timeout, "still a Timeout once `timeout` has passed");
  } finally {
    db.exec("ROLLBACK");
    db.close();
  }
  const touched = statSync(marker).mtimeMs;
  assert.ok(Math.abs(Date.now() - touched) < 60_000, "touched while waiting");
  assert.equal(cache.set("b", 2), true, "its own touch does not hold it back");
  assert.deepEqual(cache.check(), [], "check() knows the file");
  // Another connection's touch, recent then stale: the write goes ahead either way.
  const now = new Date();
  utimesSync(marker, now, now);
  assert.equal(cache.set("c", 3), true);
  const old = new Date(Date.now() - 10 * WAITING_FRESH_MS);
  utimesSync(marker, old, old);
  assert.equal(cache.set("d", 4), true);
  assert.equal(cache.length, 4);
});

test("a waiter that cannot touch cache.db-waiting still waits, as SQLite alone would", () => {
  using cache = tempCache({ timeout: 20 });
  mkdirSync(join(cache.directory, WAITING_FILE)); // not a file: touching it fails
  const db = rawOpen(join(cache.directory, "cache.db"));
  db.exec("BEGIN IMMEDIATE");
  try {
    assert.throws(() => cache.set("a", 1), Timeout);
  } finally {
    db.exec("ROLLBACK");
    db.close();
  }
  assert.equal(cache.set("a", 1), true);
});
