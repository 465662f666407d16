// The memory tier against writes of another process of another runtime
// (issue 16): after the writer's set() returned and it told us so, a reader
// with staleness 0 never returns the old value; with staleness N, it has the
// new one once N ms have passed since.
import { test } from "node:test";
import assert from "node:assert/strict";
import { DiskCache } from "../../mod.ts";
import { type Runner, runners, sleep, startAccessWorker, tempDir } from "../_helpers.ts";

const ROUNDS = 150;

/** A runtime other than the one running this test, for the writer. */
function otherRuntime(): Runner {
  const here = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";
  return runners("access_worker").find((r) => r.name === (here === "bun" ? "deno" : "bun"))!;
}

/** The access worker as a writer of `dir`: `set(key, n)` resolves once set() returned there (the round number is the value's length). */
function startWriter(r: Runner, dir: string) {
  const w = startAccessWorker(r, [dir, "least-recently-stored", String(2 ** 30), "1700000000000"]);
  return { name: w.name, set: (key: string, n: number) => w.send({ op: "set", key, size: n }), close: () => w.close() };
}

test("memory tier, staleness 0: after another runtime's set() returned, a read never returns the old value", { timeout: 300_000 }, async () => {
  using dir = tempDir();
  const writer = startWriter(otherRuntime(), dir.path);
  using reader = new DiskCache(dir.path, { memory: { maxBytes: 2 ** 20 } });
  try {
    await writer.set("k", 1);
    for (let round = 2; round <= ROUNDS; round++) {
      // Warm: the old value is in memory when the write lands.
      for (let i = 0; i < 5; i++) assert.equal((reader.get("k") as string).length, round - 1);
      await writer.set("k", round);
      assert.equal((reader.get("k") as string | undefined)?.length, round, `${writer.name} wrote round ${round}; the reader must see it`);
    }
    assert.ok(reader.stats().memory!.hits >= ROUNDS * 3, "the reads came from memory between writes");
  } finally {
    await writer.close();
  }
});

test("memory tier, staleness N: another runtime's write is seen once N ms have passed", { timeout: 300_000 }, async () => {
  using dir = tempDir();
  const staleness = 30;
  const writer = startWriter(otherRuntime(), dir.path);
  using reader = new DiskCache(dir.path, { memory: { maxBytes: 2 ** 20, staleness } });
  try {
    await writer.set("k", 1);
    for (let round = 2; round <= 40; round++) {
      for (let i = 0; i < 5; i++) assert.ok((reader.get("k") as string).length >= round - 1);
      await writer.set("k", round);
      const right = (reader.get("k") as string).length;
      assert.ok(right === round || right === round - 1, `right after the write: round ${round - 1} or ${round}, read ${right}`);
      // Past the staleness bound (with a margin for timers that fire early), the new value must show.
      await sleep(staleness + 5);
      assert.equal((reader.get("k") as string).length, round, `${staleness} ms after ${writer.name} wrote round ${round}`);
    }
  } finally {
    await writer.close();
  }
});
