// Every SQL statement the library prepares, checked with EXPLAIN QUERY PLAN
// against a populated cache: no statement may sort in a temporary B-tree or
// scan the Cache table where an index should serve (issue 17 #1). The
// statements are collected by a recording driver while a broad workload runs
// over the whole public API, so a statement added later is checked too.
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { SqliteDatabase, SqliteDriver } from "../src/driver.ts";
import { detectDriver } from "../runtimes/auto.ts";
import { Deque, DiskCache, type DiskCacheOptions, FanoutCache, Index, Lock } from "../mod.ts";
import { tempDir } from "./_helpers.ts";

/** A driver that records the SQL of every statement prepared through it. */
function recordingDriver(inner: SqliteDriver, seen: Set<string>): SqliteDriver {
  return {
    ...inner,
    name: inner.name,
    errorCode: (error) => inner.errorCode(error),
    open(path, options): SqliteDatabase {
      const db = inner.open(path, options);
      return {
        exec: (sql) => db.exec(sql),
        prepare(sql, prepareOptions) {
          seen.add(sql.replace(/\s+/g, " ").trim());
          return db.prepare(sql, prepareOptions);
        },
        close: () => db.close(),
      };
    },
  };
}

const POLICIES = ["least-recently-stored", "least-recently-used", "least-frequently-used", "none"] as const;

async function workload(dir: string, driver: SqliteDriver): Promise<void> {
  let n = 0;
  for (const evictionPolicy of POLICIES) {
    for (const tagIndex of [false, true]) {
      for (const statistics of [false, true]) {
        const options: DiskCacheOptions = {
          driver,
          evictionPolicy,
          tagIndex,
          statistics,
          minFileSize: 64,
          sizeLimit: 40_000,
          cullLimit: 5,
        };
        using cache = new DiskCache(join(dir, `c${n++}`), options);
        for (let i = 0; i < 150; i++) {
          cache.set(i % 3 === 0 ? i : i % 3 === 1 ? `k${i}` : [i, "s"], i % 5 === 0 ? "x".repeat(200) : { i }, {
            ttl: i % 7 === 0 ? 1 : undefined,
            tag: i % 4 === 0 ? "t" : undefined,
          });
        }
        cache.set(2n ** 60n, 2n ** 62n);
        cache.get(1);
        cache.get(2n ** 60n);
        cache.get("k1");
        cache.get("x".repeat(10));
        cache.get([2, "s"]);
        cache.getEntry(5);
        cache.has("k4");
        cache.add("k4", 1);
        cache.add("new", 1);
        cache.incr("n");
        cache.incr("n", 2n ** 60n);
        cache.decr("n", 1n);
        cache.touch("new", 1000);
        cache.pop("k7");
        cache.pop(15);
        cache.delete("k10");
        cache.getMany(["k13", 3]);
        cache.setMany([["m1", 1], ["m2", "y".repeat(100)]]);
        cache.deleteMany(["m1", "m2"]);
        for (const order of ["insertion", "key"] as const) {
          for (const reverse of [false, true]) {
            [...cache.keys({ order, reverse })];
            [...cache.entries({ order, reverse })];
          }
        }
        for (const prefix of [undefined, "q"]) {
          for (const side of ["front", "back"] as const) {
            cache.push("a", { prefix, side });
            cache.push("b".repeat(100), { prefix, side, ttl: 1000, tag: "t" });
            cache.peek({ prefix, side });
            cache.pull({ prefix, side });
          }
        }
        cache.peekItem();
        cache.peekItem({ last: true });
        cache.transact(() => {
          cache.set("in", 1);
          cache.transact(() => cache.get("in"));
        });
        try {
          cache.transact(() => {
            cache.set("rolled", 1);
            throw new Error("roll back");
          });
        } catch { /* rolled back */ }
        const m = cache.memoize((x: number) => x * 2, { name: "double" });
        m(1);
        m(1);
        await cache.setStream("s", new Blob(["z".repeat(300)]).stream());
        await new Response(cache.getStream("s")).text();
        const src = join(dir, `src${n}`);
        writeFileSync(src, "f".repeat(300));
        await cache.setFile("f", src);
        await cache.getFile("f", join(dir, `dst${n}`));
        cache.stats();
        cache.stats({ reset: true });
        cache.volume();
        cache.length;
        cache.expire(Date.now() + 10_000);
        cache.evict("t");
        cache.cull();
        cache.check();
        cache.check({ fix: true });
        cache.updateSettings({ cullLimit: 10 });
        cache.reloadSettings();
        if (tagIndex) cache.dropTagIndex();
        else cache.createTagIndex();
        cache.clear();
      }
    }
  }
  {
    using deque = new Deque(join(dir, "deque"), { driver, maxLength: 50 });
    for (let i = 0; i < 60; i++) deque.push(i);
    deque.unshift(-1);
    deque.at(3);
    deque.at(-3);
    deque.pop();
    deque.shift();
    deque.rotate(2);
    deque.reverse();
    [...deque];
    deque.clear();
  }
  {
    using index = new Index(join(dir, "index"), { driver });
    index.set("a", 1).set("b", 2);
    index.get("a");
    index.setDefault("c", 3);
    [...index.keys()];
    [...index.entries()];
    index.push(1);
    index.pull();
    index.popItem();
    index.popItem({ last: true });
    index.delete("a");
    index.clear();
  }
  {
    using fanout = new FanoutCache(join(dir, "fanout"), { driver, shards: 2 });
    fanout.set("a", 1, { tag: "t" });
    fanout.get("a");
    [...fanout.keys()];
    fanout.evict("t");
    fanout.cull();
    fanout.clear();
  }
  {
    using cache = new DiskCache(join(dir, "lock"), { driver });
    const lock = new Lock(cache, "l");
    lock.acquire();
    lock.release();
  }
}

// Statements allowed to scan Cache without an index, each for a reason.
const MAY_SCAN: [RegExp, string][] = [
  [/^PRAGMA /, "pragmas"],
  [/FROM Cache WHERE filename IS NOT NULL$/, "check(): visits every value file by design"],
  [
    /^SELECT COUNT\(key\) AS count, COALESCE\(SUM\(size\), 0\) AS size FROM Cache$/,
    "check(): recounts every row by design",
  ],
  // A walk of the table B-tree in rowid order stops after LIMIT rows: no sort,
  // no full scan (clear() batches, the first page of insertion-order
  // iteration, peekItem, evict without a tag index).
  [/ORDER BY rowid (ASC |DESC )?LIMIT/, "rowid walk bounded by LIMIT"],
];

test("no prepared statement sorts in a temp B-tree or scans Cache where an index serves (issue 17 #1)", async () => {
  using dir = tempDir();
  const inner = detectDriver();
  const seen = new Set<string>();
  await workload(dir.path, recordingDriver(inner, seen));

  // A populated cache with every index the library can create.
  const path = join(dir.path, "plans");
  {
    using cache = new DiskCache(path, { driver: inner, tagIndex: true, minFileSize: 64 });
    cache.transact(() => {
      for (let i = 0; i < 2000; i++) {
        cache.set(i % 2 ? i : `k${i}`, i, { ttl: i % 3 ? 60_000 : undefined, tag: i % 5 ? "t" : undefined });
      }
    });
    for (const evictionPolicy of POLICIES) cache.updateSettings({ evictionPolicy });
  }
  const db = inner.open(join(path, "cache.db"));
  db.exec("ANALYZE");
  const table: [string, string][] = [];
  const bad: string[] = [];
  for (const sql of [...seen].sort()) {
    let plan: string;
    try {
      const rows = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[];
      plan = rows.map((r) => r.detail).join("; ");
    } catch (error) {
      plan = `(not explainable: ${(error as Error).message.split("\n")[0]})`;
    }
    table.push([sql, plan]);
    const temp = /USE TEMP B-TREE/.test(plan);
    const scan = /(^|; )SCAN Cache($|;)/.test(plan);
    const allowed = MAY_SCAN.find(([re]) => re.test(sql));
    if (temp || (scan && allowed === undefined)) bad.push(`${sql}\n    -> ${plan}`);
  }
  db.close();
  const markdown = [
    `| statement | plan (${inner.name}) |`,
    "|---|---|",
    ...table.map(([sql, plan]) => `| \`${sql.replace(/\|/g, "\\|")}\` | ${plan.replace(/\|/g, "\\|") || "(none)"} |`),
  ].join("\n");
  const out = globalThis.process?.env?.DISKCACHE_QUERY_PLANS;
  if (out) writeFileSync(out, `# Query plans of every prepared statement\n\n${markdown}\n`);
  assert.ok(seen.size > 40, `the workload prepared only ${seen.size} statements`);
  assert.deepEqual(bad, [], `statements that sort or scan:\n${bad.join("\n")}`);
});
