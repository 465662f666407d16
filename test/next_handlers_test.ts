// The Next.js cache handlers (src/next/): every kind of value Next stores
// round-trips exactly, tag revalidations are read from the record on disk
// (from processes of other runtimes: test/system/next_handlers_test.ts), the
// directory stays under sizeLimit,
// and the 'use cache' handler keeps Next's contract (pending sets, streamed
// bodies, erroring streams, lifetimes, soft tags).
import { Buffer } from "node:buffer";
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DiskCache } from "../mod.ts";
import {
  createCacheHandlers,
  createIncrementalCacheHandler,
  createUseCacheHandler,
  type NextIncrementalCacheHandlerClass,
  type NextIncrementalCacheValue,
  type NextUseCacheEntry,
} from "../next.ts";
import { objectRowsDriver, sleep, tempDir, until, withConsole } from "./_helpers.ts";

const big = Buffer.alloc(100_000, 7); // past disk_min_file_size: a value file

function values(): [string, NextIncrementalCacheValue | null, Record<string, unknown>][] {
  return [
    ["/app-page", {
      kind: "APP_PAGE",
      html: "<html>é</html>",
      rscData: Buffer.from("0:rsc payload"),
      status: 200,
      postponed: '{"state":1}',
      headers: { "x-next-cache-tags": "posts,_N_T_/layout,_N_T_/blog", "x-multi": ["a", "b"], "x-count": 3 },
      segmentData: new Map([["/_tree", Buffer.from("tree")], ["/blog/__PAGE__", big], ["/_index", Buffer.alloc(0)]]),
    }, { cacheControl: { revalidate: 60, expire: 3600 } }],
    ["/app-page-partial", {
      kind: "APP_PAGE",
      html: "",
      rscData: undefined,
      status: undefined,
      postponed: undefined,
      headers: undefined,
      segmentData: undefined,
    }, { cacheControl: { revalidate: false } }],
    ["/api/route", { kind: "APP_ROUTE", body: Buffer.from([0, 1, 2, 255]), status: 201, headers: { "content-type": "application/octet-stream" } }, {
      cacheControl: { revalidate: 10, expire: 20 },
    }],
    [
      "/pages",
      { kind: "PAGES", html: "<p>pages</p>", pageData: { pageProps: { n: 1, list: [1, "x", null], nested: { ok: true } } }, status: 200, headers: {} },
      {
        cacheControl: { revalidate: 30 },
      },
    ],
    ["fetch-key", {
      kind: "FETCH",
      data: { headers: { "content-type": "application/json" }, body: '{"a":1}', url: "https://example.com/a", status: 200 },
      tags: ["posts"],
      revalidate: 60,
    }, { fetchCache: true, tags: ["posts"] }],
    ["/redirect", { kind: "REDIRECT", props: { __N_REDIRECT: "/to", __N_REDIRECT_STATUS: 307 } }, {}],
    ["image", { kind: "IMAGE", etag: "e", upstreamEtag: "u", buffer: big, extension: "webp", revalidate: 60 }, {}],
    ["/not-found", null, { cacheControl: { revalidate: 60 } }],
  ];
}

describe("createIncrementalCacheHandler", () => {
  it("keeps a Buffer that is the whole stored value a Buffer (the codec's view of the value, whatever its shape)", async () => {
    using dir = tempDir();
    using cache = new DiskCache(dir.path);
    const { encodeValue, decodeValue } = await import("../src/next/_values.ts");
    cache.set("v", encodeValue(Buffer.from("whole")));
    const back = decodeValue(cache.get("v")!);
    assert.ok(Buffer.isBuffer(back));
    assert.equal((back as Buffer).toString(), "whole");
  });

  it("round-trips every kind of value Next stores, Buffers as Buffers and Maps as Maps", async () => {
    using dir = tempDir();
    const Handler = createIncrementalCacheHandler({ directory: dir.path });
    try {
      const handler = new Handler({ revalidatedTags: [] });
      for (const [key, value, ctx] of values()) await handler.set(key, value, ctx);
      // A second handler instance (Next makes one per server) and a fresh class (a restart) read the same.
      const Reopened = createIncrementalCacheHandler({ directory: dir.path });
      for (const reader of [new Handler({}), new Reopened({})]) {
        for (const [key, value, ctx] of values()) {
          const kind = value?.kind === "FETCH" ? "FETCH" : "APP_PAGE";
          const hit = await reader.get(key, { kind });
          assert.ok(hit, key);
          assert.deepEqual(hit.value, value, key);
          assert.equal(typeof hit.lastModified, "number");
          if (!ctx.fetchCache && ctx.cacheControl) assert.deepEqual(hit.cacheControl, ctx.cacheControl);
          else assert.equal(hit.cacheControl, undefined);
        }
        const page = (await reader.get("/app-page", { kind: "APP_PAGE" }))!.value!;
        assert.ok(Buffer.isBuffer(page.rscData));
        const segments = page.segmentData as Map<string, Buffer>;
        assert.ok([...segments.values()].every((b) => Buffer.isBuffer(b)));
        assert.equal(segments.get("/blog/__PAGE__")!.toString("base64"), big.toString("base64"));
        assert.ok(Buffer.isBuffer((await reader.get("/api/route", { kind: "APP_ROUTE" }))!.value!.body));
      }
      Reopened.close();
      assert.equal(await new Handler({}).get("/missing", { kind: "APP_PAGE" }), null);
    } finally {
      Handler.close();
    }
  });

  it("answers null for a page or fetch whose tag (or implicit path tag) was revalidated, and serves it again once re-set", async () => {
    using dir = tempDir();
    let now = 1_000_000;
    const Handler = createIncrementalCacheHandler({ directory: dir.path, clock: () => now });
    try {
      const handler = new Handler({});
      const all = values();
      const [pageKey, page, pageCtx] = all[0]!;
      const [fetchKey, fetched, fetchCtx] = all[4]!;
      await handler.set(pageKey, page, pageCtx);
      await handler.set(fetchKey, fetched, fetchCtx);
      now += 1000;
      await handler.revalidateTag("unrelated");
      assert.ok(await handler.get(pageKey, { kind: "APP_PAGE" }));
      await handler.revalidateTag(["_N_T_/blog"]); // what revalidatePath("/blog") sends
      assert.equal(await handler.get(pageKey, { kind: "APP_PAGE" }), null);
      assert.ok(await handler.get(fetchKey, { kind: "FETCH", tags: ["posts"], softTags: ["_N_T_/other"] }));
      assert.equal(await handler.get(fetchKey, { kind: "FETCH", tags: ["posts"], softTags: ["_N_T_/blog"] }), null, "the page's soft tags count");
      now += 1000;
      await handler.set(pageKey, page, pageCtx);
      assert.ok(await handler.get(pageKey, { kind: "APP_PAGE" }), "an entry stored after the revalidation is fresh");
      // Tags revalidated earlier in the same request (Next passes them to the constructor).
      assert.equal(await new Handler({ revalidatedTags: ["posts"] }).get(fetchKey, { kind: "FETCH", tags: ["posts"] }), null);
    } finally {
      Handler.close();
    }
  });

  it("serves an entry whose tag was made stale (revalidateTag with a profile) once more as stale, and drops it once the profile's expire passes", async () => {
    using dir = tempDir();
    let now = 5_000_000;
    const Handler = createIncrementalCacheHandler({ directory: dir.path, clock: () => now });
    try {
      const handler = new Handler({});
      const [pageKey, page, pageCtx] = values()[0]!;
      await handler.set(pageKey, page, pageCtx); // revalidate 60 s, expire 3600 s
      now += 1000;
      await handler.revalidateTag("posts", { expire: 300 });
      const stale = await handler.get(pageKey, { kind: "APP_PAGE" });
      assert.ok(stale);
      assert.ok(stale.lastModified + 60_000 < now, "past its revalidate period: Next re-renders in the background");
      assert.ok(stale.lastModified + 3_600_000 > now, "within expire: Next still serves it");
      now += 301_000;
      assert.equal(await handler.get(pageKey, { kind: "APP_PAGE" }), null);
      // Made stale with no revalidate period to be past, or with expire too close: a blocking re-render (-1).
      await handler.set("/never", { ...page!, headers: { "x-next-cache-tags": ["s1", "s2"] } }, { cacheControl: { revalidate: false } });
      await handler.set("/tight", { ...page!, headers: { "x-next-cache-tags": "s1" } }, { cacheControl: { revalidate: 60, expire: 60 } });
      const [fetchKey, fetched, fetchCtx] = values()[4]!;
      await handler.set(fetchKey, fetched, fetchCtx);
      now += 1000;
      await handler.revalidateTag(["s2", "s1", "posts"], { expire: 3600 });
      assert.equal((await handler.get("/never", { kind: "APP_PAGE" }))?.lastModified, -1);
      assert.equal((await handler.get("/tight", { kind: "APP_PAGE" }))?.lastModified, -1);
      const staleFetch = await handler.get(fetchKey, { kind: "FETCH", tags: ["posts"] });
      assert.ok(staleFetch && staleFetch.lastModified + 60_000 < now, "a fetch past its own revalidate (60 s)");
      // No durations: expired at once (updateTag, revalidatePath).
      await handler.set("/other", { ...page!, headers: { "x-next-cache-tags": "t2" } }, pageCtx);
      now += 1;
      await handler.revalidateTag("t2", { expire: 0 });
      assert.equal(await handler.get("/other", { kind: "APP_PAGE" }), null);
    } finally {
      Handler.close();
    }
  });

  it("keeps the directory under sizeLimit while ten times the budget is written, and every entry read is exact", async () => {
    using dir = tempDir();
    const sizeLimit = 2_000_000;
    const Handler = createIncrementalCacheHandler({ directory: dir.path, sizeLimit, cullLimit: 50 });
    try {
      const handler = new Handler({});
      const body = (i: number) => Buffer.alloc(50_000, i % 251);
      for (let i = 0; i < 400; i++) {
        await handler.set(`/p${i}`, { kind: "APP_ROUTE", body: body(i), status: 200, headers: { "x-i": String(i) } }, { cacheControl: { revalidate: 60 } });
      }
      using cache = new DiskCache(dir.path);
      assert.ok(cache.volume() <= sizeLimit + 1_000_000, `volume ${cache.volume()} within the budget (+ one cull's slack)`);
      let hits = 0;
      for (let i = 0; i < 400; i++) {
        const hit = await handler.get(`/p${i}`, { kind: "APP_ROUTE" });
        if (hit === null) continue;
        hits++;
        assert.deepEqual(hit.value, { kind: "APP_ROUTE", body: body(i), status: 200, headers: { "x-i": String(i) } });
      }
      assert.ok(hits > 0 && hits < 400, `some evicted, some kept: ${hits}`);
      assert.ok((await handler.get("/p399", { kind: "APP_ROUTE" })) !== null, "the most recent entry is kept");
    } finally {
      Handler.close();
    }
  });

  it("answers a miss, with a warning, for an entry it cannot read, rather than failing the request", async () => {
    using dir = tempDir();
    const Handler = createIncrementalCacheHandler({ directory: dir.path });
    try {
      using cache = new DiskCache(dir.path);
      cache.set(["next-incremental", "/broken"], "not a stored entry");
      let hit: unknown = "unset";
      const warnings = await withConsole("warn", async () => (hit = await new Handler({}).get("/broken", { kind: "APP_PAGE" })));
      assert.equal(hit, null);
      assert.match(String(warnings[0]?.[0]), /Cannot get "\/broken", answering a miss/);
      await assert.rejects(new Handler({}).get(5 as never), /the key must be a string/);
    } finally {
      Handler.close();
    }
  });

  it("refuses a missing directory and a value without a kind, saying what to pass", async () => {
    assert.throws(() => createIncrementalCacheHandler({} as never), /"directory" must be a non-empty path/);
    assert.throws(() => createUseCacheHandler("/var/cache/next" as never), /expected an options object with a "directory"/);
    using dir = tempDir();
    const Handler = createIncrementalCacheHandler({ directory: dir.path });
    try {
      await assert.rejects(new Handler({}).set("k", { html: "x" } as never, {}), /expected a Next.js cache value with a "kind"/);
      await assert.rejects(new Handler({}).revalidateTag(5 as never), /expected a tag or an array of tags/);
      await new Handler({}).revalidateTag([]); // nothing to record
      new Handler({}).resetRequestCache(); // nothing per request to drop
    } finally {
      Handler.close();
    }
  });
});

function entry(text: string | ReadableStream<Uint8Array>, fields: Partial<NextUseCacheEntry> = {}): NextUseCacheEntry {
  return {
    value: typeof text === "string" ? new Blob([text]).stream() : text,
    tags: [],
    stale: 30,
    timestamp: 1_000_000,
    expire: 3600,
    revalidate: 900,
    ...fields,
  };
}

async function text(e: NextUseCacheEntry | undefined): Promise<string | undefined> {
  return e === undefined ? undefined : await new Response(e.value).text();
}

describe("createUseCacheHandler", () => {
  it("stores an entry with its fields and returns a new stream on every get, across a restart", async () => {
    using dir = tempDir();
    const now = 1_000_500;
    const handler = createUseCacheHandler({ directory: dir.path, clock: () => now });
    try {
      await handler.set("k", Promise.resolve(entry("hello", { tags: ["a", "b"] })));
      const first = await handler.get("k", []);
      assert.deepEqual({ ...first, value: null }, { value: null, tags: ["a", "b"], stale: 30, timestamp: 1_000_000, expire: 3600, revalidate: 900 });
      assert.equal(await text(first), "hello");
      assert.equal(await text(await handler.get("k", [])), "hello");
      handler.close();
      const again = createUseCacheHandler({ directory: dir.path, clock: () => now });
      assert.equal(await text(await again.get("k", [])), "hello");
      again.close();
    } finally {
      handler.close();
    }
  });

  it("answers a miss, with a warning, for an entry it cannot read", async () => {
    using dir = tempDir();
    const handler = createUseCacheHandler({ directory: dir.path });
    try {
      using cache = new DiskCache(dir.path);
      cache.set(["next-use-cache", "broken"], new Uint8Array([1]), { tag: "{not json" });
      let hit: unknown = "unset";
      const warnings = await withConsole("warn", async () => (hit = await handler.get("broken", [])));
      assert.equal(hit, undefined);
      assert.match(String(warnings[0]?.[0]), /Cannot get "broken", answering a miss/);
    } finally {
      handler.close();
    }
  });

  it("makes a get wait for a pending set of the same key", async () => {
    using dir = tempDir();
    const handler = createUseCacheHandler({ directory: dir.path, clock: () => 1_000_500 });
    try {
      let resolve!: (e: NextUseCacheEntry) => void;
      const setting = handler.set("k", new Promise((r) => (resolve = r)));
      const getting = handler.get("k", []);
      let settled = false;
      void getting.then(() => (settled = true));
      await new Promise((r) => setTimeout(r, 20));
      assert.equal(settled, false, "the get waits");
      resolve(entry("late"));
      assert.equal(await text(await getting), "late");
      await setting;
    } finally {
      handler.close();
    }
  });

  it("stores a large body as it streams, into a value file, and reads it back whole", async () => {
    using dir = tempDir();
    const handler = createUseCacheHandler({ directory: dir.path, clock: () => 1_000_500 });
    try {
      const chunk = new Uint8Array(64 * 1024).fill(9);
      let pulls = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (pulls++ < 32) controller.enqueue(chunk.slice());
          else controller.close();
        },
      });
      await handler.set("big", Promise.resolve(entry(stream)));
      using cache = new DiskCache(dir.path, { clock: () => 1_000_500 });
      const info = [...cache.inspectAll()].find((i) => Array.isArray(i.key) && i.key[1] === "big")!;
      assert.equal(info.storage, "file");
      assert.equal(info.size, 32 * 64 * 1024);
      const back = new Uint8Array(await new Response((await handler.get("big", []))!.value).arrayBuffer());
      assert.equal(back.byteLength, 32 * 64 * 1024);
      assert.ok(back.every((b) => b === 9));
    } finally {
      handler.close();
    }
  });

  it("stores nothing when the stream errors (the previous entry stays) and a waiting get does not hang", async () => {
    using dir = tempDir();
    const handler = createUseCacheHandler({ directory: dir.path, clock: () => 1_000_500 });
    try {
      await handler.set("k", Promise.resolve(entry("old")));
      const failing = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new Uint8Array(40_000).fill(1));
          controller.error(new Error("render failed"));
        },
      });
      const setting = handler.set("k", Promise.resolve(entry(failing)));
      const got = handler.get("k", []);
      await setting;
      assert.equal(await text(await got), "old");
      await handler.set("fresh", Promise.reject(new Error("no entry")));
      assert.equal(await handler.get("fresh", []), undefined);
      using cache = new DiskCache(dir.path);
      assert.equal(cache.check().length, 0, "no stray value file");
    } finally {
      handler.close();
    }
  });

  it("honours timestamp + expire, serves past revalidate, and does not store expire 0", async () => {
    using dir = tempDir();
    let now = 1_000_000;
    const handler = createUseCacheHandler({ directory: dir.path, clock: () => now });
    try {
      await handler.set("k", Promise.resolve(entry("v", { timestamp: now, revalidate: 10, expire: 100 })));
      now += 50_000;
      const past = await handler.get("k", []);
      assert.equal(past?.revalidate, 10, "past revalidate, within expire: served, Next refreshes it");
      await text(past);
      now += 50_001;
      assert.equal(await handler.get("k", []), undefined, "past expire: a miss");
      await handler.set("dynamic", Promise.resolve(entry("d", { timestamp: now, expire: 0 })));
      assert.equal(await handler.get("dynamic", []), undefined);
      await handler.set("old", Promise.resolve(entry("o", { timestamp: now - 200_000, expire: 100 })));
      assert.equal(await handler.get("old", []), undefined);
    } finally {
      handler.close();
    }
  });

  it("checks cacheTag tags and soft tags against the shared record: expired is a miss, stale serves once with revalidate -1", async () => {
    using dir = tempDir();
    let now = 1_000_000;
    const handler = createUseCacheHandler({ directory: dir.path, clock: () => now });
    try {
      await handler.set("k", Promise.resolve(entry("v", { timestamp: now, tags: ["posts"] })));
      now += 1000;
      await handler.refreshTags(); // every read consults the disk: nothing to refresh
      assert.equal(await handler.getExpiration(["posts", "_N_T_/blog"]), 0);
      await handler.updateTags(["_N_T_/blog"]);
      assert.equal(await handler.getExpiration(["posts", "_N_T_/blog"]), now);
      assert.equal(await text(await handler.get("k", ["_N_T_/other"])), "v");
      assert.equal(await handler.get("k", ["_N_T_/blog"]), undefined, "a soft tag revalidated after the entry");
      await handler.updateTags(["posts"], { expire: 600 });
      const stale = await handler.get("k", []);
      assert.equal(stale?.revalidate, -1);
      await text(stale);
      now += 601_000;
      assert.equal(await handler.get("k", []), undefined);
      await assert.rejects(handler.updateTags("posts" as never), /expected an array of tags/);
      // Next 15.3-15.5 spread the tags and called the update expireTags.
      now += 1000;
      await handler.set("k15", Promise.resolve(entry("v", { timestamp: now, tags: ["t15"] })));
      now += 1000;
      assert.equal(await handler.getExpiration("t15", "_N_T_/x"), 0);
      await handler.expireTags("t15");
      assert.equal(await handler.getExpiration("t15", "_N_T_/x"), now);
      assert.equal(await handler.get("k15", []), undefined);
    } finally {
      handler.close();
    }
  });
});

describe("the handlers' memory of decoded entries", () => {
  it("hands out values a caller may change without changing what the next get returns", async () => {
    using dir = tempDir();
    const Handler = createIncrementalCacheHandler({ directory: dir.path });
    const useCache = createUseCacheHandler({ directory: dir.path, clock: () => 1_000_500 });
    try {
      const handler = new Handler({});
      const [key, page, ctx] = values()[0]!;
      await handler.set(key, page, ctx);
      for (let round = 0; round < 2; round++) { // from disk, then from memory
        const hit = await handler.get(key, { kind: "APP_PAGE" });
        assert.deepEqual(hit?.value, page);
        const value = hit!.value as unknown as Record<string, unknown> & { headers: Record<string, unknown>; segmentData: Map<string, Buffer> };
        value.html = "changed";
        value.headers["x-next-cache-tags"] = "changed";
        value.segmentData.delete("/_tree");
        hit!.cacheControl!.revalidate = 1;
      }
      const again = await handler.get(key, { kind: "APP_PAGE" });
      assert.deepEqual(again?.value, page);
      assert.deepEqual(again?.cacheControl, { revalidate: 60, expire: 3600 });
      await useCache.set("k", Promise.resolve(entry("body", { tags: ["a"] })));
      for (let round = 0; round < 2; round++) {
        const hit = await useCache.get("k", []);
        assert.equal(await text(hit), "body");
        hit!.tags.push("changed");
        hit!.revalidate = -1;
      }
      const entryAgain = await useCache.get("k", []);
      assert.deepEqual([entryAgain?.tags, entryAgain?.revalidate, await text(entryAgain)], [["a"], 900, "body"]);
    } finally {
      Handler.close();
      useCache.close();
    }
  });

  it("sees another connection's set and revalidation at once, with staleness too (this realm's commits are always seen)", async () => {
    using dir = tempDir();
    for (const memory of [undefined, { maxBytes: 2 ** 20, staleness: 60_000 }, false as const]) {
      const Reader = createIncrementalCacheHandler({ directory: dir.path, memory });
      const Writer = createIncrementalCacheHandler({ directory: dir.path, memory: false });
      const reader = createUseCacheHandler({ directory: dir.path, memory });
      const writer = createUseCacheHandler({ directory: dir.path });
      try {
        const key = `/seen-${JSON.stringify(memory)}`, tag = `t-${key}`; // a tag of its own: the last round's revalidation is recent
        const [, page, ctx] = values()[0]!;
        await new Writer({}).set(key, page, ctx);
        await writer.set(key, Promise.resolve(entry("one", { timestamp: Date.now() - 10, tags: [tag] })));
        for (let round = 0; round < 2; round++) {
          assert.equal((await new Reader({}).get(key, { kind: "APP_PAGE" }))?.value?.html, page!.html);
          assert.equal(await text(await reader.get(key, [])), "one");
        }
        await new Writer({}).set(key, { ...page!, html: "two" } as NextIncrementalCacheValue, ctx);
        await writer.set(key, Promise.resolve(entry("two", { timestamp: Date.now() - 5, tags: [tag] })));
        assert.equal((await new Reader({}).get(key, { kind: "APP_PAGE" }))?.value?.html, "two", `${JSON.stringify(memory)}: the new page`);
        assert.equal(await text(await reader.get(key, [])), "two", `${JSON.stringify(memory)}: the new entry`);
        await new Promise((r) => setTimeout(r, 2));
        await new Writer({}).revalidateTag("posts");
        await writer.updateTags([tag]);
        assert.equal(await new Reader({}).get(key, { kind: "APP_PAGE" }), null);
        assert.equal(await reader.get(key, []), undefined);
        assert.notEqual(await reader.getExpiration([tag]), 0);
      } finally {
        Reader.close();
        Writer.close();
        reader.close();
        writer.close();
      }
    }
  });

  it("counts a hit from memory as an access: under least-recently-used eviction the entry read from memory stays", async () => {
    using dir = tempDir();
    let now = 1_000_000;
    const Handler = createIncrementalCacheHandler({ directory: dir.path, clock: () => now, sizeLimit: 2_500_000, cullLimit: 1 });
    try {
      const handler = new Handler({});
      const route = (n: number) => ({ kind: "APP_ROUTE" as const, body: Buffer.alloc(1_000_000, n), status: 200, headers: {} });
      await handler.set("/a", route(1), {});
      now += 1000;
      assert.ok(await handler.get("/a", { kind: "APP_ROUTE" }), "read from disk, now held");
      now += 1000;
      await handler.set("/b", route(2), {});
      now += 1000;
      assert.ok(await handler.get("/a", { kind: "APP_ROUTE" }), "read from memory");
      now += 1000;
      await handler.set("/c", route(3), {}); // past sizeLimit: the least recently used one goes
      using cache = new DiskCache(dir.path);
      assert.deepEqual([...cache.keys()].map((k) => (k as string[])[1]).sort(), ["/a", "/c"]);
    } finally {
      Handler.close();
    }
  });

  it("drops an entry held in memory once its ttl passes, keeps within maxBytes, and refuses a memory option it cannot use", async () => {
    using dir = tempDir();
    let now = 1_000_000;
    const Handler = createIncrementalCacheHandler({ directory: dir.path, clock: () => now, memory: { maxBytes: 150_000 } });
    try {
      const handler = new Handler({});
      const route = (n: number, size = 50_000) => ({ kind: "APP_ROUTE" as const, body: Buffer.alloc(size, n), status: 200, headers: {} });
      await handler.set("/short", route(1), { cacheControl: { revalidate: 1, expire: 10 } });
      assert.ok(await handler.get("/short", { kind: "APP_ROUTE" }));
      assert.ok(await handler.get("/short", { kind: "APP_ROUTE" }));
      now += 10_001;
      assert.equal(await handler.get("/short", { kind: "APP_ROUTE" }), null, "expired, though held");
      // Three of 50 kB fill 150 kB with their bookkeeping: the oldest leaves; one of 200 kB is never held.
      for (let n = 0; n < 4; n++) await handler.set(`/r${n}`, route(n, n === 3 ? 200_000 : 50_000), {});
      for (let round = 0; round < 2; round++) {
        for (let n = 0; n < 4; n++) assert.deepEqual((await handler.get(`/r${n}`, { kind: "APP_ROUTE" }))?.value, route(n, n === 3 ? 200_000 : 50_000));
      }
    } finally {
      Handler.close();
    }
    assert.throws(() => createIncrementalCacheHandler({ directory: dir.path, memory: { maxBytes: 0 } }), /"memory.maxBytes" must be a positive integer/);
    assert.throws(() => createUseCacheHandler({ directory: dir.path, memory: null as never }), /"memory" must be an object/);
  });
});

describe("createCacheHandlers", () => {
  it("installs the incremental handler as Next's FetchCache beside what an adapter installed, on the same directory as the 'use cache' handler it returns", async () => {
    const key = Symbol.for("@next/cache-handlers");
    const global = globalThis as Record<symbol, unknown>;
    const before = global[key];
    using dir = tempDir();
    try {
      delete global[key];
      const first = createCacheHandlers({ directory: dir.path });
      first.close();
      const adapter = { DefaultCache: { adapter: true } };
      global[key] = adapter;
      const useCache = createCacheHandlers({ directory: dir.path });
      const installed = global[key] as { FetchCache: NextIncrementalCacheHandlerClass; DefaultCache: unknown };
      assert.equal(installed.DefaultCache, adapter.DefaultCache, "the adapter's handlers stay");
      const [pageKey, page, ctx] = values()[0]!;
      await new installed.FetchCache({}).set(pageKey, page, ctx);
      await useCache.set("k", Promise.resolve(entry("both", { timestamp: Date.now() })));
      using cache = new DiskCache(dir.path);
      assert.equal(cache.length, 2, "one directory for both caches");
      assert.deepEqual((await new installed.FetchCache({}).get(pageKey, { kind: "APP_PAGE" }))?.value, page);
      assert.equal(await text(await useCache.get("k", [])), "both");
      useCache.close(); // both caches: the next read opens them again
      assert.deepEqual((await new installed.FetchCache({}).get(pageKey, { kind: "APP_PAGE" }))?.value, page);
      useCache.close();
    } finally {
      if (before === undefined) delete global[key];
      else global[key] = before;
    }
  });
});

describe("the handlers' edges", () => {
  it("reads through a driver of object rows, holds values nested past 64 levels, and keeps an entry of Next's INFINITE expire", async () => {
    using dir = tempDir();
    const Handler = createIncrementalCacheHandler({ directory: dir.path, driver: objectRowsDriver() });
    const useCache = createUseCacheHandler({ directory: dir.path, driver: objectRowsDriver() });
    try {
      let deep: Record<string, unknown> = { leaf: "leaf" };
      for (let i = 0; i < 70; i++) deep = { next: deep };
      const page = { kind: "PAGES", html: "<p>deep</p>", pageData: deep, status: 200, headers: {} } as NextIncrementalCacheValue;
      const handler = new Handler({});
      await handler.set("/deep", page, { cacheControl: { revalidate: 60 } });
      for (let round = 0; round < 2; round++) assert.deepEqual((await handler.get("/deep", { kind: "PAGES" }))?.value, page);
      await useCache.set("forever", Promise.resolve(entry("kept", { timestamp: 0, expire: 0xfffffffe })));
      for (let round = 0; round < 2; round++) assert.equal(await text(await useCache.get("forever", undefined as never)), "kept");
    } finally {
      Handler.close();
      useCache.close();
    }
  });

  it("refuses a key that is not a string in every method that takes one", async () => {
    using dir = tempDir();
    const Handler = createIncrementalCacheHandler({ directory: dir.path });
    const useCache = createUseCacheHandler({ directory: dir.path });
    try {
      await assert.rejects(new Handler({}).set(5 as never, null, {}), /Cannot set a Next.js cache entry: the key must be a string/);
      await assert.rejects(useCache.get(5 as never, []), /Cannot get a 'use cache' entry: the key must be a string/);
      await assert.rejects(useCache.set(5 as never, Promise.resolve(entry("x"))), /Cannot set a 'use cache' entry: the key must be a string/);
    } finally {
      Handler.close();
      useCache.close();
    }
  });

  it("restores only what was a Buffer: other typed arrays stay as they are, a path to no bytes is passed over", async () => {
    const { encodeValue, decodeValue } = await import("../src/next/_values.ts");
    const value = { plain: new Uint16Array([1, 2]), map: new Map([["a", { body: Buffer.from("in a Map's object") }]]) };
    const stored = encodeValue(value);
    assert.deepEqual(stored.b, [["map", 0, "body"]]);
    using dir = tempDir();
    using cache = new DiskCache(dir.path);
    cache.set("v", stored);
    const back = decodeValue(cache.get("v")!) as typeof value;
    assert.ok(Buffer.isBuffer(back.map.get("a")!.body));
    assert.ok(back.plain instanceof Uint16Array && !Buffer.isBuffer(back.plain));
    assert.deepEqual(decodeValue({ v: { a: "text" }, b: [["a"]] }), { a: "text" });
  });
});

describe("createUseCacheHandler: sets pending in another handler (as in another process)", () => {
  it("makes a get wait for another handler's pending set of its key, renewing its marker while it lasts, and no longer than the cache's timeout", async () => {
    using dir = tempDir();
    using cache = new DiskCache(dir.path);
    const marker = (key: string) => cache.get<{ owner: string }>(["next-use-cache-pending", key])?.owner;
    const writer = createUseCacheHandler({ directory: dir.path });
    const other = createUseCacheHandler({ directory: dir.path });
    const impatient = createUseCacheHandler({ directory: dir.path, timeout: 100 });
    try {
      let resolve!: (e: NextUseCacheEntry) => void;
      const setting = writer.set("k", new Promise((r) => (resolve = r)));
      assert.ok(await until(() => marker("k") !== undefined));
      const first = marker("k");
      const expiry = () => cache.getEntry(["next-use-cache-pending", "k"])?.expireTime;
      const leased = expiry()!;
      assert.equal(await impatient.get("k", []), undefined, "gave up after its timeout");
      let answered = false;
      const getting = other.get("k", []).finally(() => (answered = true));
      await sleep(2_000); // past a third of the 5 s lease: the marker is renewed
      assert.equal(answered, false, "still waiting");
      assert.equal(marker("k"), first, "still the writer's");
      assert.ok(expiry()! > leased, "renewed");
      resolve(entry("waited", { timestamp: Date.now() }));
      await setting;
      assert.equal(await text(await getting), "waited");
      assert.equal(marker("k"), undefined, "removed once stored");
      // A second set of the key takes the marker over: the first's renewals and removal leave it alone.
      let resolveA!: (e: NextUseCacheEntry) => void, resolveB!: (e: NextUseCacheEntry) => void;
      const a = writer.set("k2", new Promise((r) => (resolveA = r)));
      assert.ok(await until(() => marker("k2") !== undefined));
      const ownerA = marker("k2");
      const b = other.set("k2", new Promise((r) => (resolveB = r)));
      assert.ok(await until(() => marker("k2") !== ownerA));
      await sleep(2_000);
      resolveA(entry("a", { timestamp: Date.now() }));
      await a;
      assert.notEqual(marker("k2"), undefined, "the second set's marker stays");
      resolveB(entry("b", { timestamp: Date.now() }));
      await b;
      assert.equal(marker("k2"), undefined);
      assert.equal(await text(await impatient.get("k2", [])), "b");
    } finally {
      writer.close();
      other.close();
      impatient.close();
    }
  });

  it("goes on with a set whose marker cannot be written (read-only: nothing stored, no error), and ends a closed handler's pending set", async () => {
    using dir = tempDir();
    createUseCacheHandler({ directory: dir.path }).close(); // the directory exists
    const readonly = createUseCacheHandler({ directory: dir.path, readonly: true });
    const handler = createUseCacheHandler({ directory: dir.path });
    try {
      await readonly.set("r", Promise.resolve(entry("x", { timestamp: Date.now() }))); // neither marker nor entry: nothing stored
      assert.equal(await handler.get("r", []), undefined);
      let resolve!: (e: NextUseCacheEntry) => void;
      const setting = handler.set("c", new Promise((r) => (resolve = r)));
      await sleep(50);
      handler.close();
      await sleep(2_000); // a renewal on the closed cache fails quietly
      resolve(entry("late", { timestamp: Date.now() }));
      await setting;
    } finally {
      readonly.close();
      handler.close();
    }
  });
});
