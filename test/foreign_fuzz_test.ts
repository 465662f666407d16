// Fuzzing what this library decodes: rows whose stored bytes are random.
// Everything is read, skipped or refused with a typed DiskCacheError; nothing
// stops iteration. (Directories python-diskcache wrote with random content:
// test/system/foreign_fuzz_test.ts.)
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import fc from "fast-check";
import { DiskCache } from "../mod.ts";
import { rawOpen, tempDir } from "./_helpers.ts";
import { typed, walk } from "./_fuzz.ts";

const RUNS = Number(globalThis.process?.env?.DISKCACHE_MODEL_RUNS ?? 25);

test("rows with random stored values (every mode, raw keys): reads return or throw a DiskCacheError", () => {
  using dir = tempDir();
  let n = 0;
  const row = fc.record({
    mode: fc.constantFrom(1, 2, 3, 4, 5, 0, 9),
    key: fc.uint8Array({ maxLength: 24 }),
    value: fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.string({ maxLength: 10 }), fc.integer(), fc.constant(null)),
  });
  fc.assert(
    fc.property(fc.array(row, { minLength: 1, maxLength: 12 }), (rows) => {
      const d = join(dir.path, String(n++));
      new DiskCache(d).close();
      const db = rawOpen(join(d, "cache.db"));
      const insert = db.prepare(
        "INSERT OR IGNORE INTO Cache (key, raw, store_time, expire_time, access_time, access_count, tag, size, mode, filename, value) VALUES (?, ?, 0, NULL, 0, 0, NULL, 0, ?, NULL, ?)",
      );
      for (const r of rows) insert.run(r.key, 1, r.mode, typeof r.value === "number" ? BigInt(r.value) : r.value);
      db.exec(`UPDATE Settings SET value = (SELECT COUNT(*) FROM Cache) WHERE key = 'count'`);
      db.close();
      using cache = new DiskCache(d);
      for (const order of ["insertion", "key"] as const) {
        assert.equal(walk("keys()", () => cache.keys({ order })).length, cache.length, "keys() yields every raw key");
        walk("entries()", () => cache.entries({ order }));
      }
      for (const r of rows) typed("get()", () => cache.get(r.key));
      typed("peekItem()", () => cache.peekItem());
      typed("check()", () => cache.check());
    }),
    { numRuns: RUNS, endOnFailure: true },
  );
});

test("rows with random stored bytes: a value that cannot be read does not stop iteration", () => {
  using dir = tempDir();
  let n = 0;
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ minLength: 1, maxLength: 24 }), { minLength: 1, maxLength: 8 }), fc.constantFrom(4, 5), (junk, mode) => {
      const d = join(dir.path, String(n++));
      using cache = new DiskCache(d);
      for (let i = 0; i < 5; i++) cache.set(`good-${i}`, i);
      const db = rawOpen(join(d, "cache.db"));
      const insert = db.prepare(
        "INSERT OR IGNORE INTO Cache (key, raw, store_time, expire_time, access_time, access_count, tag, size, mode, filename, value) VALUES (?, 0, 0, NULL, 0, 0, NULL, 0, ?, NULL, ?)",
      );
      // Junk structured keys (raw = 0) and junk values, between the good items.
      for (const [i, b] of junk.entries()) {
        insert.run(b, mode, b),
          db.prepare("INSERT INTO Cache (key, raw, store_time, access_time, access_count, size, mode, value) VALUES (?, 1, 0, 0, 0, 0, ?, ?)").run(
            `junk-${i}`,
            mode,
            b,
          );
      }
      db.close();
      for (let i = 5; i < 10; i++) cache.set(`good-${i}`, i);
      for (const order of ["insertion", "key"] as const) {
        for (const reverse of [false, true]) {
          const ks = walk("keys()", () => cache.keys({ order, reverse })).filter((k) => typeof k === "string" && k.startsWith("good-"));
          assert.equal(ks.length, 10, `keys({ order: "${order}", reverse: ${reverse} }) reaches every good item`);
          const es = walk("entries()", () => cache.entries({ order, reverse })).filter(([k]) => typeof k === "string" && k.startsWith("good-"));
          assert.equal(es.length, 10, `entries({ order: "${order}", reverse: ${reverse} }) reaches every good item`);
        }
      }
    }),
    { numRuns: RUNS, endOnFailure: true },
  );
});
