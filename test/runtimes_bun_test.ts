// The Bun entry's driver (runtimes/bun.ts) against the shared driver
// contract, on Bun only (bun:sqlite exists nowhere else).
import { test } from "node:test";
import assert from "node:assert/strict";
import { DiskCache } from "../mod.ts";
import { driverContract } from "./_driver_contract.ts";
import { tempDir } from "./_helpers.ts";

const isBun = (globalThis as { Bun?: unknown }).Bun !== undefined;

driverContract("bun:sqlite", async () => {
  if (!isBun) throw new Error("not Bun");
  return (await import("../runtimes/bun.ts")).bunDriver();
});

test("the /bun entry's bunDriver() opens caches on Bun", async (t) => {
  if (!isBun) return t.skip("Bun only");
  const { bunDriver } = await import("../runtimes/bun.ts");
  using dir = tempDir();
  using cache = new DiskCache(dir.path, { driver: bunDriver() });
  cache.set("k", [1]);
  assert.equal(cache.driverName, "bun:sqlite");
  assert.deepEqual(cache.get("k"), [1]);
});
