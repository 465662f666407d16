// How the core uses a driver (src/driver.ts): object rows, error codes. How
// the npm build chooses its default driver and what happens without one (in
// processes of Node 20 and Node 24): test/system/driver_test.ts. The contract
// every driver keeps is test/_driver_contract.ts, run per binding by
// runtimes_{node,bun,deno}_test.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { sqliteErrorCode } from "../src/driver.ts";
import { objectRowsDriver, tempCache } from "./_helpers.ts";

test('the core reads object rows from a driver that answers arrays: "preferred" with objects, under every policy', () => {
  // bun:sqlite does so; here a driver over this runtime's binding that does
  // the same, so the object-row path of get() runs on every runtime.
  const driver = objectRowsDriver();
  for (const evictionPolicy of ["least-recently-stored", "least-recently-used", "least-frequently-used"] as const) {
    using cache = tempCache({ driver, evictionPolicy, statistics: true, minFileSize: 64 });
    const values: unknown[] = ["text", 42, 2n ** 60n, 1.5, new Uint8Array([1, 2]), { nested: [1, "two"] }, "f".repeat(100), null];
    values.forEach((v, i) => cache.set(i, v));
    values.forEach((v, i) => assert.deepEqual(cache.get(i), v, `${evictionPolicy}: value ${i}`));
    assert.equal(cache.get("absent"), undefined);
    assert.deepEqual([cache.stats().hits, cache.stats().misses], [values.length, 1]);
  }
});

test("sqliteErrorCode() reads the codes of every binding's errors", () => {
  assert.equal(sqliteErrorCode({ errcode: 5 }), 5);
  assert.equal(sqliteErrorCode({ errcode: 261 }), 5);
  assert.equal(sqliteErrorCode({ code: "SQLITE_BUSY" }), 5);
  assert.equal(sqliteErrorCode({ code: "SQLITE_CORRUPT_VTAB" }), 11);
  assert.equal(sqliteErrorCode({ code: "SQLITE_ERROR", errno: 1 }), 1);
  assert.equal(sqliteErrorCode({ code: "ENOENT" }), undefined);
  assert.equal(sqliteErrorCode({ code: "ERR_SQLITE_ERROR", message: "database is locked" }), 5);
  assert.equal(sqliteErrorCode({ code: "ERR_SQLITE_ERROR", message: "no such table: x" }), 1);
  assert.equal(sqliteErrorCode(null), undefined);
});
