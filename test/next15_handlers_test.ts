// The Next.js handlers called as Next 15 calls them (read from the types and
// the calling code of next@15.0.0, 15.3.5 and 15.5.29's dist/server):
// - incremental: Next 15.0-15.2 pass `revalidate` (not `cacheControl`) in
//   set's context and an object of strings as an app page's segmentData;
//   `revalidateTag(tags)` has no durations; the constructor gets
//   `{ revalidatedTags, _requestHeaders, ... }`.
// - 'use cache' (experimental.cacheHandlers): Next 15.0-15.2 call
//   `get(key, softTags)`, `set`, `expireTags(...tags)` and, for tags revalidated
//   elsewhere, `receiveExpiredTags(...tags)`; Next 15.3-15.5 see
//   `getExpiration` and call `get(key)` (15.3: no soft tags) or
//   `get(key, softTags)` (15.5), `getExpiration(...tags)`, `expireTags(...tags)`
//   and `refreshTags()`.
import { Buffer } from "node:buffer";
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createIncrementalCacheHandler, createUseCacheHandler, type NextUseCacheEntry } from "../next.ts";
import { tempDir } from "./_helpers.ts";

/** A later millisecond than now: a revalidation must come after the entry it revalidates (ms clock). */
function nextMs(): Promise<void> {
  return new Promise((r) => setTimeout(r, 2));
}

/** What Next 15 passes to `new CacheHandler(ctx)`. */
const constructorContext = {
  dev: false,
  flushToDisk: true,
  serverDistDir: "/app/.next/server",
  maxMemoryCacheSize: 0,
  fetchCacheKeyPrefix: "",
  revalidatedTags: [],
  _requestHeaders: {},
};

describe("Next 15's incremental cache calls", () => {
  it("15.0: set with { revalidate }, an object of segment data, revalidateTag(tag) and revalidateTag([tags])", async () => {
    using dir = tempDir();
    const Handler = createIncrementalCacheHandler({ directory: dir.path });
    try {
      const handler = new Handler(constructorContext);
      const page = {
        kind: "APP_PAGE",
        html: "<p>blog</p>",
        rscData: Buffer.from("rsc"),
        status: 200,
        postponed: undefined,
        headers: { "x-next-cache-tags": "posts,_N_T_/blog" },
        segmentData: { "/_tree": "tree", "/blog/__PAGE__": "page" },
      };
      await handler.set("/blog", page, { revalidate: 60, isRoutePPREnabled: false, isFallback: false });
      const pagesPage = { kind: "PAGES", html: "<p>old</p>", pageData: { props: { n: 1 } }, status: 200, headers: { "x-next-cache-tags": "old" } };
      await handler.set("/old", pagesPage, { revalidate: false });
      const hit = await handler.get("/blog", { kind: "APP_PAGE", isRoutePPREnabled: false, isFallback: false });
      assert.deepEqual(hit?.value, page);
      assert.ok(Buffer.isBuffer(hit?.value?.rscData));
      assert.equal(typeof hit?.lastModified, "number");
      assert.deepEqual((await handler.get("/old", { kind: "PAGES", isFallback: false }))?.value, pagesPage);
      await nextMs();
      await handler.revalidateTag("posts");
      assert.equal(await handler.get("/blog", { kind: "APP_PAGE", isRoutePPREnabled: false, isFallback: false }), null);
      await handler.revalidateTag(["other", "old"]);
      assert.equal(await handler.get("/old", { kind: "PAGES", isFallback: false }), null);
    } finally {
      Handler.close();
    }
  });

  it("15.0: a fetch set with { revalidate, fetchCache, fetchUrl, fetchIdx, tags }, read with its tags, soft tags and revalidatedTags", async () => {
    using dir = tempDir();
    const Handler = createIncrementalCacheHandler({ directory: dir.path });
    try {
      const data = {
        kind: "FETCH",
        data: { headers: { "content-type": "application/json" }, body: "{}", url: "https://api/x", status: 200 },
        revalidate: 30,
        tags: ["api"],
      };
      const setCtx = { revalidate: 30, fetchCache: true, fetchUrl: "https://api/x", fetchIdx: 0, tags: ["api"] };
      await new Handler(constructorContext).set("f", data, setCtx);
      const getCtx = { kind: "FETCH", revalidate: 30, fetchUrl: "https://api/x", fetchIdx: 0, tags: ["api"], softTags: ["_N_T_/layout"], isFallback: false };
      assert.deepEqual((await new Handler(constructorContext).get("f", getCtx))?.value, data);
      // A request after revalidateTag in a server action: Next passes the tags to the constructor.
      assert.equal(await new Handler({ ...constructorContext, revalidatedTags: ["api"] }).get("f", getCtx), null);
      await nextMs();
      await new Handler(constructorContext).revalidateTag("_N_T_/layout");
      assert.equal(await new Handler(constructorContext).get("f", getCtx), null);
    } finally {
      Handler.close();
    }
  });

  it("15.3-15.5: set with { cacheControl }, an image with { kind: IMAGE } in both contexts", async () => {
    using dir = tempDir();
    const Handler = createIncrementalCacheHandler({ directory: dir.path });
    try {
      const handler = new Handler(constructorContext);
      const page = {
        kind: "APP_PAGE",
        html: "<p>x</p>",
        rscData: Buffer.from("rsc"),
        status: 200,
        postponed: undefined,
        headers: { "x-next-cache-tags": "x" },
        segmentData: new Map([["/_tree", Buffer.from("t")]]),
      };
      await handler.set("/x", page, { cacheControl: { revalidate: 60, expire: 3600 }, isRoutePPREnabled: true, isFallback: false });
      const hit = await handler.get("/x", { kind: "APP_PAGE", isRoutePPREnabled: true, isFallback: false });
      assert.deepEqual(hit?.value, page);
      assert.deepEqual(hit?.cacheControl, { revalidate: 60, expire: 3600 });
      const image = { kind: "IMAGE", etag: "abc", upstreamEtag: "up", buffer: Buffer.from([1, 2, 3]), extension: "webp" };
      await handler.set("img", image, { kind: "IMAGE", cacheControl: { revalidate: 60, expire: undefined } });
      assert.deepEqual((await handler.get("img", { kind: "IMAGE", isFallback: false }))?.value, image);
    } finally {
      Handler.close();
    }
  });
});

function entry(text: string, tags: string[], timestamp = Date.now()): NextUseCacheEntry {
  return { value: new Blob([text]).stream(), tags, stale: 300, timestamp, expire: 3600, revalidate: 900 };
}

async function text(e: NextUseCacheEntry | undefined): Promise<string | undefined> {
  return e === undefined ? undefined : await new Response(e.value).text();
}

describe("Next 15's 'use cache' handler calls", () => {
  it("15.0-15.2: get(key, softTags), expireTags(...tags), receiveExpiredTags(...tags)", async () => {
    using dir = tempDir();
    const handler = createUseCacheHandler({ directory: dir.path });
    try {
      assert.equal(typeof handler.receiveExpiredTags, "function", "Next 15.0 calls it when a request carries revalidated tags");
      await handler.set("a", Promise.resolve(entry("a", ["ta"])));
      await handler.set("b", Promise.resolve(entry("b", ["tb"])));
      await handler.set("c", Promise.resolve(entry("c", ["tc"])));
      assert.equal(await text(await handler.get("a", ["_N_T_/page"])), "a");
      await nextMs();
      await handler.expireTags("ta", "unused");
      assert.equal(await handler.get("a", ["_N_T_/page"]), undefined);
      await handler.receiveExpiredTags("tb");
      assert.equal(await handler.get("b", []), undefined);
      await handler.receiveExpiredTags(); // Next calls it with the header's tags, maybe none
      assert.equal(await text(await handler.get("c", [])), "c");
      await handler.receiveExpiredTags("_N_T_/page");
      assert.equal(await handler.get("c", ["_N_T_/page"]), undefined, "a soft tag expired elsewhere");
    } finally {
      handler.close();
    }
  });

  it("15.3-15.5: 'getExpiration' in handler, get(key) without soft tags, getExpiration(...tags), refreshTags()", async () => {
    using dir = tempDir();
    const handler = createUseCacheHandler({ directory: dir.path });
    try {
      assert.ok("getExpiration" in handler && "refreshTags" in handler, "Next 15.3 takes the newer calls");
      const timestamp = Date.now();
      await handler.set("k", Promise.resolve(entry("k", ["t"], timestamp)));
      await handler.refreshTags();
      assert.equal(await text(await handler.get("k")), "k", "15.3 passes no soft tags");
      assert.equal(await handler.getExpiration("_N_T_/layout", "_N_T_/page"), 0);
      await nextMs();
      await handler.expireTags("_N_T_/page");
      // Next discards an entry whose timestamp is not after the implicit tags' expiration.
      const expiration = await handler.getExpiration("_N_T_/layout", "_N_T_/page");
      assert.ok(expiration > timestamp && expiration <= Date.now());
      assert.equal(await handler.get("k", ["_N_T_/page"]), undefined, "15.5 passes the soft tags");
      await handler.expireTags("t");
      assert.equal(await handler.get("k"), undefined);
    } finally {
      handler.close();
    }
  });
});
