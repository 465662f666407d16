// The Node entry's drivers (runtimes/node.ts) against the shared driver
// contract: node:sqlite (Node 24, Deno) and better-sqlite3 (Node 20).
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { betterSqlite3Driver, nodeSqliteDriver } from "../runtimes/node.ts";
import { driverContract } from "./_driver_contract.ts";
import { tempDir } from "./_helpers.ts";

driverContract("node:sqlite", nodeSqliteDriver);
driverContract("better-sqlite3", betterSqlite3Driver);

test("better-sqlite3 refuses an immutable open before touching the file, on every runtime that loads the package", (t) => {
  let driver: ReturnType<typeof betterSqlite3Driver>;
  try {
    driver = betterSqlite3Driver();
  } catch (error) {
    return t.skip(`better-sqlite3 does not load here: ${(error as Error).message}`);
  }
  using dir = tempDir();
  const path = join(dir.path, "cache.db");
  assert.throws(
    () => driver.open(path, { readonly: true, immutable: true }),
    /^Error: Cannot open the database immutable: better-sqlite3 does not accept SQLite URI filenames; use node:sqlite/,
  );
  assert.equal(existsSync(path), false, "nothing was opened or created");
});
