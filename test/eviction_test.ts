// The eviction module (src/eviction.ts): each policy described once (its
// index, what a read records, its victim order), and what a real cache does
// under it agrees with that description: the index it finds or creates, the
// column a read moves, the victims a write and cull() pick.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { DiskCache, EVICTION_POLICIES, type EvictionPolicy } from "../mod.ts";
import { cullVictimsSql, pendingReadsSql, recordedRead, victimsFreeing, writeVictimsSql } from "../src/eviction.ts";
import { rawOpen, tempDir } from "./_helpers.ts";

const POLICIES = Object.keys(EVICTION_POLICIES) as EvictionPolicy[];

/** The names of the indexes on Cache. */
function indexes(dir: string): string[] {
  const db = rawOpen(join(dir, "cache.db"));
  try {
    return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'Cache'").all() as { name: string }[]).map((r) => r.name);
  } finally {
    db.close();
  }
}

/** The access columns of the row of string key `key`. */
function access(dir: string, key: string): { access_time: number; access_count: number; store_time: number } {
  const db = rawOpen(join(dir, "cache.db"));
  try {
    return db.prepare("SELECT access_time, access_count, store_time FROM Cache WHERE key = ?").get(key) as never;
  } finally {
    db.close();
  }
}

for (const name of POLICIES) {
  const policy = EVICTION_POLICIES[name];
  test(`eviction policy ${name}: its index (if any) is created, recognised when missing, and a read records ${policy.reads ?? "nothing"}`, () => {
    using dir = tempDir();
    let now = 1_000_000;
    const open = () => new DiskCache(dir.path, { evictionPolicy: name, clock: () => now });
    {
      using cache = open();
      cache.set("k", 1);
    }
    if (policy.index !== null) {
      assert.ok(indexes(dir.path).includes(policy.index), `${policy.index} exists`);
      const db = rawOpen(join(dir.path, "cache.db"));
      db.exec(`DROP INDEX ${policy.index}`);
      db.close();
      open().close();
      assert.ok(indexes(dir.path).includes(policy.index), `opening recognised the missing ${policy.index} and made it again`);
    } else {
      assert.equal(policy.init, null);
    }
    using cache = open();
    now += 5000;
    assert.equal(cache.get("k"), 1);
    assert.equal(cache.get("k"), 1);
    cache.set("other", 2); // a write carries the reads recorded in memory
    const row = access(dir.path, "k");
    assert.equal(row.access_time, policy.reads === "time" ? 1005 : 1000, "access_time");
    assert.equal(row.access_count, policy.reads === "count" ? 2 : 0, "access_count");
    assert.equal(policy.onHit === null, policy.reads === null, "onHit is what a read records, as SQL");
  });
}

test("eviction: the policy table cannot be changed under the operations", () => {
  assert.ok(Object.isFrozen(EVICTION_POLICIES));
  for (const name of POLICIES) assert.ok(Object.isFrozen(EVICTION_POLICIES[name]), name);
});

test("eviction: writes and cull() pick victims in the same policy order, counting the same bytes", () => {
  for (const name of POLICIES) {
    const policy = EVICTION_POLICIES[name];
    const write = writeVictimsSql(policy), cull = cullVictimsSql(policy);
    if (policy.order === null) {
      assert.deepEqual([write, cull], [null, null], name);
      continue;
    }
    const columns = (sql: string) => sql.slice(0, sql.indexOf(" FROM "));
    assert.equal(columns(write!), columns(cull!), `${name}: the same victim columns`);
    assert.ok(write!.includes(`ORDER BY ${policy.order} `) && cull!.includes(`ORDER BY ${policy.order} `), name);
  }
});

test("eviction: a write culls the least-frequently-used item, which a read kept from eviction", () => {
  using dir = tempDir();
  using cache = new DiskCache(dir.path, { evictionPolicy: "least-frequently-used", minFileSize: 100, cullLimit: 10 });
  cache.set("a", new Uint8Array(4000));
  cache.set("b", new Uint8Array(4000));
  assert.ok(cache.get("a"));
  cache.updateSettings({ sizeLimit: cache.volume() + 2000 });
  cache.set("c", new Uint8Array(4000)); // over the limit: one victim, the least read
  assert.deepEqual([cache.has("a"), cache.has("b"), cache.has("c")], [true, false, true]);
});

test("eviction: under a sizeLimit no item fits, a write evicts every other item and counts each, never itself; cull() then removes the last", () => {
  using dir = tempDir();
  using cache = new DiskCache(dir.path, { sizeLimit: 1 });
  cache.set("a", 1);
  assert.equal(cache.stats().evictions, 0);
  assert.equal(cache.length, 1, "a write never evicts itself");
  cache.set("b", 2);
  assert.equal(cache.stats().evictions, 1);
  assert.deepEqual([...cache.keys()], ["b"]);
  assert.equal(cache.cull(), 1, "cull() spares no item: the last one goes too");
  assert.equal(cache.stats().evictions, 2);
  assert.equal(cache.cull(), 0, "nothing left to remove: the count stays");
  assert.equal(cache.stats().evictions, 2);
});

test("eviction: a policy that records no reads leaves nothing pending and has no statement for them; a victim without a byte count frees none", () => {
  for (const name of ["least-recently-stored", "none"] as const) {
    assert.equal(recordedRead(EVICTION_POLICIES[name], 3, 5000), null, name);
    assert.equal(pendingReadsSql(EVICTION_POLICIES[name]), null, name);
  }
  assert.equal(recordedRead(EVICTION_POLICIES["least-frequently-used"], undefined, 0), 1, "a first hit");
  const rows = [{ rowid: 1, filename: null }, { rowid: 2, filename: null, bytes: 100 }];
  assert.equal(victimsFreeing(rows, 50, 10), 2, "the first frees nothing counted, the second enough");
});
