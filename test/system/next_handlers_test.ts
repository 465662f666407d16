// System tests split from test/next_handlers_test.ts: the Next.js cache
// handlers in processes of every runtime (test/fixtures/next_worker.ts) share
// entries and tag revalidations. They run once per `npm test` (the "system"
// row, on Node 24).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DiskCache } from "../../mod.ts";
import { run, runJson, runners, sleep, startAccessWorker, tempDir, until } from "../_helpers.ts";

describe("createIncrementalCacheHandler", () => {
  it("sees a tag revalidated by another process of another runtime on its next get", async () => {
    const rs = runners("next_worker");
    assert.ok(rs.length >= 2, "at least two runtimes");
    using dir = tempDir();
    for (let i = 0; i < rs.length; i++) {
      const writer = rs[i]!, other = rs[(i + 1) % rs.length]!;
      const key = `/p${i}`;
      await runJson(writer, [dir.path, "page-set", key, `tag${i},_N_T_${key}`]);
      const hit = await runJson<{ result: { html: string; rsc: string } }>(other, [dir.path, "page-get", key]);
      assert.deepEqual([hit.result.html, hit.result.rsc], [`<p>${key}</p>`, `rsc ${key}`], `${writer.name} -> ${other.name}`);
      await new Promise((r) => setTimeout(r, 2)); // the revalidation must be later than the entry (ms clock)
      await runJson(other, [dir.path, "revalidate", `tag${i}`]);
      assert.deepEqual(await runJson(writer, [dir.path, "page-get", key]), { result: null }, `${other.name} revalidated, ${writer.name} reads`);
    }
  });
});

describe("the handlers' memory of decoded entries", () => {
  it("never hides another process's set or revalidation: a process that keeps its handlers sees each at its next get", async () => {
    const rs = runners("next_worker");
    using dir = tempDir();
    for (let i = 0; i < rs.length; i++) {
      const reader = startAccessWorker(rs[i]!, [dir.path, "serve"]), writer = rs[(i + 1) % rs.length]!;
      const who = `${writer.name} writes, ${reader.name} reads`;
      try {
        const page = `/m${i}`, tag = `mt${i}`, use = `u${i}`;
        const html = async () => ((await reader.send({ op: "page-get", args: [page] })) as { html: string } | null)?.html;
        const text = async () => ((await reader.send({ op: "use-get", args: [use] })) as { text: string } | null)?.text;
        assert.equal(await html(), undefined, who);
        assert.equal(await text(), undefined, who);
        await runJson(writer, [dir.path, "page-set", page, `${tag},_N_T_${page}`, "<p>one</p>"]);
        await runJson(writer, [dir.path, "use-set", use, tag, "one"]);
        for (let n = 0; n < 3; n++) { // read from disk once, then from memory
          assert.equal(await html(), "<p>one</p>", who);
          assert.equal(await text(), "one", who);
        }
        await runJson(writer, [dir.path, "page-set", page, `${tag},_N_T_${page}`, "<p>two</p>"]);
        assert.equal(await html(), "<p>two</p>", `${who}: a new page`);
        assert.equal(await text(), "one", who);
        await runJson(writer, [dir.path, "use-set", use, tag, "two"]);
        assert.equal(await text(), "two", `${who}: a new 'use cache' entry`);
        await new Promise((r) => setTimeout(r, 2)); // the revalidation must be later than the entries (ms clock)
        await runJson(writer, [dir.path, "revalidate", tag]);
        assert.equal(await html(), undefined, `${who}: the page's tag revalidated`);
        assert.equal(await text(), undefined, `${who}: the entry's tag revalidated`);
      } finally {
        await reader.close();
      }
    }
  });
});

describe("createUseCacheHandler", () => {
  it("makes a get in another process wait for a set of its key still pending there, and not past the death of its writer", async () => {
    const rs = runners("next_worker");
    using dir = tempDir();
    using cache = new DiskCache(dir.path);
    const marked = (key: string) => until(() => cache.has(["next-use-cache-pending", key]));
    for (let i = 0; i < rs.length; i++) {
      const writer = startAccessWorker(rs[i]!, [dir.path, "serve"]), reader = startAccessWorker(rs[(i + 1) % rs.length]!, [dir.path, "serve"]);
      const who = `${writer.name} sets, ${reader.name} gets`;
      try {
        const key = `pending${i}`;
        await writer.send({ op: "use-set-begin", args: [key, "t", `value ${i}`] });
        assert.ok(await marked(key), who);
        let answered = false;
        const got = reader.send({ op: "use-get", args: [key] }).finally(() => (answered = true));
        await sleep(300); // time for a reader that did not wait to answer its miss
        assert.equal(answered, false, `${who}: the get waits`);
        await writer.send({ op: "use-set-end", args: [key] });
        assert.deepEqual(await got, { text: `value ${i}`, revalidate: 900 }, who);
        assert.equal(cache.has(["next-use-cache-pending", key]), false, `${who}: the marker is gone once stored`);
      } finally {
        await writer.close();
        await reader.close();
      }
    }
    // A writer SIGKILLed mid-set: its marker is no longer renewed, and the get answers (a miss) once it lapses.
    const [first, second = first] = rs;
    const died = await run(first!.cmd, [...first!.args, dir.path, "use-set-die", "orphan"]);
    assert.notEqual(died.code, 0);
    assert.deepEqual(await runJson(second!, [dir.path, "use-get", "orphan"]), { result: null });
  });

  it("shares entries and tag revalidations with processes of other runtimes", async () => {
    const rs = runners("next_worker");
    using dir = tempDir();
    for (let i = 0; i < rs.length; i++) {
      const writer = rs[i]!, other = rs[(i + 1) % rs.length]!;
      await runJson(writer, [dir.path, "use-set", `k${i}`, `t${i}`, `text ${i}`]);
      assert.deepEqual(await runJson(other, [dir.path, "use-get", `k${i}`]), { result: { text: `text ${i}`, revalidate: 900 } });
      await new Promise((r) => setTimeout(r, 2));
      await runJson(other, [dir.path, "use-update", `t${i}`]);
      assert.deepEqual(await runJson(writer, [dir.path, "use-get", `k${i}`]), { result: null }, `${other.name} -> ${writer.name}`);
    }
  });
});
