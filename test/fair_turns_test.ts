// Fair turns at the write lock (src/engine/_turns.ts), within one process: a
// contended write announces itself in cache.db-waiting while it waits, still
// gives up with Timeout after `timeout`, and writes that never wait leave no
// trace. The turns between processes: test/system/fair_turns_test.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { Timeout } from "../mod.ts";
import { IDENTITY_CHECK_MS, WAITING_FILE } from "../src/engine/engine.ts";
import { rawOpen, tempCache } from "./_helpers.ts";

/**
 * Runs `fn` while a raw connection of this runtime's driver holds the write
 * lock, once the cache's next write looks for other writers (a write within
 * {@linkcode IDENTITY_CHECK_MS} of the last look, with no sign of another
 * writer, waits in SQLite's busy handler, as it always did).
 */
function whileLocked(directory: string, fn: () => void): void {
  const db = rawOpen(join(directory, "cache.db"));
  db.exec("BEGIN IMMEDIATE");
  const start = performance.now();
  while (performance.now() - start <= IDENTITY_CHECK_MS) { /* spin: a monotonic clock, no timer rounding */ }
  try {
    fn();
  } finally {
    db.exec("ROLLBACK");
    db.close();
  }
}

test("a write waiting for the lock says so in cache.db-waiting and still throws Timeout after `timeout`", () => {
  using cache = tempCache({ timeout: 50 });
  const marker = join(cache.directory, WAITING_FILE);
  for (let i = 0; i < 100; i++) cache.set(`a${i}`, i);
  assert.ok(statSync(marker).mtimeMs < Date.now() - 60_000, "a writer alone marks the file, and never says it waits");
  whileLocked(cache.directory, () => {
    assert.throws(() => cache.set("b", 2), Timeout, "a Timeout once `timeout` has passed, as SQLite's busy handler gives");
    assert.equal(cache.get("b"), undefined, "nothing of it was written");
    assert.equal(cache.get("a1"), 1, "reads go on meanwhile (WAL)");
  });
  assert.ok(Math.abs(Date.now() - statSync(marker).mtimeMs) < 60_000, "touched while waiting");
  assert.equal(cache.set("b", 2), true, "its own touch does not hold it back");
  assert.equal(cache.get("b"), 2);
  assert.deepEqual(cache.check(), [], "check() knows the file");
});

test("setAsync() waiting for the lock says so too, and rejects with Timeout after `timeout`", async () => {
  using cache = tempCache({ timeout: 50 });
  const db = rawOpen(join(cache.directory, "cache.db"));
  db.exec("BEGIN IMMEDIATE");
  try {
    await assert.rejects(cache.setAsync("b", 2), Timeout);
  } finally {
    db.exec("ROLLBACK");
    db.close();
  }
  assert.ok(Math.abs(Date.now() - statSync(join(cache.directory, WAITING_FILE)).mtimeMs) < 60_000, "touched while waiting");
  assert.equal(await cache.setAsync("b", 2), true);
  assert.equal(cache.get("b"), 2);
});

test("a waiter that cannot touch cache.db-waiting still waits for the lock and times out as before", () => {
  using cache = tempCache({ timeout: 30 });
  mkdirSync(join(cache.directory, WAITING_FILE)); // not a file: touching it fails
  whileLocked(cache.directory, () => assert.throws(() => cache.set("a", 1), Timeout));
  assert.equal(cache.set("a", 1), true);
  assert.equal(cache.get("a"), 1);
});
