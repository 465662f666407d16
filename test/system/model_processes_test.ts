// Two-process model test: a writer of one runtime replaces the values of
// keys that always exist (inline and file-backed) and deletes and re-adds
// others, while a reader of another runtime checks that every read returns a
// value some write stored for that key (old or new, never neither, never
// torn), through get() and entries() in both orders. Which runtimes write and
// read rotates with the test row. Pass/fail does not depend on timing: the
// reader does a fixed number of reads, and any bad one fails.
import { test } from "node:test";
import assert from "node:assert/strict";
import { row, runJson, runners, tempDir } from "../_helpers.ts";

const PAIRS: Record<string, [writer: string, reader: string]> = {
  deno: ["bun", "node24"],
  bun: ["node24", "deno"],
  node24: ["deno", "bun"],
  node20: ["bun", "node20"],
  unknown: ["bun", "node24"],
};

interface ReaderResult {
  reads: number;
  walks: number;
  bad: string[];
  badCount: number;
}

let shared: Promise<{ read: ReaderResult; pair: string }> | undefined;
/** Runs the writer and the reader once; both tests judge the same run. */
function runPair(): Promise<{ read: ReaderResult; pair: string }> {
  shared ??= (async () => {
    const all = runners("model_worker");
    const [w, r] = PAIRS[row] ?? PAIRS.unknown!;
    const writer = all.find((x) => x.name === w) ?? all[0]!;
    const reader = all.find((x) => x.name === r) ?? all.find((x) => x.name !== writer.name)!;
    using dir = tempDir();
    await runJson(writer, ["init", dir.path]);
    const [, read] = await Promise.all([
      runJson<{ ops: number }>(writer, ["write", dir.path, "1500"]),
      runJson<ReaderResult>(reader, ["read", dir.path, "1500"]),
    ]);
    assert.equal(read.reads, 1500 * 4);
    return { read, pair: `${reader.name} reading while ${writer.name} writes` };
  })();
  return shared;
}

test("two processes of different runtimes: no read returns a value that no write stored for its key (torn, or another key's), none is seen twice", async () => {
  const { read, pair } = await runPair();
  const wrong = read.bad.filter((b) => !b.endsWith(" missed") && !b.startsWith("entries() skipped"));
  assert.deepEqual(wrong, [], pair);
});

test("two processes of different runtimes: a key that always exists is never missed by get() nor skipped by entries()", async () => {
  const { read, pair } = await runPair();
  assert.deepEqual(read.bad, [], `${pair}: ${read.badCount} bad reads`);
});
