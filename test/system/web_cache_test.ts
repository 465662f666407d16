// System tests split from test/web_cache_test.ts: they start processes of other runtimes, Python or servers,
// and run once per `npm test` (the "system" row, on Node 24).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import type { DiskCache } from "../../mod.ts";
import { DiskCacheStorage } from "../../web-cache.ts";
import { runJson, runners, tempDir, valueFiles } from "../_helpers.ts";

const U = "https://example.com";

function bodyRows(cache: DiskCache): string[] {
  return [...cache.keys()].filter((k): k is string => typeof k === "string" && /^webcache:[^:]+:b:/.test(k));
}

test("WebCache: a put in one runtime's process is matched by the next match in another runtime's", async () => {
  const all = runners("web_cache_worker");
  assert.ok(all.length >= 2, "at least two runtimes");
  using dir = tempDir();
  for (let i = 0; i < all.length; i++) {
    const writer = all[i]!, reader = all[(i + 1) % all.length]!;
    const url = `${U}/from-${writer.name}`;
    await runJson(writer, ["put", dir.path, "shared", url, `written by ${writer.name}`]);
    const got = await runJson<{ status: number; text: string; headers: Record<string, string> }>(reader, ["match", dir.path, "shared", url]);
    assert.equal(got.text, `written by ${writer.name}`, `${reader.name} reads what ${writer.name} put`);
    assert.equal(got.headers["content-type"], "text/plain");
  }
  using s = new DiskCacheStorage(dir.path);
  assert.deepEqual((await (await s.open("shared")).keys()).map((r) => r.url), all.map((w) => `${U}/from-${w.name}`));
});

test("WebCache: a process killed mid-put leaves nothing stored, and the storage stays usable", async () => {
  const all = runners("web_cache_worker");
  using dir = tempDir();
  for (const r of all.slice(0, 2)) {
    for (const size of ["small", "large"]) {
      const child = spawn(r.cmd, [...r.args, "hang", dir.path, "k", `${U}/${size}`, size], { stdio: ["ignore", "pipe", "pipe"] });
      let out = "", err = "";
      child.stderr.on("data", (d) => (err += d));
      await new Promise<void>((resolve, reject) => {
        child.stdout.on("data", (d) => {
          out += d;
          if (out.includes("started")) resolve();
        });
        child.on("exit", () => reject(new Error(`${r.name} exited early: ${out}\n${err}`)));
      });
      child.kill("SIGKILL");
      await new Promise((resolve) => child.on("close", resolve));
    }
  }
  using s = new DiskCacheStorage(dir.path);
  const cache = await s.open("k");
  assert.equal(await cache.match(`${U}/small`), undefined);
  assert.equal(await cache.match(`${U}/large`), undefined);
  assert.deepEqual(await cache.keys(), []);
  assert.deepEqual(bodyRows(s.cache), []);
  await cache.put(`${U}/large`, new Response(new Uint8Array(1 << 20)));
  assert.equal((await (await cache.match(`${U}/large`))!.arrayBuffer()).byteLength, 1 << 20);
});

test("WebCache: processes of every runtime putting one URL at once leave one entry, its own body, no orphan", async () => {
  const all = runners("web_cache_worker");
  using dir = tempDir();
  const url = `${U}/contended`;
  await Promise.all(all.map((r) => runJson(r, ["puts", dir.path, "c", url, "8"])));
  using s = new DiskCacheStorage(dir.path);
  const cache = await s.open("c");
  const answers = await cache.matchAll(url);
  assert.equal(answers.length, 1);
  const bytes = new Uint8Array(await answers[0]!.arrayBuffer());
  assert.ok(bytes.length === 100 || bytes.length === 2 << 20, `a whole body: ${bytes.length} bytes`);
  assert.ok(bytes.every((b) => b === bytes.length % 251), "the body put with this entry");
  assert.ok(bodyRows(s.cache).length <= 1, "the replaced bodies are gone");
  assert.equal(valueFiles(dir.path).length, bytes.length >= s.cache.minFileSize ? 1 : 0, "no orphan value file");
});
