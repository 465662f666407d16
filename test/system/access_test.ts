// System tests split from test/access_test.ts: they start processes of other runtimes, Python or servers,
// and run once per `npm test` (the "system" row, on Node 24).
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { DiskCache } from "../../mod.ts";
import { rawOpen, type Runner, runners, startAccessWorker, tempDir } from "../_helpers.ts";

/** A runtime other than the one running this test, for the other process. */
function otherRuntime(): Runner {
  const here = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";
  const all = runners("access_worker");
  return all.find((r) => r.name === (here === "node" ? "bun" : "node24"))!;
}

test("LRU: hits of a process that only reads (another runtime) reach the eviction order, so the hot key is not evicted", { timeout: 300_000 }, async () => {
  using dir = tempDir();
  let now = 1_700_000_000_000;
  const options = { clock: () => now, evictionPolicy: "least-recently-used", sizeLimit: 400_000, cullLimit: 10 } as const;
  using writer = new DiskCache(dir.path, options);
  const value = "x".repeat(15_000);
  writer.set("hot", value);
  for (let i = 0; i < 20; i++) {
    now += 10;
    writer.set(`cold${i}`, value);
  }
  const reader = startAccessWorker(otherRuntime(), [dir.path, options.evictionPolicy, String(options.sizeLimit), String(now)]);
  try {
    for (let round = 0; round < 30; round++) {
      // Both clocks move a second: the reader's first hit of the round writes its pending hits.
      now += 1000;
      await reader.send({ op: "tick", ms: 1000 });
      assert.equal(await reader.send({ op: "get", key: "hot", n: 50 }), 50, `${reader.name} reads "hot"`);
      now += 10;
      writer.set(`new${round}`, value);
    }
  } finally {
    await reader.close();
  }
  assert.ok(writer.length < 51, "the size limit evicted items");
  assert.ok(writer.has("hot"), "the key read most recently survives");
  assert.deepEqual(Array.from({ length: 20 }, (_, i) => `cold${i}`).filter((k) => writer.has(k)), [], "the keys never read went first");
});

test("LFU: pending hit counts land on the row that was read, not on a row that reused its rowid (two runtimes)", { timeout: 120_000 }, async () => {
  using dir = tempDir();
  let now = 1_700_000_000_000;
  using a = new DiskCache(dir.path, { clock: () => now, evictionPolicy: "least-frequently-used" });
  a.set("a", 1);
  now += 1;
  a.set("x", 2);
  const db = rawOpen(join(dir.path, "cache.db"));
  const row = (key: string) => db.prepare("SELECT rowid, access_count FROM Cache WHERE key = ?").get(key) as { rowid: number; access_count: number };
  const b = startAccessWorker(otherRuntime(), [dir.path, "least-frequently-used", String(a.sizeLimit), String(now)]);
  try {
    assert.equal(await b.send({ op: "get", key: "x", n: 500 }), 500);
    assert.equal(await b.send({ op: "get", key: "a", n: 7 }), 7);
    const xRowid = row("x").rowid;
    now += 1;
    assert.equal(a.delete("x"), true);
    a.set("y", 3);
    assert.equal(row("y").rowid, xRowid, "SQLite reused the deleted row's rowid");
    assert.equal(await b.send({ op: "set", key: "z", size: 1 }), true, "b's write carries its pending counts");
    assert.equal(row("y").access_count, 0, `"y" was never read`);
    assert.equal(row("a").access_count, 7, `the hits of "a" landed`);
  } finally {
    await b.close();
    db.close();
  }
});

test("close() of a connection with pending LRU hits gives up at once when another process holds the lock", { timeout: 60_000 }, async () => {
  using dir = tempDir();
  const now = 1_700_000_000_000;
  {
    using cache = new DiskCache(dir.path, { clock: () => now, evictionPolicy: "least-recently-used" });
    cache.set("k", 1);
  }
  // Its timeout is ten minutes: a close that waited for the lock would hang
  // this test (the test's timeout is only a deadlock detector).
  const w = startAccessWorker(otherRuntime(), [dir.path, "least-recently-used", String(2 ** 30), String(now + 500), "600000"]);
  const db = rawOpen(join(dir.path, "cache.db"));
  try {
    db.exec("BEGIN IMMEDIATE"); // before the hit: its timer never finds the lock free either
    try {
      assert.equal(await w.send({ op: "get", key: "k", n: 1 }), 1);
      await w.close();
    } finally {
      db.exec("ROLLBACK");
    }
    const { access_time } = db.prepare("SELECT access_time FROM Cache WHERE key = 'k'").get() as { access_time: number };
    assert.equal(access_time, now / 1000, "the pending hit was dropped, as statistics are: best effort");
  } finally {
    db.close();
  }
});
