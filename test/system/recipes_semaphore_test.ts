// System tests split from test/recipes_semaphore_test.ts: they start processes of other runtimes, Python or servers,
// and run once per `npm test` (the "system" row, on Node 24).
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { type ChildProcess, spawn } from "node:child_process";
import { BoundedSemaphore, DiskCache } from "../../mod.ts";
import { recipeWorkers, runners, tempDir } from "../_helpers.ts";

test("BoundedSemaphore across processes of every runtime: at most value holders at once, none left", async () => {
  using dir = tempDir();
  const path = join(dir.path, "cache");
  await recipeWorkers((_, i) => ["semaphore", path, String(i)]);
  using cache = new DiskCache(path);
  assert.ok((cache.get("most") as number) <= 2, `at most 2 holders at once, saw ${cache.get("most")}`);
  assert.equal(cache.get("holders"), 0);
});

/** Starts a fixture and resolves with the child once it printed a line of stdout. */
function startHolding(r: { name: string; cmd: string; args: string[] }, args: string[]): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(r.cmd, [...r.args, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.stdout!.setEncoding("utf8").once("data", () => resolve(child));
    child.on("error", reject);
    child.on("close", (code) => reject(new Error(`${r.name} exited ${code} before holding: ${stderr}`)));
  });
}

test("BoundedSemaphore: a SIGKILLed holder's slot comes back after its own ttl, while a live holder re-acquiring keeps its slot", async () => {
  using dir = tempDir();
  const path = join(dir.path, "cache");
  new DiskCache(path, { evictionPolicy: "none" }).close();
  const [runner] = runners("recipe_worker");
  const child = await startHolding(runner!, ["semhold", path, "60000"]);
  const exited = new Promise((r) => child.on("close", r));
  child.kill("SIGKILL");
  await exited;
  using cache = new DiskCache(path, { evictionPolicy: "none" });
  let offset = 0;
  const clock = () => Date.now() + offset;
  const live = new BoundedSemaphore(cache, "held", { value: 2, ttl: 60_000, clock });
  const other = new BoundedSemaphore(cache, "held", { value: 2, ttl: 60_000, clock });
  assert.equal(live.tryAcquire(), true, "one slot left beside the dead holder's");
  assert.equal(other.tryAcquire(), false);
  offset = 40_000; // the live holder lets go and takes a slot again, before any ttl ran out
  live.release();
  assert.equal(live.tryAcquire(), true);
  offset = 70_000; // the dead holder's ttl ran out; the live one's (taken at +40 s) did not
  assert.equal(other.tryAcquire(), true, "the dead holder's slot came back");
  assert.equal(new BoundedSemaphore(cache, "held", { value: 2, clock }).tryAcquire(), false, "two live holders: no third");
  live.release();
  other.release();
  assert.equal(cache.has("held"), false, "no holder left: the key is gone");
});
