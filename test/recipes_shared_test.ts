// What the recipes share (src/recipes/_shared.ts): a FanoutCache shard that
// another connection holds makes tries answer false, writes retry then throw
// Timeout, and throttle wait.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { Averager, BoundedSemaphore, DiskCache, FanoutCache, RLock, throttle, Timeout } from "../mod.ts";
import { tempDir } from "./_helpers.ts";

test("recipes on a FanoutCache whose shard another connection holds: tries answer false, writes retry then throw Timeout, throttle waits", async () => {
  using dir = tempDir();
  using fanout = new FanoutCache(dir.path, { shards: 1, timeout: 1, evictionPolicy: "none" });
  using other = new DiskCache(join(dir.path, "000"), { timeout: 1, evictionPolicy: "none" });
  const rlock = new RLock(fanout, "r");
  const sem = new BoundedSemaphore(fanout, "s");
  const waits: number[] = [];
  const tick = throttle(fanout, 1, 1000, function busyTick() {
    return "ticked";
  }, { sleep: (ms) => Promise.resolve(void waits.push(ms)) });
  let ticked: Promise<string> | undefined;
  other.transact(() => {
    assert.equal(rlock.tryAcquire(), false, "busy: not taken now");
    assert.equal(sem.tryAcquire(), false);
    assert.throws(() => new Averager(fanout, "a").add(1), Timeout, "a write that must not be lost is retried, then reported");
    ticked = tick(); // its first try meets the busy shard
  });
  assert.equal(await ticked, "ticked");
  assert.deepEqual(waits, [1], "throttle waited a moment for the shard");
  assert.equal(rlock.tryAcquire(), true);
  rlock.release();
  let reads = 0;
  const broken = throttle(fanout, 1, 1000, function broken() {}, {
    clock: () => {
      if (reads++ > 0) throw new Error("no clock");
      return Date.now();
    },
  });
  await assert.rejects(broken(), /no clock/, "an error inside the shard's transaction is not taken for a busy shard");
});
