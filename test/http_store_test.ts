// DiskCacheStore against undici's CacheStore contract, driven directly
// (no interceptor): runs on every row, since it needs only node:stream.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Readable, type Writable } from "node:stream";
import { DiskCache, FanoutCache } from "../mod.ts";
import { cachedFetch, type CacheKey, type CacheValue, DiskCacheStore, type GetResult } from "../http.ts";
import { MAX_VARIANTS } from "../src/http/_variants.ts";
import { sleep, tempCache, tempDir, valueFiles } from "./_helpers.ts";
import { TestServer } from "./_http_server.ts";
import { holdLock, tickCounter, ticksPass } from "./_lock_holder.ts";

function key(path = "/", headers: Record<string, string | string[]> = {}, method = "GET"): CacheKey {
  return { origin: "http://example.test", method, path, headers };
}

function value(extra: Partial<CacheValue> = {}): CacheValue {
  const now = Date.now();
  return {
    statusCode: 200,
    statusMessage: "OK",
    headers: { "content-type": "text/plain" },
    cachedAt: now,
    staleAt: now + 60_000,
    deleteAt: now + 120_000,
    ...extra,
  };
}

function finished(w: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    w.once("finish", resolve).once("error", reject).once("close", () => resolve());
  });
}

async function write(store: DiskCacheStore, k: CacheKey, v: CacheValue, ...chunks: (string | Uint8Array)[]) {
  const w = store.createWriteStream(k, v);
  const done = finished(w);
  for (const c of chunks) {
    if (!w.write(c)) await new Promise((r) => w.once("drain", r));
  }
  w.end();
  await done;
}

async function bodyOf(answer: GetResult | undefined | Promise<GetResult | undefined>): Promise<Buffer> {
  const result = await answer;
  assert.ok(result, "expected a stored response");
  const parts: Buffer[] = [];
  for await (const c of result.body as Iterable<Buffer> | Readable) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

describe("DiskCacheStore", () => {
  it("DiskCacheStore.get() answers synchronously: undefined on a miss, the response once its stream finished", async () => {
    using dir = tempDir();
    using store = new DiskCacheStore(dir.path);
    assert.equal(store.get(key()), undefined);
    const v = value({ etag: '"abc"', cacheControlDirectives: { "max-age": 60 } });
    const w = store.createWriteStream(key(), v);
    w.write("hello ");
    assert.equal(store.get(key()), undefined, "not readable before the stream finished");
    await new Promise<void>((resolve) => w.end("world", resolve));
    const got = store.get(key());
    assert.ok(got && !(got instanceof Promise));
    assert.equal(got.statusCode, 200);
    assert.equal(got.statusMessage, "OK");
    assert.equal(got.etag, '"abc"');
    assert.deepEqual(got.headers, { "content-type": "text/plain" });
    assert.deepEqual(got.cacheControlDirectives, { "max-age": 60 });
    assert.deepEqual([got.cachedAt, got.staleAt, got.deleteAt], [v.cachedAt, v.staleAt, v.deleteAt]);
    assert.equal((await bodyOf(got)).toString(), "hello world");
  });

  it("DiskCacheStore.get() matches the method, and an empty body reads as empty", async () => {
    using dir = tempDir();
    using store = new DiskCacheStore(dir.path);
    await write(store, key("/", {}, "HEAD"), value());
    assert.equal(store.get(key()), undefined);
    assert.equal((await bodyOf(store.get(key("/", {}, "HEAD")))).length, 0);
  });

  it("DiskCacheStore keeps one variant per Vary selection, replaces the matching one, delete() removes all", async () => {
    using dir = tempDir();
    using store = new DiskCacheStore(dir.path);
    const en = key("/v", { "accept-language": "en" });
    const fr = key("/v", { "accept-language": "fr" });
    await write(store, en, value({ vary: { "accept-language": "en" } }), "hello");
    await write(store, fr, value({ vary: { "accept-language": "fr" } }), "bonjour");
    await write(store, key("/v", {}), value({ vary: { "accept-language": null } }), "none");
    assert.equal((await bodyOf(store.get(en))).toString(), "hello");
    assert.equal((await bodyOf(store.get(fr))).toString(), "bonjour");
    assert.equal((await bodyOf(store.get(key("/v")))).toString(), "none");
    assert.equal(store.get(key("/v", { "accept-language": "de" })), undefined);
    await write(store, en, value({ vary: { "accept-language": "en" } }), "hi");
    assert.equal((await bodyOf(store.get(en))).toString(), "hi");
    assert.equal((await bodyOf(store.get(fr))).toString(), "bonjour");
    const arr = key("/a", { accept: ["a", "b"] });
    await write(store, arr, value({ vary: { accept: ["a", "b"] } }), "arr");
    assert.equal((await bodyOf(store.get(arr))).toString(), "arr");
    assert.equal(store.get(key("/a", { accept: ["a"] })), undefined);
    assert.equal(store.get(key("/a", { accept: "a" })), undefined);
    await write(store, key("/v", {}, "HEAD"), value());
    store.delete(key("/v"));
    for (const k of [en, fr, key("/v"), key("/v", {}, "HEAD")]) assert.equal(store.get(k), undefined);
    store.delete(key("/never"));
  });

  it("DiskCacheStore streams a large body into a value file and out of it, and drops the replaced file", async () => {
    using dir = tempDir();
    using cache = new DiskCache(dir.path, { minFileSize: 1024 });
    using store = new DiskCacheStore(cache, { maxInlineBody: 0 });
    const chunk = Buffer.alloc(64 * 1024, 7);
    await write(store, key("/big"), value(), ...Array.from({ length: 80 }, () => chunk));
    assert.equal(valueFiles(dir.path).length, 1);
    const got = await store.get(key("/big"));
    assert.ok(got?.body instanceof Readable, "a large body streams out");
    assert.equal((await bodyOf(got)).length, 80 * 64 * 1024);
    await write(store, key("/big"), value(), Buffer.alloc(4096, 1));
    assert.equal(valueFiles(dir.path).length, 1, "the replaced body file is gone");
    assert.deepEqual(await bodyOf(store.get(key("/big"))), Buffer.alloc(4096, 1));
    store.delete(key("/big"));
    assert.equal(valueFiles(dir.path).length, 0);
    assert.equal(cache.length, 0);
    // Up to 4 MiB, a body in a value file is read whole (one read, as the
    // stream's first 4 MiB chunk would be): no stream to set up.
    await write(store, key("/mid"), value(), Buffer.alloc(100_000, 3));
    assert.equal(valueFiles(dir.path).length, 1);
    const mid = await store.get(key("/mid"));
    assert.ok(Array.isArray(mid?.body), "a body up to 4 MiB comes as one buffer");
    assert.deepEqual(await bodyOf(mid), Buffer.alloc(100_000, 3));
  });

  it("DiskCacheStore keeps a body up to maxInlineBody in its response's item: one item, no body file of its own", async () => {
    using dir = tempDir();
    using cache = new DiskCache(dir.path, { minFileSize: 1024 });
    using store = new DiskCacheStore(cache, { maxInlineBody: 200_000 });
    // In chunks, as bodies arrive: past minFileSize, still held to the end.
    await write(store, key("/in"), value(), Buffer.alloc(100_000, 4), Buffer.alloc(100_000, 5));
    assert.equal(cache.length, 1, "only the URL item");
    assert.equal(valueFiles(dir.path).length, 0, "the item stays in its row, past minFileSize");
    const got = await store.get(key("/in"));
    assert.ok(Array.isArray(got?.body));
    assert.deepEqual(await bodyOf(got), Buffer.concat([Buffer.alloc(100_000, 4), Buffer.alloc(100_000, 5)]));
    // One byte more: its own value file, streamed in.
    await write(store, key("/out"), value(), Buffer.alloc(100_000, 6), Buffer.alloc(100_001, 7));
    assert.equal(cache.length, 3, "the URL items and one body");
    assert.equal(valueFiles(dir.path).length, 1);
    assert.deepEqual(await bodyOf(store.get(key("/out"))), Buffer.concat([Buffer.alloc(100_000, 6), Buffer.alloc(100_001, 7)]));
    // Replacing an inline body by a file body and back leaves no file behind.
    await write(store, key("/in"), value(), Buffer.alloc(300_000, 8));
    assert.equal(cache.length, 4);
    await write(store, key("/in"), value(), "small");
    assert.equal(cache.length, 3);
    assert.equal((await bodyOf(store.get(key("/in")))).toString(), "small");
    // Two large variants of one URL: each body moves to a row of its own, the URL item keeps their headers.
    const en = key("/v", { "accept-language": "en" }), fr = key("/v", { "accept-language": "fr" });
    await write(store, en, value({ vary: { "accept-language": "en" } }), Buffer.alloc(150_000, 1));
    assert.equal(cache.length, 4);
    await write(store, fr, value({ vary: { "accept-language": "fr" } }), Buffer.alloc(150_000, 2));
    assert.equal(cache.length, 6, "the URL item and the two bodies");
    assert.equal(valueFiles(dir.path).length, 1, "still the one body past maxInlineBody");
    assert.ok(cache.inspect("undici:http://example.test/v")!.size < 4096);
    assert.deepEqual(await bodyOf(store.get(en)), Buffer.alloc(150_000, 1));
    assert.deepEqual(await bodyOf(store.get(fr)), Buffer.alloc(150_000, 2));
    // The default keeps 1 MiB inline, whatever the cache's minFileSize.
    using plain = new DiskCacheStore(join(dir.path, "plain"), { minFileSize: 1024 });
    await write(plain, key("/d"), value(), Buffer.alloc(1024 * 1024, 9));
    await write(plain, key("/e"), value(), Buffer.alloc(1024 * 1024 + 1, 9));
    assert.equal((plain.cache as DiskCache).length, 3);
    assert.equal(valueFiles(join(dir.path, "plain")).length, 1, "only the body past 1 MiB has a file");
  });

  it("DiskCacheStore: a hit on one of 32 variants of 256 KiB reads their headers and one body, not every body (issue 22 item 16)", async () => {
    using dir = tempDir();
    using cache = new DiskCache(dir.path);
    using store = new DiskCacheStore(cache);
    const ua = (i: number) => key("/ua", { "user-agent": `agent ${i}` });
    for (let i = 0; i < 32; i++) {
      await write(store, ua(i), value({ vary: { "user-agent": `agent ${i}` } }), Buffer.alloc(256 * 1024, i));
    }
    // What a lookup reads before its one body: the URL item.
    const item = cache.inspect("undici:http://example.test/ua")!;
    assert.ok(item.size < 64 * 1024, `the URL item holds ${item.size} bytes, not every variant's body`);
    for (let i = 0; i < 32; i++) assert.deepEqual(await bodyOf(store.get(ua(i))), Buffer.alloc(256 * 1024, i));
    assert.equal(cache.length, 33, "the URL item and one item per body");
    store.delete(key("/ua"));
    assert.equal(cache.length, 0, "delete() takes the bodies too");
  });

  it("DiskCacheStore keeps at most MAX_VARIANTS variants per URL, dropping the oldest with their bodies", async () => {
    using dir = tempDir();
    using cache = new DiskCache(dir.path, { minFileSize: 1024 });
    using store = new DiskCacheStore(cache, { maxInlineBody: 20_000 });
    const ua = (i: number) => key("/many", { "user-agent": `agent ${i}` });
    const extra = 8;
    for (let i = 0; i < MAX_VARIANTS + extra; i++) {
      // Bodies in rows of their own, and some in value files (past maxInlineBody).
      await write(store, ua(i), value({ vary: { "user-agent": `agent ${i}` } }), Buffer.alloc(i % 3 ? 17_000 : 21_000, i));
    }
    for (let i = 0; i < extra; i++) assert.equal(store.get(ua(i)), undefined, `variant ${i} was dropped`);
    for (let i = extra; i < MAX_VARIANTS + extra; i++) {
      assert.deepEqual(await bodyOf(store.get(ua(i))), Buffer.alloc(i % 3 ? 17_000 : 21_000, i));
    }
    assert.equal(cache.length, MAX_VARIANTS + 1, "no body left behind by a dropped variant");
    const files = valueFiles(dir.path).length;
    assert.equal(files, Array.from({ length: MAX_VARIANTS }, (_, j) => j + extra).filter((i) => i % 3 === 0).length);
    // Storing a variant again refreshes it: it is the newest, and another goes.
    await write(store, ua(extra), value({ vary: { "user-agent": `agent ${extra}` } }), "again");
    await write(store, ua(1000), value({ vary: { "user-agent": "agent 1000" } }), "new");
    assert.equal((await bodyOf(store.get(ua(extra)))).toString(), "again");
    assert.equal(store.get(ua(extra + 1)), undefined);
  });

  it("DiskCacheStore keeps a URL's only body in its item, and moves it out when a second variant arrives", async () => {
    using dir = tempDir();
    using cache = new DiskCache(dir.path, { minFileSize: 1024 });
    using store = new DiskCacheStore(cache);
    const en = key("/one", { "accept-language": "en" }), fr = key("/one", { "accept-language": "fr" });
    await write(store, en, value({ vary: { "accept-language": "en" } }), Buffer.alloc(500_000, 1));
    assert.equal(cache.length, 1, "one variant: its body in the URL item (one lookup per hit)");
    await write(store, fr, value({ vary: { "accept-language": "fr" } }), "petit");
    assert.equal(cache.length, 2, "the large body moved out; the small one stays in the item");
    assert.ok(cache.inspect("undici:http://example.test/one")!.size < 4096);
    assert.deepEqual(await bodyOf(store.get(en)), Buffer.alloc(500_000, 1));
    assert.equal((await bodyOf(store.get(fr))).toString(), "petit");
    await write(store, en, value({ vary: { "accept-language": "en" } }), "small");
    assert.equal(cache.length, 1, "the replaced body's item is gone");
    assert.equal((await bodyOf(store.get(en))).toString(), "small");
    assert.equal(valueFiles(dir.path).length, 0);
  });

  it("cachedFetch: a hit on one of 32 variants reads their headers and one body, and a URL keeps at most MAX_VARIANTS (issue 22 item 13)", async () => {
    using dir = tempDir();
    using cache = new DiskCache(dir.path);
    const server = new TestServer();
    const origin = await server.listen();
    try {
      server.routes.set("/ua", (req, res) => {
        const n = Number(/\d+/.exec(req.headers["user-agent"] ?? "")?.[0]);
        res.writeHead(200, { "cache-control": "max-age=600", vary: "user-agent" }).end(Buffer.alloc(256 * 1024, n));
      });
      const fetch = cachedFetch(cache);
      const get = async (i: number) => {
        const res = await fetch(origin + "/ua", { headers: { "user-agent": `agent ${i}` } });
        return Buffer.from(await res.arrayBuffer());
      };
      for (let i = 0; i < 32; i++) await get(i);
      const item = cache.inspect(`fetch:${origin}/ua`)!;
      assert.ok(item.size < 64 * 1024, `the URL item holds ${item.size} bytes, not every variant's body`);
      for (let i = 0; i < 32; i++) assert.deepEqual(await get(i), Buffer.alloc(256 * 1024, i));
      assert.equal(server.hits.get("/ua"), 32, "every second read was a hit");
      for (let i = 32; i < MAX_VARIANTS + 40; i++) await get(i);
      assert.equal(cache.length, MAX_VARIANTS + 1, "a URL keeps MAX_VARIANTS variants, and no body of a dropped one");
    } finally {
      await server.close();
    }
  });

  it("cachedFetch: a 304 that extends a variant extends its body's item too", async () => {
    using dir = tempDir();
    using cache = new DiskCache(dir.path, { minFileSize: 1024 });
    const server = new TestServer();
    const origin = await server.listen();
    try {
      server.routes.set("/ext", (req, res, n) => {
        if (req.headers["if-none-match"] === '"e"') return void res.writeHead(304, { etag: '"e"' }).end();
        res.writeHead(200, { "cache-control": "max-age=1", etag: '"e"', vary: "accept-language" }).end(Buffer.alloc(5000, n));
      });
      // Fresh 1 s, kept 1.5 s for revalidation (bodies too); a 304 makes the variant fresh for 1 s more.
      const fetch = cachedFetch(cache, { keepForRevalidation: 1500, maxInlineBody: 0 });
      const get = async (lang: string) => {
        const res = await fetch(origin + "/ext", { headers: { "accept-language": lang } });
        return Buffer.from(await res.arrayBuffer());
      };
      await get("fr");
      await get("en"); // the 5000-byte bodies are items of their own (value files)
      await sleep(1100);
      assert.deepEqual(await get("en"), Buffer.alloc(5000, 2), "revalidated: a 304");
      await sleep(700); // past the body's first 1.5 s, within the 304's second
      assert.deepEqual(await get("en"), Buffer.alloc(5000, 2), "a hit, on the body the 304 kept");
      assert.equal(server.hits.get("/ext"), 3, "two stores, then one 304");
    } finally {
      await server.close();
    }
  });

  it("DiskCacheStore.get() right after end() of a body in a value file finds it (issue 22 item 15)", async () => {
    using dir = tempDir();
    using store = new DiskCacheStore(dir.path, { minFileSize: 1024, maxInlineBody: 1000 });
    const w = store.createWriteStream(key("/end"), value());
    for (let i = 0; i < 20; i++) w.write(Buffer.alloc(64 * 1024, i));
    // What undici does when the body's last byte arrives: end(), then tell the client, in one turn.
    w.end();
    const answer = store.get(key("/end"));
    assert.deepEqual(
      await bodyOf(answer),
      Buffer.concat(Array.from({ length: 20 }, (_, i) => Buffer.alloc(64 * 1024, i))),
    );
    // A body still arriving is not waited for: a miss, at once.
    const open = store.createWriteStream(key("/open"), value());
    open.write(Buffer.alloc(5000));
    assert.equal(store.get(key("/open")), undefined);
    open.destroy();
    // Nor one that ended and was dropped (past maxEntrySize): no wait, no answer.
    assert.equal(store.get(key("/end", {}, "HEAD")), undefined);
  });

  it("DiskCacheStore that cannot create a body's value file reports the error to onError, with no error event, and stores nothing", async () => {
    using dir = tempDir();
    const errors: unknown[] = [];
    using store = new DiskCacheStore(dir.path, { minFileSize: 1024, maxInlineBody: 0, onError: (e) => errors.push(e) });
    // Every possible first-level value directory name is taken by a plain file.
    for (let i = 0; i < 256; i++) writeFileSync(join(dir.path, i.toString(16).padStart(2, "0")), "");
    const w = store.createWriteStream(key("/blocked"), value());
    let errored = false;
    w.on("error", () => errored = true);
    const closed = new Promise((r) => w.once("close", r));
    w.write(Buffer.alloc(64 * 1024));
    await sleep(20); // the value file's creation fails meanwhile
    w.write(Buffer.alloc(64 * 1024));
    w.end();
    await closed;
    assert.equal(errored, false, "undici deletes the URL's entries on an error event");
    assert.ok(errors.some((e) => ["ENOTDIR", "EEXIST"].includes((e as NodeJS.ErrnoException).code ?? "")), String(errors));
    assert.equal(store.get(key("/blocked")), undefined);
    assert.equal(valueFiles(dir.path).length, 0);
  });

  it("DiskCacheStore closed while a body commits: reported to onError, no error event, nothing stored", async () => {
    using dir = tempDir();
    const errors: unknown[] = [];
    const store = new DiskCacheStore(dir.path, { minFileSize: 1024, maxInlineBody: 0, onError: (e) => errors.push(e) });
    const w = store.createWriteStream(key("/closing"), value());
    let errored = false;
    w.on("error", () => errored = true);
    const closed = new Promise((r) => w.once("close", r));
    w.write(Buffer.alloc(64 * 1024));
    w.end();
    const answer = store.get(key("/closing"));
    store.close();
    await closed;
    assert.equal(errored, false, "undici deletes the URL's entries on an error event (on a closed cache: a throw)");
    assert.ok(errors.length >= 1);
    await assert.rejects(Promise.resolve(answer), /closed/);
    assert.equal(valueFiles(dir.path).length, 0);
  });

  for (const [label, size] of [["in a value file", 64 * 1024], ["inline", 100]] as const) {
    it(`DiskCacheStore: a write stream destroyed while its end commits (another process holds the lock) leaves the variant with its body, or nothing (${label})`, async () => {
      using dir = tempDir();
      using cache = new DiskCache(dir.path, { minFileSize: 1024, timeout: 60_000 });
      using store = new DiskCacheStore(cache, { maxInlineBody: 1000 });
      const body = Buffer.alloc(size, 7);
      const counter = tickCounter();
      try {
        await using holder = await holdLock(dir.path);
        const w = store.createWriteStream(key("/race"), value());
        let errored = false;
        w.on("error", () => errored = true);
        const closed = new Promise((r) => w.once("close", r));
        w.write(body);
        w.end();
        await ticksPass(counter, 20); // its end now waits for the lock
        w.destroy();
        await holder.commit();
        await closed;
        assert.equal(errored, false);
        const answer = await store.get(key("/race"));
        if (answer === undefined) {
          assert.equal(cache.length, 0, "nothing stored: no response, no body");
          assert.deepEqual(valueFiles(dir.path), []);
        } else {
          assert.deepEqual(await bodyOf(answer), body, "the response stored, with its body");
        }
      } finally {
        counter.stop();
      }
    });
  }

  it("DiskCacheStore: a write stream destroyed at any turn of its end leaves the variant with its body, or nothing", async () => {
    using dir = tempDir();
    using cache = new DiskCache(dir.path, { minFileSize: 1024 });
    using store = new DiskCacheStore(cache, { maxInlineBody: 1000 });
    let bodyFiles = 0;
    for (const size of [100, 64 * 1024]) {
      const body = Buffer.alloc(size, 5);
      for (let turns = 0; turns < 40; turns++) {
        const path = `/turn-${size}-${turns}`;
        const w = store.createWriteStream(key(path), value());
        const closed = new Promise((r) => w.once("close", r));
        w.write(body);
        w.end();
        for (let i = 0; i < turns; i++) await (i % 2 ? new Promise((r) => setImmediate(r)) : Promise.resolve());
        w.destroy();
        await closed;
        const answer = await store.get(key(path));
        if (answer === undefined) continue;
        assert.deepEqual(await bodyOf(answer), body, `${path}: stored with its body`);
        if (size > 1000) bodyFiles++;
      }
    }
    assert.equal(valueFiles(dir.path).length, bodyFiles, "one value file per stored body in a file: none left by an abort");
  });

  it("DiskCacheStore reads an item of another layout or damaged bytes as a miss, and replaces or deletes it", async () => {
    using dir = tempDir();
    using cache = new DiskCache(dir.path);
    using store = new DiskCacheStore(cache);
    const json = (text: string, extra: number[] = []) => {
      const head = new TextEncoder().encode(text);
      return new Uint8Array([1, 0, 0, 0, head.length, ...head, ...extra]);
    };
    const foreign: unknown[] = [
      { variants: [{ method: "GET", deleteAt: Date.now() + 60_000, size: 1, body: new Uint8Array([1]), meta: value() }] },
      new Uint8Array([2, 0, 0, 0, 2, 0x5b, 0x5d]), // another version
      json("{}"), // not a list of variants
      json("[]", [9]), // bytes left over
    ];
    for (const [i, item] of foreign.entries()) {
      cache.set(`undici:http://example.test/f${i}`, item);
      assert.equal(store.get(key(`/f${i}`)), undefined, `item ${i} is a miss`);
    }
    await write(store, key("/f0"), value(), "new");
    assert.equal((await bodyOf(store.get(key("/f0")))).toString(), "new");
    store.delete(key("/f1"));
    assert.equal(cache.has("undici:http://example.test/f1"), false);
  });

  it("DiskCacheStore leaves nothing behind for a body that is aborted or passes maxEntrySize", async () => {
    using dir = tempDir();
    using cache = new DiskCache(dir.path, { minFileSize: 1024 });
    const errors: unknown[] = [];
    using store = new DiskCacheStore(cache, { maxEntrySize: 100_000, maxInlineBody: 0, onError: (e) => errors.push(e) });
    await write(store, key("/keep"), value(), "old");
    // Too large, small chunks (still in memory) then file chunks.
    const w = store.createWriteStream(key("/keep"), value());
    const closed = new Promise((r) => w.once("close", r));
    let errored = false;
    w.on("error", () => errored = true);
    for (let i = 0; i < 30 && !w.destroyed; i++) {
      if (!w.write(Buffer.alloc(8000))) await new Promise((r) => w.once("drain", r).once("close", r));
    }
    await closed;
    assert.equal(errored, false, "no error event: undici would delete the entry already stored");
    assert.equal((await bodyOf(store.get(key("/keep")))).toString(), "old");
    assert.equal(valueFiles(dir.path).length, 0);
    // Aborted (destroyed with an error) after reaching a file.
    const a = store.createWriteStream(key("/abort"), value());
    a.on("error", () => {});
    a.write(Buffer.alloc(5000));
    await new Promise((r) => setImmediate(r));
    const aClosed = new Promise((r) => a.once("close", r));
    a.destroy(new Error("connection reset"));
    await aClosed;
    assert.equal(store.get(key("/abort")), undefined);
    assert.equal(valueFiles(dir.path).length, 0);
    assert.equal(cache.length, 1);
    assert.deepEqual(errors, []);
  });

  it("DiskCacheStore keeps a stale response until deleteAt, then forgets it", async () => {
    using dir = tempDir();
    using store = new DiskCacheStore(dir.path);
    const now = Date.now();
    await write(
      store,
      key("/stale"),
      value({ cachedAt: now - 10_000, staleAt: now - 5_000, deleteAt: now + 60_000 }),
      "s",
    );
    assert.equal((await bodyOf(store.get(key("/stale")))).toString(), "s");
    await write(store, key("/gone"), value({ cachedAt: now - 10_000, staleAt: now - 5_000, deleteAt: now - 1 }), "g");
    assert.equal(store.get(key("/gone")), undefined);
  });

  it("DiskCacheStore works over a FanoutCache, and isFull() is true only when nothing may be evicted", async () => {
    using dir = tempDir();
    using fanout = new FanoutCache(dir.path, { shards: 3, minFileSize: 1024 });
    using store = new DiskCacheStore(fanout, { maxInlineBody: 0 });
    assert.equal(store.cache, fanout);
    for (let i = 0; i < 12; i++) await write(store, key(`/f${i}`), value(), Buffer.alloc(i % 2 ? 10 : 3000, i));
    for (let i = 0; i < 12; i++) {
      assert.deepEqual(await bodyOf(store.get(key(`/f${i}`))), Buffer.alloc(i % 2 ? 10 : 3000, i));
    }
    store.delete(key("/f2"));
    assert.equal(store.get(key("/f2")), undefined);
    assert.equal(store.isFull(), false);
    using fullDir = tempDir();
    using full = new DiskCacheStore(fullDir.path, { evictionPolicy: "none", sizeLimit: 1 });
    assert.equal(full.isFull(), true);
  });

  it("DiskCacheStore evicts under the cache's sizeLimit and reads an evicted body as a miss", async () => {
    using dir = tempDir();
    using cache = new DiskCache(dir.path, { minFileSize: 1024, sizeLimit: 200_000, cullLimit: 10 });
    using store = new DiskCacheStore(cache, { maxInlineBody: 0 });
    for (let i = 0; i < 20; i++) await write(store, key(`/e${i}`), value(), Buffer.alloc(50_000, i));
    assert.ok(cache.volume() < 400_000, `volume ${cache.volume()} stays near sizeLimit`);
    let hits = 0;
    for (let i = 0; i < 20; i++) if (store.get(key(`/e${i}`))) hits++;
    assert.ok(hits > 0 && hits < 20, `some responses were evicted (${hits} left)`);
  });

  it("DiskCacheStore reports a body it could not store to onError, and stores nothing", async () => {
    using dir = tempDir();
    const cache = new DiskCache(dir.path, { minFileSize: 1024 });
    const errors: unknown[] = [];
    const store = new DiskCacheStore(cache, { maxInlineBody: 0, onError: (e) => errors.push(e) });
    const w = store.createWriteStream(key("/fail"), value());
    const failed = new Promise((resolve) => w.once("error", resolve).once("close", resolve));
    w.write(Buffer.alloc(4096));
    await new Promise((r) => setImmediate(r));
    cache.close();
    w.end();
    await failed;
    assert.ok(errors.length >= 1, "the failure reached onError");
    assert.equal(valueFiles(dir.path).length, 0);
  });

  it("DiskCacheStore: a body that could not be stored while another process holds the lock fails on timers, never blocking the event loop, and stores nothing", async () => {
    using dir = tempDir();
    using cache = new DiskCache(dir.path, { minFileSize: 1024, timeout: 1000 });
    const errors: unknown[] = [];
    using store = new DiskCacheStore(cache, { maxInlineBody: 0, onError: (error) => errors.push(error) });
    {
      await using holder = await holdLock(dir.path);
      const w = store.createWriteStream(key("/contended"), value());
      let errored = false;
      w.on("error", () => errored = true);
      const closed = new Promise((r) => w.once("close", r));
      w.write(Buffer.alloc(64 * 1024, 7)); // to a value file, whose row waits for the lock
      w.end();
      await closed;
      assert.equal(errored, false, "no error event: undici would delete the URL's stored responses");
      // A synchronous delete of the body here waited in SQLite's busy handler, the thread blocked, and failed too.
      assert.deepEqual(errors.map((e) => (e as Error).name), ["Timeout"], "one failure reported, not a second from a delete blocking the thread");
      await holder.commit();
      assert.equal(await store.get(key("/contended")), undefined);
      assert.equal(cache.length, 0, "nothing stored: no response, no body");
      assert.deepEqual(valueFiles(dir.path), []);
    }
  });

  it("DiskCacheStore rejects malformed keys, values and options with a TypeError", () => {
    using dir = tempDir();
    using store = new DiskCacheStore(dir.path);
    const bad: unknown[] = [null, "k", { origin: 1, method: "GET", path: "/" }, { ...key(), headers: "x" }];
    for (const k of bad) {
      assert.throws(() => store.get(k as CacheKey), TypeError);
      assert.throws(() => store.delete(k as CacheKey), TypeError);
    }
    const badValues: unknown[] = [
      null,
      { ...value(), statusCode: "200" },
      { ...value(), statusMessage: 1 },
      { ...value(), headers: 1 },
      { ...value(), vary: "x" },
      { ...value(), etag: 1 },
    ];
    for (const v of badValues) assert.throws(() => store.createWriteStream(key(), v as CacheValue), TypeError);
    assert.throws(() => new DiskCacheStore(undefined, null as never), TypeError);
    assert.throws(() => new DiskCacheStore(undefined, { maxEntrySize: -1 }), TypeError);
    assert.throws(() => new DiskCacheStore(undefined, { maxInlineBody: -1 }), /"maxInlineBody" must be a non-negative number/);
    assert.throws(() => new DiskCacheStore(undefined, { maxInlineBody: "1" as never }), TypeError);
    assert.throws(() => new DiskCacheStore(undefined, { onError: 1 as never }), TypeError);
    using cache = tempCache();
    assert.throws(() => new DiskCacheStore(cache, { sizeLimit: 10 }), /apply only when the store opens the cache/);
  });
});
