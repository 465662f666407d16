// The Web Cache API on disk (DiskCacheStorage, WebCache, installGlobalCaches),
// tested against the Service Worker spec's Cache and CacheStorage algorithms:
// "Query Cache", "Request Matches Cached Item", "Batch Cache Operations", and
// each method's steps. Real files, real SQLite, real processes.
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import v8 from "node:v8";
import vm from "node:vm";
import { DiskCache } from "../mod.ts";
import { DiskCacheStorage, installGlobalCaches, WebCache } from "../web-cache.ts";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { tempDir, valueFiles } from "./_helpers.ts";
import { TestServer } from "./_http_server.ts";
import { decodeRecord, encodeRecord, type Entry } from "../src/web_cache/_entries.ts";

const U = "https://example.com";

function storage(options: ConstructorParameters<typeof DiskCacheStorage>[1] = {}): DiskCacheStorage & { dir: { path: string; [Symbol.dispose](): void } } {
  const dir = tempDir();
  const s = new DiskCacheStorage(dir.path, options) as DiskCacheStorage & { dir: typeof dir };
  s.dir = dir;
  return s;
}
function done(s: DiskCacheStorage & { dir: { [Symbol.dispose](): void } }): void {
  s.close();
  s.dir[Symbol.dispose]();
}
async function text(res: Response | undefined): Promise<string | undefined> {
  return res === undefined ? undefined : await res.text();
}
/** The keys of the DiskCache rows holding bodies. */
function bodyRows(cache: DiskCache): string[] {
  return [...cache.keys()].filter((k): k is string => typeof k === "string" && /^webcache:[^:]+:b:/.test(k));
}

test("WebCache.put() then match() answers a new readable Response with the stored status, headers and body", async () => {
  const s = storage();
  try {
    const cache = await s.open("v1");
    await cache.put(`${U}/a`, new Response("hello", { status: 201, statusText: "Made", headers: { "content-type": "text/plain", "x-a": "1" } }));
    for (let i = 0; i < 2; i++) {
      const res = await cache.match(`${U}/a`);
      assert.ok(res instanceof Response);
      assert.equal(res.status, 201);
      assert.equal(res.statusText, "Made");
      assert.equal(res.headers.get("content-type"), "text/plain");
      assert.equal(res.headers.get("x-a"), "1");
      const copy = res.clone();
      assert.equal(await res.text(), "hello");
      assert.equal(await copy.text(), "hello");
    }
    assert.equal(await cache.match(`${U}/b`), undefined);
    // A null body (204) stays null.
    await cache.put(`${U}/empty`, new Response(null, { status: 204 }));
    const empty = await cache.match(`${U}/empty`);
    assert.equal(empty?.status, 204);
    assert.equal(empty?.body, null);
  } finally {
    done(s);
  }
});

test("WebCache.match() ignores the fragment, compares the query unless ignoreSearch", async () => {
  const s = storage();
  try {
    const cache = await s.open("v1");
    await cache.put(`${U}/p?x=1#frag`, new Response("x1"));
    assert.equal(await text(await cache.match(`${U}/p?x=1`)), "x1");
    assert.equal(await text(await cache.match(`${U}/p?x=1#other`)), "x1");
    assert.equal(await cache.match(`${U}/p?x=2`), undefined);
    assert.equal(await cache.match(`${U}/p`), undefined);
    assert.equal(await text(await cache.match(`${U}/p?x=2`, { ignoreSearch: true })), "x1");
    assert.equal(await text(await cache.match(`${U}/p`, { ignoreSearch: true })), "x1");
    assert.equal(await cache.match(`${U}/q`, { ignoreSearch: true }), undefined);
    assert.equal((await cache.keys())[0]!.url, `${U}/p?x=1`, "the stored URL has no fragment");
  } finally {
    done(s);
  }
});

test("WebCache.match() of a non-GET request matches nothing unless ignoreMethod", async () => {
  const s = storage();
  try {
    const cache = await s.open("v1");
    await cache.put(`${U}/m`, new Response("m"));
    const head = new Request(`${U}/m`, { method: "HEAD" });
    const post = new Request(`${U}/m`, { method: "POST", body: "b" });
    assert.equal(await cache.match(head), undefined);
    assert.equal(await cache.match(post), undefined);
    assert.deepEqual(await cache.matchAll(post), []);
    assert.deepEqual(await cache.keys(post), []);
    assert.equal(await cache.delete(post), false);
    assert.equal(await text(await cache.match(head, { ignoreMethod: true })), "m");
    assert.equal(await text(await cache.match(post, { ignoreMethod: true })), "m");
    assert.equal((await cache.keys(post, { ignoreMethod: true })).length, 1);
    assert.equal(await cache.delete(post, { ignoreMethod: true }), true);
    assert.equal(await cache.match(`${U}/m`), undefined);
  } finally {
    done(s);
  }
});

test("WebCache matches Vary against the stored request's headers, unless ignoreVary; put() keeps one entry per variant", async () => {
  const s = storage();
  try {
    const cache = await s.open("v1");
    const req = (lang?: string) => new Request(`${U}/v`, lang === undefined ? {} : { headers: { "accept-language": lang } });
    const res = (body: string) => new Response(body, { headers: { vary: "Accept-Language" } });
    await cache.put(req("en"), res("en"));
    await cache.put(req("fr"), res("fr"));
    await cache.put(req(), res("none"));
    assert.equal(await text(await cache.match(req("en"))), "en");
    assert.equal(await text(await cache.match(req("fr"))), "fr");
    assert.equal(await text(await cache.match(req())), "none", "an absent header matches an absent header");
    assert.equal(await cache.match(req("de")), undefined);
    assert.equal(await text(await cache.match(req("de"), { ignoreVary: true })), "en", "the first in insertion order");
    assert.deepEqual(await Promise.all((await cache.matchAll(`${U}/v`, { ignoreVary: true })).map((r) => r.text())), ["en", "fr", "none"]);
    // put() replaces only the variant its request matches.
    await cache.put(req("en"), res("en2"));
    assert.deepEqual(await Promise.all((await cache.matchAll(`${U}/v`, { ignoreVary: true })).map((r) => r.text())), ["fr", "none", "en2"]);
    // keys() and delete() apply Vary too.
    assert.deepEqual((await cache.keys(req("fr"))).map((r) => r.headers.get("accept-language")), ["fr"]);
    assert.deepEqual(await cache.keys(req("de")), []);
    assert.equal(await cache.delete(req("de")), false);
    assert.equal(await cache.delete(req("fr")), true);
    assert.equal((await cache.keys()).length, 2);
    assert.equal(await cache.delete(`${U}/v`, { ignoreVary: true }), true);
    assert.deepEqual(await cache.keys(), []);
    // A response without Vary matches whatever the headers.
    await cache.put(req("en"), new Response("plain"));
    assert.equal(await text(await cache.match(req("de"))), "plain");
    // Vary names several headers, in any case and spacing.
    await cache.put(new Request(`${U}/w`, { headers: { a: "1", b: "2" } }), new Response("w", { headers: { vary: "A ,  b" } }));
    assert.equal(await text(await cache.match(new Request(`${U}/w`, { headers: { a: "1", b: "2", c: "3" } }))), "w");
    assert.equal(await cache.match(new Request(`${U}/w`, { headers: { a: "1" } })), undefined);
  } finally {
    done(s);
  }
});

test("WebCache.put() refuses with a TypeError what the spec refuses, and stores nothing", async () => {
  const s = storage();
  try {
    const cache = await s.open("v1");
    const refusals: [string, () => Promise<void>][] = [
      ["POST", () => cache.put(new Request(`${U}/x`, { method: "POST", body: "b" }), new Response("r"))],
      ["HEAD", () => cache.put(new Request(`${U}/x`, { method: "HEAD" }), new Response("r"))],
      ["ftp URL", () => cache.put("ftp://example.com/x", new Response("r"))],
      ["data URL", () => cache.put("data:text/plain,hi", new Response("r"))],
      ["relative URL", () => cache.put("/x", new Response("r"))],
      ["206", () => cache.put(`${U}/x`, new Response("r", { status: 206 }))],
      ["Vary: *", () => cache.put(`${U}/x`, new Response("r", { headers: { vary: "accept, *" } }))],
      ["not a Response", () => cache.put(`${U}/x`, "r" as unknown as Response)],
      ["network error", () => cache.put(`${U}/x`, Response.error())],
    ];
    for (const [what, put] of refusals) await assert.rejects(put(), TypeError, what);
    const used = new Response("used");
    await used.text();
    await assert.rejects(cache.put(`${U}/x`, used), /already used/);
    const locked = new Response("locked");
    locked.body!.getReader();
    await assert.rejects(cache.put(`${U}/x`, locked), TypeError);
    assert.deepEqual(await cache.keys(), []);
    // put() consumes the body it stores.
    const res = new Response("once");
    await cache.put(`${U}/x`, res);
    assert.equal(res.bodyUsed, true);
  } finally {
    done(s);
  }
});

test("WebCache.keys() and matchAll() list entries in insertion order; put() of a matching request moves it last", async () => {
  const s = storage();
  try {
    const cache = await s.open("v1");
    for (const p of ["c", "a", "b?z=1", "b?y=1", "d"]) await cache.put(`${U}/${p}`, new Response(p));
    assert.deepEqual((await cache.keys()).map((r) => r.url.slice(U.length + 1)), ["c", "a", "b?z=1", "b?y=1", "d"]);
    await cache.put(`${U}/a`, new Response("a2"));
    assert.deepEqual((await cache.keys()).map((r) => r.url.slice(U.length + 1)), ["c", "b?z=1", "b?y=1", "d", "a"]);
    assert.deepEqual(await Promise.all((await cache.matchAll()).map((r) => r.text())), ["c", "b?z=1", "b?y=1", "d", "a2"]);
    assert.deepEqual(await Promise.all((await cache.matchAll(`${U}/b`, { ignoreSearch: true })).map((r) => r.text())), ["b?z=1", "b?y=1"]);
    assert.deepEqual((await cache.keys(`${U}/b?q`, { ignoreSearch: true })).map((r) => r.url), [`${U}/b?z=1`, `${U}/b?y=1`]);
    assert.deepEqual(await cache.matchAll(`${U}/nope`), []);
    // keys() answers GET Requests carrying the stored headers.
    await cache.put(new Request(`${U}/h`, { headers: { "x-h": "1" } }), new Response("h"));
    const [k] = await cache.keys(`${U}/h`);
    assert.equal(k!.method, "GET");
    assert.equal(k!.headers.get("x-h"), "1");
    // delete() with ignoreSearch removes every query of the path.
    assert.equal(await cache.delete(`${U}/b`, { ignoreSearch: true }), true);
    assert.deepEqual((await cache.keys()).map((r) => r.url.slice(U.length + 1)), ["c", "d", "a", "h"]);
  } finally {
    done(s);
  }
});

test("WebCache.add() and addAll() fetch then store all or nothing", async () => {
  const server = new TestServer();
  server.routes.set("/ok", (_q, r) => r.writeHead(200, { "content-type": "text/plain" }).end("ok"));
  server.routes.set("/two", (_q, r) => r.writeHead(200).end("two"));
  server.routes.set("/gone", (_q, r) => r.writeHead(410).end("gone"));
  server.routes.set("/partial", (_q, r) => r.writeHead(206).end("p"));
  server.routes.set("/star", (_q, r) => r.writeHead(200, { vary: "*" }).end("s"));
  server.routes.set("/big", (_q, r) => r.writeHead(200).end(Buffer.alloc(200_000, 3)));
  const base = await server.listen();
  const s = storage();
  try {
    const cache = await s.open("v1");
    await cache.add(`${base}/ok`);
    assert.equal(await text(await cache.match(`${base}/ok`)), "ok");
    assert.equal((await cache.match(`${base}/ok`))?.headers.get("content-type"), "text/plain");
    const rowsBefore = bodyRows(s.cache).length;
    for (const bad of ["/gone", "/partial", "/star", "/missing"]) {
      await assert.rejects(cache.addAll([`${base}/two`, `${base}/big`, `${base}${bad}`]), TypeError, bad);
    }
    assert.deepEqual((await cache.keys()).map((r) => r.url), [`${base}/ok`], "a failed batch stores none of it");
    assert.deepEqual(bodyRows(s.cache).length, rowsBefore, "nor leaves a body row");
    await assert.rejects(cache.add(new Request(`${base}/ok`, { method: "POST", body: "x" })), TypeError);
    await assert.rejects(cache.add("ftp://example.com/"), TypeError);
    await assert.rejects(cache.addAll(42 as unknown as string[]), TypeError);
    // Two requests of one batch that match each other: InvalidStateError, nothing stored.
    await assert.rejects(cache.addAll([`${base}/two`, `${base}/two#x`]), (e: unknown) => e instanceof DOMException && e.name === "InvalidStateError");
    assert.equal(await cache.match(`${base}/two`), undefined);
    await cache.addAll([`${base}/two`, new Request(`${base}/big`)]);
    assert.deepEqual((await cache.keys()).map((r) => r.url), [`${base}/ok`, `${base}/two`, `${base}/big`]);
    assert.equal((await (await cache.match(`${base}/big`))!.arrayBuffer()).byteLength, 200_000);
    // The response as fetched keeps its url and type.
    const hit = (await cache.match(`${base}/two`))!;
    assert.equal(hit.url, `${base}/two`);
    assert.equal(hit.type, (await fetch(`${base}/two`)).type, "the runtime's fetch's own type (basic; Bun answers default)");
    // An injected fetch is used.
    const seen: string[] = [];
    const s2 = storage({ fetch: (r) => (seen.push(r.url), Promise.resolve(new Response("injected"))) });
    try {
      await (await s2.open("x")).add(`${U}/i`);
      assert.deepEqual(seen, [`${U}/i`]);
      assert.equal(await text(await (await s2.open("x")).match(`${U}/i`)), "injected");
    } finally {
      done(s2);
    }
  } finally {
    done(s);
    await server.close();
  }
});

test("WebCache.put() of a body that errors stores nothing, small or streamed to a file", async () => {
  const s = storage();
  try {
    const cache = await s.open("v1");
    await cache.put(`${U}/keep`, new Response("old"));
    const rowsBefore = bodyRows(s.cache).length;
    for (const size of [10, 1 << 20]) {
      let n = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(c) {
          if (n++ < 3) c.enqueue(new Uint8Array(size));
          else c.error(new Error("upstream broke"));
        },
      });
      await assert.rejects(cache.put(`${U}/keep`, new Response(body)), /upstream broke/);
      assert.equal(await text(await cache.match(`${U}/keep`)), "old", `size ${size}: the old entry stays`);
      assert.equal(bodyRows(s.cache).length, rowsBefore, `size ${size}: no body row left`);
    }
  } finally {
    done(s);
  }
});

test("DiskCacheStorage open/has/delete/keys/match follow the spec; names in creation order", async () => {
  const s = storage();
  try {
    assert.deepEqual(await s.keys(), []);
    assert.equal(await s.has("a"), false);
    const b = await s.open("b");
    const a = await s.open("a");
    assert.ok(b instanceof WebCache);
    await s.open("b");
    assert.deepEqual(await s.keys(), ["b", "a"]);
    assert.equal(await s.has("a"), true);
    await a.put(`${U}/x`, new Response("from a"));
    await b.put(`${U}/x?q`, new Response("from b"));
    assert.equal(await text(await s.match(`${U}/x`)), "from a");
    assert.equal(await text(await s.match(`${U}/x`, { ignoreSearch: true })), "from b", "caches searched in creation order");
    assert.equal(await text(await s.match(`${U}/x`, { ignoreSearch: true, cacheName: "a" })), "from a");
    assert.equal(await s.match(`${U}/x`, { cacheName: "none" }), undefined);
    assert.equal(await s.delete("b"), true);
    assert.equal(await s.delete("b"), false);
    assert.deepEqual(await s.keys(), ["a"]);
    assert.equal(await text(await s.match(`${U}/x`, { ignoreSearch: true })), "from a");
    const b2 = await s.open("b");
    assert.deepEqual(await b2.keys(), [], "a cache made again after delete() starts empty");
    assert.deepEqual(await s.keys(), ["a", "b"]);
    assert.deepEqual([...s.cache.keys()].filter((k) => typeof k === "string" && k.startsWith("webcache:b:")), [], "delete() removed the deleted cache's rows");
    assert.throws(() => new WebCache({} as never, "x", "x"), /storage.open/);
    // Names of any characters are caches of their own.
    for (const name of ["", "a:u:", "a%3Au%3A", "ü 🙂", "names"]) await (await s.open(name)).put(`${U}/n`, new Response(`name ${name}`));
    for (const name of ["", "a:u:", "a%3Au%3A", "ü 🙂", "names"]) {
      assert.deepEqual(await Promise.all((await (await s.open(name)).matchAll()).map((r) => r.text())), [`name ${name}`], JSON.stringify(name));
    }
    assert.deepEqual(await s.keys(), ["a", "b", "", "a:u:", "a%3Au%3A", "ü 🙂", "names"]);
  } finally {
    done(s);
  }
});

test("DiskCacheStorage persists across reopening and works over a DiskCache passed in", async () => {
  using dir = tempDir();
  {
    using s = new DiskCacheStorage(dir.path);
    await (await s.open("p")).put(`${U}/x`, new Response("kept"));
  }
  using cache = new DiskCache(dir.path);
  const s2 = new DiskCacheStorage(cache);
  assert.equal(s2.cache, cache);
  assert.equal(await text(await (await s2.open("p")).match(`${U}/x`)), "kept");
  s2.close();
  assert.equal(cache.closed, false, "a storage does not close a cache it was given");
  assert.throws(() => new DiskCacheStorage(cache, { sizeLimit: 1 }), /only when the storage opens the cache/);
  assert.throws(() => new DiskCacheStorage(dir.path, { fetch: 1 as never }), /"fetch" must be a function/);
});

test("WebCache bodies above minFileSize stream to and from value files; sizeLimit culls whole entries", async () => {
  const s = storage({ sizeLimit: 3 << 20, cullLimit: 10 });
  try {
    const cache = await s.open("v1");
    for (let i = 0; i < 8; i++) await cache.put(`${U}/${i}`, new Response(new Uint8Array(1 << 20).fill(i)));
    const kept = (await cache.keys()).map((r) => r.url);
    assert.ok(kept.length < 8 && kept.length >= 1, `culled some: kept ${kept.length}`);
    assert.deepEqual(kept, kept.toSorted(), "the oldest went first");
    assert.equal(kept.at(-1), `${U}/7`);
    for (const url of kept) assert.equal(new Uint8Array(await (await cache.match(url))!.arrayBuffer())[5], Number(url.at(-1)));
    assert.equal(await cache.match(`${U}/0`), undefined);
    await assert.rejects(cache.put(`${U}/huge`, new Response(new Uint8Array(4 << 20))), RangeError);
  } finally {
    done(s);
  }
});

/**
 * A full garbage collection, so that RSS measures what is retained rather than
 * what a lazy collector has not reclaimed yet (getStream's 4 MiB chunks are
 * garbage as soon as read). Bun.gc, or V8's gc exposed at run time (Node, Deno).
 */
function collector(): () => void {
  const bun = (globalThis as { Bun?: { gc(full: boolean): void } }).Bun;
  if (bun) return () => bun.gc(true);
  v8.setFlagsFromString("--expose-gc");
  const gc = vm.runInNewContext("gc") as () => void;
  return () => gc();
}

test("WebCache streams a 100 MB body in and out with bounded memory", async () => {
  const gc = collector();
  const s = storage();
  try {
    const cache = await s.open("big");
    const CHUNK = 1 << 16, TOTAL = 100 << 20;
    const chunk = new Uint8Array(CHUNK).fill(42);
    let sent = 0, peak = 0;
    const sample = () => {
      gc();
      peak = Math.max(peak, process.memoryUsage().rss);
    };
    // Warm up the code paths, then take the baseline.
    await cache.put(`${U}/warm`, new Response(new Uint8Array(1 << 20)));
    await (await cache.match(`${U}/warm`))!.arrayBuffer();
    gc();
    const before = process.memoryUsage().rss;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        if (sent >= TOTAL) return c.close();
        c.enqueue(chunk);
        sent += CHUNK;
        if (sent % (4 << 20) === 0) sample();
      },
    }, { highWaterMark: 0 });
    await cache.put(`${U}/big`, new Response(body));
    const putPeak = peak - before;
    const res = (await cache.match(`${U}/big`))!;
    let received = 0, checked = 0, next = 0;
    const reader = res.body!.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (value[0] === 42) checked++;
      received += value.length;
      if (received >= next) {
        sample();
        next = received + (8 << 20);
      }
    }
    assert.equal(received, TOTAL);
    assert.ok(checked > 0);
    const growth = peak - before;
    const mib = (n: number) => (n / 2 ** 20).toFixed(1);
    assert.ok(growth < 32 << 20, `RSS grew by ${mib(growth)} MiB while streaming 100 MiB (by ${mib(putPeak)} MiB during the put)`);
  } finally {
    done(s);
  }
});

test("installGlobalCaches() defines globalThis.caches where missing, replaces it only when asked", async () => {
  using dir = tempDir();
  const g = globalThis as { caches?: unknown };
  const original = Object.getOwnPropertyDescriptor(globalThis, "caches");
  try {
    if (g.caches === undefined) {
      const installed = installGlobalCaches(dir.path);
      assert.ok(installed instanceof DiskCacheStorage);
      assert.equal(g.caches, installed);
      assert.equal(installGlobalCaches(dir.path), undefined, "an existing caches is kept");
      installed.close();
    } else {
      // Deno: its own caches stays unless replace is set.
      const own = g.caches;
      assert.equal(installGlobalCaches(dir.path), undefined);
      assert.equal(g.caches, own);
    }
    const replaced = installGlobalCaches(dir.path, { replace: true })!;
    assert.equal(g.caches, replaced);
    const c = await (g.caches as DiskCacheStorage).open("global");
    await c.put(`${U}/g`, new Response("g"));
    assert.equal(await text(await replaced.match(`${U}/g`)), "g");
    replaced.close();
    assert.throws(() => installGlobalCaches(dir.path, { replace: "yes" as never }), /"replace" must be a boolean/);
  } finally {
    if (original) Object.defineProperty(globalThis, "caches", original);
    else delete g.caches;
  }
});

test("WebCache takes Request and Response look-alikes (a framework's own classes, as @hono/node-server installs)", async () => {
  const s = storage();
  try {
    const cache = await s.open("v1");
    const foreignResponse = {
      status: 200,
      statusText: "OK",
      headers: new Headers({ "x-f": "1" }),
      body: new Blob(["foreign"]).stream(),
      bodyUsed: false,
      type: "default",
      url: "",
      redirected: false,
    };
    const foreignRequest = { url: `${U}/f`, method: "GET", headers: new Headers() };
    await cache.put(foreignRequest as unknown as Request, foreignResponse as unknown as Response);
    const hit = await cache.match(foreignRequest as unknown as Request);
    assert.equal(await text(hit), "foreign");
    assert.equal(hit?.headers.get("x-f"), "1");
    await assert.rejects(cache.put(`${U}/f`, { status: 200 } as unknown as Response), /must be a Response/);
  } finally {
    done(s);
  }
});

test("WebCache: an entry whose body was lost (value file removed) stops matching and leaves keys()", async () => {
  const s = storage();
  try {
    const cache = await s.open("v1");
    await cache.put(`${U}/lost`, new Response(new Uint8Array(100_000)));
    await cache.put(`${U}/kept`, new Response("kept"));
    const files = valueFiles(s.cache.directory);
    assert.equal(files.length, 1);
    rmSync(join(s.cache.directory, files[0]!));
    assert.equal(await cache.match(`${U}/lost`), undefined);
    assert.deepEqual((await cache.keys()).map((r) => r.url), [`${U}/kept`]);
    assert.equal(await text(await cache.match(`${U}/kept`)), "kept");
  } finally {
    done(s);
  }
});

test("DiskCacheStorage: culling by the size limit never mixes caches nor reorders entries (its own bookkeeping rows may be culled too)", async () => {
  for (const evictionPolicy of ["least-recently-stored", "least-recently-used", "least-frequently-used"] as const) {
    const s = storage({ sizeLimit: 2 << 20, cullLimit: 100, evictionPolicy });
    try {
      const a = await s.open("a");
      const b = await s.open("b");
      await b.put(`${U}/b-only`, new Response("b"));
      for (let i = 0; i < 40; i++) await a.put(`${U}/${i}`, new Response(new Uint8Array(200_000).fill(i)));
      const kept = (await a.keys()).map((r) => Number(r.url.split("/").at(-1)));
      assert.ok(kept.length >= 1 && kept.length < 40, `${evictionPolicy}: culled some, kept ${kept.length}`);
      // A cache created after the culling is empty, and never sees another cache's entries.
      const c = await s.open("c");
      assert.deepEqual(await c.keys(), [], `${evictionPolicy}: a new cache is empty`);
      await c.put(`${U}/c`, new Response("c"));
      await a.put(`${U}/last`, new Response("last"));
      const after = (await a.keys()).map((r) => r.url);
      assert.equal(after.at(-1), `${U}/last`, `${evictionPolicy}: the newest entry is listed last`);
      assert.ok(!after.includes(`${U}/c`), `${evictionPolicy}: no entry of c in a`);
      assert.deepEqual((await c.keys()).map((r) => r.url), [`${U}/c`], `${evictionPolicy}: c holds its own entry only`);
      const names = await s.keys();
      assert.ok(names.includes("a") && names.includes("c"), `${evictionPolicy}: caches written to stay listed: ${names}`);
    } finally {
      done(s);
    }
  }
});

test("WebCache keeps one row per URL: a hit reads the entries of its own query string, not every query of the path", async () => {
  const s = storage();
  try {
    const cache = await s.open("v1");
    for (let i = 0; i < 200; i++) await cache.put(`${U}/items?page=${i}`, new Response(`page ${i}`));
    // The row a hit on one page reads holds that page's entry only.
    const rows = [...s.cache.keys()].filter((k): k is string => typeof k === "string" && k.includes(":u:"));
    assert.equal(rows.length, 200);
    for (const k of rows) assert.equal(decodeRecord(s.cache.get(k)).length, 1, k);
    assert.equal(await text(await cache.match(`${U}/items?page=7`)), "page 7");
    // ignoreSearch still finds every query of the path, in insertion order, and delete() removes them all.
    assert.equal((await cache.matchAll(`${U}/items`, { ignoreSearch: true })).length, 200);
    assert.equal(await text(await cache.match(`${U}/items?x`, { ignoreSearch: true })), "page 0");
    assert.equal(await cache.delete(`${U}/items?page=7`), true);
    assert.equal((await cache.keys(`${U}/items`, { ignoreSearch: true })).length, 199);
    assert.equal(await cache.delete(`${U}/items`, { ignoreSearch: true }), true);
    assert.deepEqual(await cache.keys(), []);
    assert.deepEqual([...s.cache.keys()].filter((k) => typeof k === "string" && k.startsWith("webcache:v1:")), [], "no row of v1 left");
    // ignoreSearch still works when the size limit culled the index of a path's queries.
    await cache.put(`${U}/q?a`, new Response("a"));
    await cache.put(`${U}/q?b`, new Response("b"));
    for (const k of [...s.cache.keys()]) if (typeof k === "string" && k.includes(":p:")) s.cache.delete(k);
    assert.deepEqual(await Promise.all((await cache.matchAll(`${U}/q`, { ignoreSearch: true })).map((r) => r.text())), ["a", "b"]);
    await cache.put(`${U}/q?c`, new Response("c"));
    assert.deepEqual(
      await Promise.all((await cache.matchAll(`${U}/q`, { ignoreSearch: true })).map((r) => r.text())),
      ["a", "b", "c"],
      "the list made again holds every URL",
    );
  } finally {
    done(s);
  }
});

test("DiskCacheStorage.delete(name): a WebCache held from before keeps working on its own entries, apart from the storage (the spec's detached Cache)", async () => {
  const s = storage();
  try {
    const old = await s.open("a");
    await old.put(`${U}/x`, new Response("old x"));
    assert.equal(await s.delete("a"), true);
    // The storage no longer has it; the held object still answers (its entries were removed with the name).
    assert.equal(await s.has("a"), false);
    assert.equal(await old.match(`${U}/x`), undefined);
    await old.put(`${U}/y`, new Response("old y"));
    assert.equal(await text(await old.match(`${U}/y`)), "old y", "the held object keeps working");
    assert.equal(await s.has("a"), false, "a write through the held object does not make the name again");
    assert.deepEqual(await s.keys(), []);
    assert.equal(await s.match(`${U}/y`), undefined, "caches.match does not search a deleted cache");
    // A cache opened again under the name is a new, empty one, apart from the held object.
    const fresh = await s.open("a");
    assert.deepEqual(await fresh.keys(), []);
    await fresh.put(`${U}/z`, new Response("new z"));
    assert.deepEqual((await old.keys()).map((r) => r.url), [`${U}/y`]);
    assert.deepEqual((await fresh.keys()).map((r) => r.url), [`${U}/z`]);
    assert.equal(await text(await s.match(`${U}/z`)), "new z");
    assert.equal(await s.match(`${U}/y`), undefined);
    assert.equal(await old.delete(`${U}/y`), true);
    assert.deepEqual(await s.keys(), ["a"]);
    // Deleted again, the second generation detaches as the first did; a third opens empty.
    assert.equal(await s.delete("a"), true);
    await fresh.put(`${U}/w`, new Response("w"));
    assert.deepEqual((await (await s.open("a")).keys()).map((r) => r.url), []);
    assert.deepEqual((await fresh.keys()).map((r) => r.url), [`${U}/w`]);
  } finally {
    done(s);
  }
});

test("DiskCacheStorage: names are DOMStrings, kept apart even when a lone surrogate would become U+FFFD in UTF-8", async () => {
  const s = storage();
  try {
    const names = ["unpaired\uD800", "unpaired\uFFFD", "unpaired%uD800", "x\uDC00y"];
    for (const name of names) await (await s.open(name)).put(`${U}/n`, new Response(JSON.stringify(name)));
    assert.deepEqual(await s.keys(), names);
    for (const name of names) {
      assert.equal(await s.has(name), true);
      assert.deepEqual(await Promise.all((await (await s.open(name)).matchAll()).map((r) => r.text())), [JSON.stringify(name)]);
    }
    assert.equal(await s.delete("unpaired\uD800"), true);
    assert.equal(await s.has("unpaired\uFFFD"), true);
    assert.equal(await text(await (await s.open("unpaired\uFFFD")).match(`${U}/n`)), JSON.stringify("unpaired\uFFFD"));
  } finally {
    done(s);
  }
});

test("WebCache: a URL with credentials is refused with a TypeError that says so, by every method, as new Request(url) refuses it", async () => {
  const s = storage();
  try {
    const cache = await s.open("v1");
    const url = "https://user:secret@example.com/c";
    // The Fetch spec's new Request(url) refuses it: Node's does, Deno's and Bun's do not, so a Request may carry one.
    let request: Request | undefined;
    try {
      request = new Request(url);
    } catch (error) {
      assert.ok(error instanceof TypeError);
    }
    for (
      const [op, call] of [
        ["put", () => cache.put(url, new Response("c"))],
        ["match", () => cache.match(url)],
        ["matchAll", () => cache.matchAll(new URL(url))],
        ["delete", () => cache.delete(url)],
        ["keys", () => cache.keys(url)],
        ["add", () => cache.add(url)],
        ["caches.match", () => s.match(url)],
        ...(request === undefined ? [] : [
          ["put(Request)", () => cache.put(request, new Response("c"))],
          ["match(Request)", () => cache.match(request)],
          ["delete(Request)", () => cache.delete(request)],
          ["addAll(Request)", () => cache.addAll([request])],
        ] as const),
      ] as const
    ) {
      await assert.rejects(
        (call as () => Promise<unknown>)(),
        (e: unknown) => e instanceof TypeError && /given with credentials/.test(e.message) && !/secret/.test(e.message),
        op,
      );
    }
    await assert.rejects(cache.match("/relative"), /is not an absolute URL/);
  } finally {
    done(s);
  }
});

test("WebCache.put() of a fetched body the caller aborts midway stores nothing, leaves no value file, keeps the old entry", async () => {
  const server = new TestServer();
  server.routes.set("/hang", (_q, r) => void r.writeHead(200).write(Buffer.alloc(2 << 20, 7))); // never ends
  const base = await server.listen();
  const s = storage();
  try {
    const cache = await s.open("v1");
    await cache.put(`${U}/keep`, new Response(new Uint8Array(100_000).fill(1))); // a value file of its own
    const files = valueFiles(s.cache.directory);
    for (const abortAfter of [10_000, 1_500_000]) { // in the buffered part, then while streaming into a value file
      const controller = new AbortController();
      const reader = (await fetch(`${base}/hang`, { signal: controller.signal })).body!.getReader();
      let passed = 0;
      const body = new ReadableStream<Uint8Array>({
        async pull(c) {
          const { done, value } = await reader.read();
          if (done) return c.close();
          c.enqueue(value);
          passed += value.length;
          if (passed >= abortAfter) controller.abort(new Error("the caller aborted"));
        },
      });
      await assert.rejects(cache.put(`${U}/keep`, new Response(body)), /the caller aborted/, `abort after ${abortAfter}`);
      assert.deepEqual(valueFiles(s.cache.directory), files, `abort after ${abortAfter}: no value file left`);
      assert.equal(bodyRows(s.cache).length, 1, `abort after ${abortAfter}: no body row left`);
      assert.equal((await (await cache.match(`${U}/keep`))!.arrayBuffer()).byteLength, 100_000, `abort after ${abortAfter}: the old entry stays`);
    }
  } finally {
    done(s);
    await server.close();
  }
});

test("WebCache: concurrent puts of one URL leave one entry and one body; responses from matchAll read whole after their entries are replaced", async () => {
  const s = storage();
  try {
    const cache = await s.open("v1");
    const sizes = [10, 2 << 20, 100, 1_500_000, 50_000, 3 << 20];
    await Promise.all(sizes.map((n, i) => cache.put(`${U}/same`, new Response(new Uint8Array(n).fill(i + 1)))));
    const [only, ...more] = await cache.matchAll(`${U}/same`);
    assert.equal(more.length, 0);
    const bytes = new Uint8Array(await only!.arrayBuffer());
    assert.equal(bytes.length, sizes[bytes[0]! - 1], "the body is the one put with it");
    assert.ok(bodyRows(s.cache).length <= 1, "the losers' bodies are gone");
    assert.equal(valueFiles(s.cache.directory).length, bytes.length >= s.cache.minFileSize ? 1 : 0);
    // Responses answered before a put replaces (or a delete removes) their entries still read whole.
    await cache.put(`${U}/m1`, new Response(new Uint8Array(3 << 20).fill(1)));
    await cache.put(`${U}/m2`, new Response(new Uint8Array(200_000).fill(2)));
    const answered = await cache.matchAll();
    const first = await cache.match(`${U}/m1`);
    await cache.put(`${U}/m1`, new Response("replaced"));
    await cache.delete(`${U}/m2`);
    const lengths = await Promise.all([first!, ...answered].map(async (res) => (await res.arrayBuffer()).byteLength));
    assert.deepEqual(lengths, [3 << 20, bytes.length, 3 << 20, 200_000]);
    // A response whose body was partly read is refused, as a used body.
    const partly = new Response(new Uint8Array(100_000));
    const r = partly.body!.getReader();
    await r.read();
    r.releaseLock();
    await assert.rejects(cache.put(`${U}/partly`, partly), TypeError);
    assert.equal(await cache.match(`${U}/partly`), undefined);
  } finally {
    done(s);
  }
});

test("WebCache keeps small bodies in their URL's row (one row read per hit), within the row's room; reads the rows 0.2.0 wrote", async () => {
  const s = storage();
  try {
    const cache = await s.open("v1");
    // Small bodies of several variants share the URL's row until it would reach minFileSize; the rest get rows of their own.
    const req = (n: number) => new Request(`${U}/v`, { headers: { "x-n": String(n) } });
    for (let n = 0; n < 6; n++) await cache.put(req(n), new Response(new Uint8Array(10_000).fill(n), { headers: { vary: "x-n" } }));
    const row = s.cache.get(`webcache:v1:u:${U}/v`);
    assert.ok(row instanceof Uint8Array && row.byteLength < s.cache.minFileSize, "the row stays in SQLite");
    const inline = decodeRecord(row).filter((e) => e.inline).length;
    assert.ok(inline >= 2 && inline < 6, `some bodies in the row: ${inline}`);
    assert.equal(bodyRows(s.cache).length, 6 - inline);
    for (let n = 0; n < 6; n++) assert.deepEqual(new Uint8Array(await (await cache.match(req(n)))!.arrayBuffer()), new Uint8Array(10_000).fill(n));
    // A body above 16 KiB has a row of its own; a null body stays null; an empty one stays empty.
    await cache.put(`${U}/big`, new Response(new Uint8Array(20_000)));
    await cache.put(`${U}/null`, new Response(null, { status: 204 }));
    await cache.put(`${U}/empty`, new Response(new Uint8Array(0)));
    assert.equal(bodyRows(s.cache).length, 6 - inline + 1);
    assert.equal((await cache.match(`${U}/null`))!.body, null);
    assert.equal(await text(await cache.match(`${U}/empty`)), "");
    // A row as 0.2.0 wrote it (a JSON string, bodies in rows of their own) is read, and rewritten as bytes by the next put.
    s.cache.set("webcache:v1:b:42", new Uint8Array([104, 105]), { tag: "webcache:v1" });
    const old = [{
      seq: 1,
      url: `${U}/old`,
      reqHeaders: [],
      status: 200,
      statusText: "OK",
      resHeaders: [["x-old", "1"]],
      type: "default",
      resUrl: "",
      redirected: false,
      body: 42,
      size: 2,
    }];
    s.cache.set(`webcache:v1:u:${U}/old`, JSON.stringify(old), { tag: "webcache:v1" });
    const hit = (await cache.match(`${U}/old`))!;
    assert.equal(hit.headers.get("x-old"), "1");
    assert.equal(await hit.text(), "hi");
    await cache.put(`${U}/old`, new Response("new"));
    assert.ok(s.cache.get(`webcache:v1:u:${U}/old`) instanceof Uint8Array);
    assert.equal(s.cache.get("webcache:v1:b:42"), undefined, "the replaced entry's body row went with it");
    // A row this version cannot read (damaged, or a later version's) is a miss, replaced by the next put.
    for (
      const bad of [
        new Uint8Array([1, 0, 0, 0, 9, 123]),
        new Uint8Array([2, 0]),
        new Uint8Array([1, 0, 0, 0, 2, 91, 93, 7]),
        new Uint8Array([1, 0, 0, 0, 1, 91]),
      ]
    ) {
      s.cache.set(`webcache:v1:u:${U}/bad`, bad, { tag: "webcache:v1" });
      assert.equal(await cache.match(`${U}/bad`), undefined, String(bad));
    }
    await cache.put(`${U}/bad`, new Response("good"));
    assert.equal(await text(await cache.match(`${U}/bad`)), "good");
  } finally {
    done(s);
  }
  // With a minFileSize too small for the room, every body has a row of its own.
  const small = storage({ minFileSize: 4096 });
  try {
    const cache = await small.open("v1");
    await cache.put(`${U}/a`, new Response("a"));
    assert.equal(bodyRows(small.cache).length, 1);
    assert.equal(await text(await cache.match(`${U}/a`)), "a");
  } finally {
    done(small);
  }
});

test("DiskCacheStorage with a memory tier: a hit from memory still sees another connection's put", async () => {
  using dir = tempDir();
  using a = new DiskCacheStorage(dir.path, { memory: { maxBytes: 2 ** 24 } });
  using b = new DiskCacheStorage(dir.path);
  const ca = await a.open("t"), cb = await b.open("t");
  for (let i = 0; i < 3; i++) {
    await cb.put(`${U}/x`, new Response(`v${i}`));
    assert.equal(await text(await ca.match(`${U}/x`)), `v${i}`, "the tier never hides another connection's write");
    assert.equal(await text(await ca.match(`${U}/x`)), `v${i}`);
  }
  assert.ok(a.cache.stats().memory!.hits >= 1, "hits came from memory");
  await cb.delete(`${U}/x`);
  assert.equal(await ca.match(`${U}/x`), undefined);
});

test("WebCache and DiskCacheStorage refuse bad arguments with errors that name them; rare answers keep their shape", async () => {
  using dir = tempDir();
  assert.throws(() => new DiskCacheStorage(dir.path, null as never), /"options" must be an object/);
  assert.throws(() => installGlobalCaches(dir.path, 5 as never), /"options" must be an object/);
  const server = new TestServer();
  server.routes.set("/moved", (_q, r) => r.writeHead(302, { location: "/target" }).end());
  server.routes.set("/target", (_q, r) => r.writeHead(200).end("target"));
  const base = await server.listen();
  const s = storage({ fetch: (r) => r.url.endsWith("/odd") ? Promise.resolve("not a response" as never) : fetch(r) });
  try {
    const cache = await s.open("v1");
    await assert.rejects(cache.match(42 as never), /"request" must be a Request or a URL: received 42/);
    await assert.rejects(cache.match(`${U}/x`, 5 as never), /"options" must be an object/);
    await assert.rejects(cache.add(`${U}/odd`), /fetch answered .* not a Response/);
    // Request look-alikes (a framework's own class) with a URL the Fetch spec refuses.
    const like = (url: string) => ({ url, method: "GET", headers: new Headers() }) as unknown as Request;
    await assert.rejects(cache.put(like("https://u:p@example.com/"), new Response("x")), /given with credentials/);
    await assert.rejects(cache.match(like("https://u:p@example.com/")), /given with credentials/);
    await assert.rejects(cache.keys(like("relative")), /is not an absolute URL/);
    await cache.put(new URL(`${U}/by-url`), new Response("by URL"));
    assert.equal(await text(await cache.match(new URL(`${U}/by-url#f`))), "by URL");
    // A redirected response keeps its url and redirected.
    await cache.add(`${base}/moved`);
    const hit = (await cache.match(`${base}/moved`))!;
    assert.equal(hit.redirected, true);
    assert.equal(hit.url, `${base}/target`);
    assert.equal(await hit.text(), "target");
    // matchAll drops an entry whose body row is gone, after the responses before it.
    await cache.put(`${U}/p?1`, new Response(new Uint8Array(50_000).fill(1)));
    await cache.put(`${U}/p?2`, new Response(new Uint8Array(50_000).fill(2)));
    const [, second] = bodyRows(s.cache).slice(-2);
    s.cache.delete(second!);
    const all = await cache.matchAll(`${U}/p`, { ignoreSearch: true });
    assert.deepEqual(await Promise.all(all.map(async (r) => new Uint8Array(await r.arrayBuffer())[0])), [1]);
    assert.deepEqual((await cache.keys(`${U}/p`, { ignoreSearch: true })).map((r) => r.url), [`${U}/p?1`]);
  } finally {
    done(s);
    await server.close();
  }
});

const stored: Entry = {
  seq: 0,
  url: "",
  reqHeaders: [],
  status: 200,
  statusText: "",
  resHeaders: [["content-type", "text/plain"]],
  type: "default",
  resUrl: "",
  redirected: false,
  body: null,
  size: 0,
  inline: true,
};

test("WebCache: more rows and URLs than the decoding memos hold still answer right", async () => {
  const s = storage();
  try {
    const cache = await s.open("v1");
    const n = 1100;
    // Rows written as put() writes them, in one transaction (1100 puts take 1100 commits).
    s.cache.transact(() => {
      for (let i = 0; i < n; i++) {
        const data = new TextEncoder().encode(`m${i}`);
        s.cache.set(`webcache:v1:u:${U}/m/${i}`, encodeRecord([{ ...stored, seq: i, url: `${U}/m/${i}`, size: data.length, data }]), { tag: "webcache:v1" });
      }
    });
    for (const round of [0, 1]) {
      for (let i = 0; i < n; i += round ? 7 : 1) assert.equal(await text(await cache.match(`${U}/m/${i}`)), `m${i}`);
    }
    // A long URL (as a client may send to a server that matches what it is asked) is not kept by the memo, and works.
    const long = `${U}/long?${"q".repeat(5000)}`;
    await cache.put(long, new Response("long"));
    assert.equal(await text(await cache.match(long)), "long");
  } finally {
    done(s);
  }
});

test("WebCache.put() of a URL of a new path lists it without going through the directory's rows; ignoreSearch still finds every URL after its path's list was culled", async () => {
  using dir = tempDir();
  let listed = 0;
  class Counting extends DiskCache {
    override keys(...args: Parameters<DiskCache["keys"]>): ReturnType<DiskCache["keys"]> {
      listed++;
      return super.keys(...args);
    }
  }
  using cache = new Counting(dir.path);
  using s = new DiskCacheStorage(cache);
  const c = await s.open("v1");
  for (let i = 0; i < 20; i++) await c.put(`${U}/page/${i}?v=1`, new Response(`p${i}`));
  await c.put(`${U}/page/3?v=2`, new Response("p3 v2"));
  await c.delete(`${U}/page/4?v=1`);
  assert.equal(listed, 0, "no put or delete went through every row of the directory");
  assert.deepEqual(await Promise.all((await c.matchAll(`${U}/page/3`, { ignoreSearch: true })).map((r) => r.text())), ["p3", "p3 v2"]);
  // The first ignoreSearch query of a path completes its list once; the next ones read it.
  const before = listed;
  await c.matchAll(`${U}/page/3`, { ignoreSearch: true });
  await c.keys(`${U}/page/3?x`, { ignoreSearch: true });
  assert.equal(listed, before, "a completed list is read, not made again");
  // The size limit culls a path's list while its URLs' rows stay: a put of another URL of the path, then
  // ignoreSearch, still finds all three.
  for (const k of [...cache.keys()]) if (typeof k === "string" && k.includes(":p:")) cache.delete(k);
  await c.put(`${U}/page/3?v=3`, new Response("p3 v3"));
  assert.deepEqual(await Promise.all((await c.matchAll(`${U}/page/3`, { ignoreSearch: true })).map((r) => r.text())), ["p3", "p3 v2", "p3 v3"]);
  assert.equal(await c.delete(`${U}/page/3`, { ignoreSearch: true }), true);
  assert.deepEqual(await c.keys(`${U}/page/3`, { ignoreSearch: true }), []);
  assert.equal((await c.keys()).length, 18);
  // A list whose URLs' rows were all culled is removed by the query that finds none.
  await c.put(`${U}/gone?a`, new Response("a"));
  cache.delete(`webcache:v1:u:${U}/gone?a`);
  assert.deepEqual(await c.matchAll(`${U}/gone`, { ignoreSearch: true }), []);
  assert.equal(cache.get(`webcache:v1:p:${U}/gone`), undefined);
  // A read-only storage answers ignoreSearch from the rows, writing nothing.
  await c.put(`${U}/ro?a`, new Response("a"));
  using readonly = new DiskCacheStorage(dir.path, { readonly: true });
  assert.equal(await text(await (await readonly.open("v1")).match(`${U}/ro`, { ignoreSearch: true })), "a");
});

test("WebCache: changing the headers or body of a response from the cache changes nothing stored", async () => {
  const s = storage();
  try {
    const cache = await s.open("v1");
    await cache.put(`${U}/h`, new Response("body", { headers: { "x-a": "1" } }));
    const first = (await cache.match(`${U}/h`))!;
    first.headers.set("x-a", "changed");
    first.headers.set("x-b", "added");
    const bytes = new Uint8Array(await first.arrayBuffer());
    bytes.fill(0);
    const again = (await cache.match(`${U}/h`))!;
    assert.equal(again.headers.get("x-a"), "1");
    assert.equal(again.headers.get("x-b"), null);
    assert.equal(await again.text(), "body");
  } finally {
    done(s);
  }
});

test("WebCache: each hit answers its own entry's headers, however many header lists were seen, and a row read right after its put decodes as parsed", async () => {
  const s = storage();
  try {
    const cache = await s.open("v1");
    // Header lists that a key made by joining names and values carelessly would confuse.
    const lists: [string, string][][] = [
      [["x-a", "1, x-b:2"]],
      [["x-a", "1"], ["x-b", "2"]],
      [["x-b", "2"], ["x-a", "1"]],
      [["set-cookie", "a=1"], ["set-cookie", "b=2"]],
      [["set-cookie", "a=1, b=2"]],
      [],
    ];
    // More lists than the memo holds (1024), so it is emptied on the way.
    for (let i = 0; i < 1100; i++) lists.push([["x-n", String(i)]]);
    for (const [i, list] of lists.entries()) await cache.put(`${U}/hd/${i}`, new Response(`b${i}`, { headers: list }));
    for (const round of [0, 1]) {
      for (const [i, list] of lists.entries()) {
        if (round === 1 && i % 5 !== 0) continue;
        const res = (await cache.match(`${U}/hd/${i}`))!;
        assert.deepEqual([...res.headers], [...new Response(`b${i}`, { headers: list }).headers], `entry ${i}`);
        assert.equal(await res.text(), `b${i}`);
      }
    }
    // The entries a put remembers for its row are those JSON.parse gives back.
    await cache.put(`${U}/hd/fresh`, new Response("fresh", { headers: { "x-a": "1" } }));
    const row = s.cache.get(`webcache:v1:u:${U}/hd/fresh`) as Uint8Array;
    const length = new DataView(row.buffer, row.byteOffset).getUint32(1);
    const parsed = JSON.parse(new TextDecoder().decode(row.subarray(5, 5 + length))) as Entry[];
    assert.deepEqual(
      decodeRecord(row).map((e) => ({ ...e, data: e.data && [...e.data] })),
      parsed.map((e) => ({ ...e, data: [...new TextEncoder().encode("fresh")] })),
    );
  } finally {
    done(s);
  }
});
