// cachedFetch against a real local HTTP server, on every row.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { ServerResponse } from "node:http";
import { join } from "node:path";
import { DiskCache, FanoutCache } from "../mod.ts";
import { cachedFetch, type FetchLike } from "../http.ts";
import { staleness, tempDir, valueFiles } from "./_helpers.ts";
import { cachedFetchSite, streamedBody } from "./_http_server.ts";

describe("cachedFetch", () => {
  const site = cachedFetchSite({ minFileSize: 1024 });
  const { server, get } = site;

  it("cachedFetch() answers a fresh response from the cache, saying so in Cache-Status", async () => {
    server.routes.set(
      "/fresh",
      (_q, res, n) => res.writeHead(200, { "cache-control": "max-age=60", "x-n": String(n) }).end(`fresh ${n}`),
    );
    const first = await get("/fresh");
    assert.equal(first.body, "fresh 1");
    assert.equal(first.cacheStatus, "diskcache; fwd=uri-miss");
    assert.equal(first.res.url, site.origin + "/fresh");
    const second = await get("/fresh");
    assert.equal(second.body, "fresh 1");
    assert.match(second.cacheStatus, /^diskcache; hit; ttl=\d+$/);
    assert.equal(second.res.headers.get("x-n"), "1");
    assert.equal(second.res.url, site.origin + "/fresh");
    assert.equal(server.hits.get("/fresh"), 1);
    const head = await get("/fresh", { method: "HEAD" });
    assert.equal(head.body, "");
    assert.match(head.cacheStatus, /hit/);
    assert.equal(server.hits.get("/fresh"), 1);
  });

  it("cachedFetch() revalidates with If-None-Match and answers the stored body on 304", async () => {
    server.routes.set("/etag", (req, res, n) => {
      if (req.headers["if-none-match"] === '"v1"') {
        return void res.writeHead(304, { etag: '"v1"', "x-fresh": "yes" }).end();
      }
      res.writeHead(200, { "cache-control": "no-cache", etag: '"v1"', "x-fresh": "no" }).end(`etag ${n}`);
    });
    assert.equal((await get("/etag")).body, "etag 1");
    const second = await get("/etag");
    assert.equal(second.status, 200);
    assert.equal(second.body, "etag 1");
    assert.equal(second.cacheStatus, "diskcache; fwd=stale; fwd-status=304");
    assert.equal(second.res.headers.get("x-fresh"), "yes", "the 304's headers update the stored ones");
    assert.equal(server.requests.at(-1)!.headers["if-none-match"], '"v1"');
    assert.equal((await get("/etag")).body, "etag 1");
  });

  it("cachedFetch() revalidates with If-Modified-Since, and stores a changed response", async () => {
    const lastModified = new Date(Date.now() - 3600_000).toUTCString();
    server.routes.set("/lm", (req, res, n) => {
      if (n === 2 && req.headers["if-modified-since"] === lastModified) return void res.writeHead(304).end();
      res.writeHead(200, { "cache-control": "max-age=0", "last-modified": lastModified }).end(`lm ${n}`);
    });
    assert.equal((await get("/lm")).body, "lm 1");
    assert.equal((await get("/lm")).body, "lm 1");
    assert.equal(server.requests.at(-1)!.headers["if-modified-since"], lastModified);
    const third = await get("/lm");
    assert.equal(third.body, "lm 3");
    assert.equal(third.cacheStatus, "diskcache; fwd=stale");
    assert.equal((await get("/lm", { headers: { "cache-control": "max-stale" } })).body, "lm 3");
  });

  it("cachedFetch() keeps one response per Vary selection and never reuses Vary: *", async () => {
    server.routes.set(
      "/vary",
      (req, res) =>
        res.writeHead(200, { "cache-control": "max-age=60", vary: "Accept-Language" })
          .end(`lang ${req.headers["accept-language"]}`),
    );
    for (const lang of ["en", "fr", "en", "fr"]) {
      assert.equal((await get("/vary", { headers: { "accept-language": lang } })).body, `lang ${lang}`);
    }
    assert.equal(server.hits.get("/vary"), 2);
    assert.equal(
      (await get("/vary", { headers: { "accept-language": "de" } })).cacheStatus,
      "diskcache; fwd=vary-miss",
    );
    server.routes.set(
      "/star",
      (_q, res, n) => res.writeHead(200, { "cache-control": "max-age=60", vary: "*" }).end(`star ${n}`),
    );
    await get("/star");
    assert.equal((await get("/star")).body, "star 2");
  });

  it("cachedFetch() stores neither no-store responses nor answers to no-store requests", async () => {
    server.routes.set("/nostore", (_q, res, n) => res.writeHead(200, { "cache-control": "no-store" }).end(`n ${n}`));
    await get("/nostore");
    const second = await get("/nostore");
    assert.equal(second.body, "n 2");
    assert.equal(second.cacheStatus, "diskcache; fwd=uri-miss");
    server.routes.set(
      "/reqnostore",
      (_q, res, n) => res.writeHead(200, { "cache-control": "max-age=60" }).end(`r ${n}`),
    );
    assert.equal(
      (await get("/reqnostore", { headers: { "cache-control": "no-store" } })).cacheStatus,
      "diskcache; fwd=bypass",
    );
    assert.equal((await get("/reqnostore")).body, "r 2");
  });

  it("cachedFetch() stores private responses unless shared, and answers only-if-cached misses with 504", async () => {
    server.routes.set(
      "/private",
      (_q, res, n) => res.writeHead(200, { "cache-control": "private, max-age=60" }).end(`p ${n}`),
    );
    const sharedFetch = cachedFetch(site.cache, { shared: true });
    await get("/private", undefined, sharedFetch);
    assert.equal((await get("/private", undefined, sharedFetch)).body, "p 2", "a shared cache does not store it");
    await get("/private");
    assert.equal((await get("/private")).body, "p 3", "a private cache does");
    const miss = await get("/nothing-here", { headers: { "cache-control": "only-if-cached" } });
    assert.equal(miss.status, 504);
  });

  it("cachedFetch() serves stale-while-revalidate at once and revalidates in the background", async () => {
    server.routes.set(
      "/swr",
      (_q, res, n) => res.writeHead(200, { "cache-control": "max-age=1, stale-while-revalidate=60" }).end(`swr ${n}`),
    );
    assert.equal((await get("/swr")).body, "swr 1");
    await staleness();
    const stale = await get("/swr");
    assert.equal(stale.body, "swr 1");
    assert.match(stale.cacheStatus, /^diskcache; hit; ttl=-\d+$/);
    await site.fetch.settled();
    assert.equal((await get("/swr")).body, "swr 2");
    assert.equal(server.hits.get("/swr"), 2);
  });

  it("cachedFetch() revalidates a stale 204 (no body) in the background too, and stores the new one", async () => {
    server.routes.set(
      "/swr-empty",
      (_q, res, n) => void res.writeHead(204, { "cache-control": "max-age=1, stale-while-revalidate=60", "x-n": String(n) }).end(),
    );
    assert.equal((await site.fetch(site.origin + "/swr-empty")).status, 204);
    await staleness();
    const stale = await site.fetch(site.origin + "/swr-empty");
    assert.equal(stale.headers.get("x-n"), "1");
    assert.match(stale.headers.get("cache-status") ?? "", /^diskcache; hit; ttl=-\d+$/);
    await site.fetch.settled();
    assert.equal(server.hits.get("/swr-empty"), 2);
    const fresh = await site.fetch(site.origin + "/swr-empty");
    assert.equal(fresh.headers.get("x-n"), "2", "the background revalidation stored the new 204");
    assert.equal(fresh.body, null);
  });

  it("cachedFetch() follows a redirect from a fetch that answers it as it is, with no url (a proxy's Response), against the request's URL", async () => {
    const rewrapping: FetchLike = async (input, init) => {
      const res = await globalThis.fetch(input, { ...init, redirect: "manual" });
      return new Response(res.body, { status: res.status, headers: res.headers });
    };
    const f = cachedFetch(site.cache, { fetch: rewrapping });
    server.routes.set("/proxied-from", (_q, res) => void res.writeHead(302, { location: "/proxied-to" }).end());
    server.routes.set("/proxied-to", (_q, res) => void res.writeHead(200).end("arrived"));
    const res = await f(site.origin + "/proxied-from");
    assert.equal(await res.text(), "arrived");
    assert.equal(res.redirected, true);
    assert.equal(server.hits.get("/proxied-to"), 1);
  });

  it("cachedFetch() serves a stale response within stale-if-error, on a 500 or a network error", async () => {
    let down = false;
    const flaky: FetchLike = (input, init) => down ? Promise.reject(new TypeError("fetch failed")) : globalThis.fetch(input, init);
    const f = cachedFetch(site.cache, { fetch: flaky });
    server.routes.set("/sie", (_q, res, n) => {
      if (n > 1) return void res.writeHead(500).end("down");
      res.writeHead(200, { "cache-control": "max-age=1, stale-if-error=60" }).end("sie 1");
    });
    server.routes.set("/nosie", (_q, res, n) => res.writeHead(200, { "cache-control": "max-age=1" }).end(`nosie ${n}`));
    assert.equal((await get("/sie", undefined, f)).body, "sie 1");
    assert.equal((await get("/nosie", undefined, f)).body, "nosie 1");
    await staleness();
    const second = await get("/sie", undefined, f);
    assert.equal(second.body, "sie 1");
    assert.equal(second.cacheStatus, "diskcache; hit; detail=stale-if-error; fwd-status=500");
    down = true;
    const third = await get("/sie", undefined, f);
    assert.equal(third.body, "sie 1");
    assert.equal(third.cacheStatus, "diskcache; hit; detail=stale-if-error");
    await assert.rejects(get("/nosie", undefined, f), TypeError);
  });

  it("cachedFetch() forgets a URL after a successful unsafe request, and Location's too", async () => {
    server.routes.set("/inv", (req, res, n) => {
      if (req.method !== "GET") {
        return void res.writeHead(req.method === "DELETE" ? 500 : 201, { location: "/inv2" }).end();
      }
      res.writeHead(200, { "cache-control": "max-age=60" }).end(`inv ${n}`);
    });
    server.routes.set("/inv2", (_q, res, n) => res.writeHead(200, { "cache-control": "max-age=60" }).end(`inv2 ${n}`));
    assert.equal((await get("/inv")).body, "inv 1");
    assert.equal((await get("/inv2")).body, "inv2 1");
    const failed = await get("/inv", { method: "DELETE" });
    assert.equal(failed.cacheStatus, "diskcache; fwd=method");
    assert.equal((await get("/inv")).body, "inv 1", "an error answer invalidates nothing");
    await get("/inv", { method: "POST", body: "x" });
    assert.equal((await get("/inv")).body, "inv 4");
    assert.equal((await get("/inv2")).body, "inv2 2");
  });

  it("cachedFetch() streams a large body into a value file as the caller reads it, and out again", async () => {
    const size = 8 * 2 ** 20;
    const chunk = new Uint8Array(2 ** 16).fill(0x62);
    server.routes.set("/big", streamedBody(size, chunk));
    const before = valueFiles(site.cache.directory).length;
    const first = await site.fetch(site.origin + "/big");
    assert.equal((await first.arrayBuffer()).byteLength, size);
    assert.equal(valueFiles(site.cache.directory).length, before + 1);
    const second = await site.fetch(site.origin + "/big");
    assert.match(second.headers.get("cache-status")!, /hit/);
    const bytes = new Uint8Array(await second.arrayBuffer());
    assert.equal(bytes.length, size);
    assert.equal(bytes[size - 1], 0x62);
    assert.equal(server.hits.get("/big"), 1);
  });

  it("cachedFetch() freshens a stored GET from a 200 to a HEAD whose validators and length agree (RFC 9111 4.3.5)", async () => {
    // Each path: a GET stored for revalidation (no-cache, ETag "v1"), then
    // HEADs answered by `head`.
    const route = (path: string, head: Record<string, string>, headStatus = 200) =>
      server.routes.set(path, (req, res) => {
        if (req.method === "HEAD") return void res.writeHead(headStatus, head).end();
        res.writeHead(200, { "cache-control": "no-cache", etag: '"v1"', "x-a": "1" }).end("body");
      });
    route("/head", { "cache-control": "max-age=60", etag: '"v1"', "content-length": "4", "x-a": "2" });
    route("/head-etag", { "cache-control": "max-age=60", etag: '"v2"', "x-a": "2" });
    route("/head-length", { "cache-control": "max-age=60", etag: '"v1"', "content-length": "99", "x-a": "2" });
    route("/head-404", { "cache-control": "max-age=60", "x-a": "2" }, 404);
    for (const path of ["/head", "/head-etag", "/head-length", "/head-404"]) await get(path);

    const head = await get("/head", { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(head.cacheStatus, "diskcache; fwd=stale; fwd-status=200; stored");
    assert.equal(head.res.headers.get("x-a"), "2");
    assert.equal(head.res.headers.get("etag"), '"v1"');
    const after = await get("/head");
    assert.match(after.cacheStatus, /^diskcache; hit/, "fresh for 60 s now");
    assert.equal(after.body, "body");
    assert.equal(after.res.headers.get("x-a"), "2");
    assert.equal(server.requests.filter((r) => r.path === "/head" && r.method === "GET").length, 1);

    for (const path of ["/head-etag", "/head-length", "/head-404"]) {
      const other = await get(path, { method: "HEAD" });
      assert.equal(other.res.headers.get("x-a"), "2", `${path}: the HEAD's own answer`);
      assert.match(other.cacheStatus, path === "/head-404" ? /fwd=method/ : /^diskcache; fwd=stale; fwd-status=200$/);
      const again = await get(path);
      assert.doesNotMatch(again.cacheStatus, /hit/, `${path}: the stored GET was not freshened`);
      assert.equal(again.res.headers.get("x-a"), "1");
    }
  });

  it("cachedFetch() answers a stored response with the origin's Date, updated by a 304", async () => {
    server.routes.set("/date", (req, res) => {
      const date = new Date(Date.now() - (req.headers["if-none-match"] ? 0 : 3_600_000)).toUTCString();
      if (req.headers["if-none-match"]) return void res.writeHead(304, { etag: '"d"', date, "cache-control": "max-age=60" }).end();
      res.writeHead(200, { "cache-control": "no-cache", etag: '"d"', date }).end("dated");
    });
    const first = await get("/date");
    const stored = first.res.headers.get("date")!;
    const revalidated = await get("/date");
    assert.match(revalidated.cacheStatus, /fwd=stale; fwd-status=304/);
    assert.notEqual(revalidated.res.headers.get("date"), stored, "the 304's Date");
    const hit = await get("/date");
    assert.match(hit.cacheStatus, /hit/);
    assert.equal(hit.res.headers.get("date"), revalidated.res.headers.get("date"), "not the time of the answer");
    assert.ok(Number(hit.res.headers.get("age")) >= 0);
  });

  it("cachedFetch() answers one byte range of a stored 200 with a 206, and the whole body otherwise", async () => {
    server.routes.set("/range", (_q, res) => res.writeHead(200, { "cache-control": "max-age=600" }).end("0123456789"));
    server.routes.set("/range-404", (_q, res) => res.writeHead(404, { "cache-control": "max-age=600" }).end("nope"));
    await get("/range");
    await get("/range-404");
    const ranged = async (path: string, range: string, extra: Record<string, string> = {}, method = "GET") => {
      const r = await get(path, { method, headers: { range, ...extra } });
      return [r.status, r.body, r.res.headers.get("content-range"), r.res.headers.get("content-length")];
    };
    assert.deepEqual(await ranged("/range", "bytes=2-4"), [206, "234", "bytes 2-4/10", "3"]);
    assert.deepEqual(await ranged("/range", "bytes=7-"), [206, "789", "bytes 7-9/10", "3"]);
    assert.deepEqual(await ranged("/range", "bytes=-3"), [206, "789", "bytes 7-9/10", "3"]);
    assert.deepEqual(await ranged("/range", "bytes=8-99"), [206, "89", "bytes 8-9/10", "2"]);
    assert.deepEqual(await ranged("/range", "bytes=-20"), [206, "0123456789", "bytes 0-9/10", "10"]);
    // Ranges it does not answer get the whole body, as RFC 9110 allows.
    for (const range of ["bytes=-", "bytes=-0", "bytes=4-2", "bytes=0-1,4-5", "bytes=10-", "items=0-1"]) {
      assert.deepEqual((await ranged("/range", range)).slice(0, 3), [200, "0123456789", null], range);
    }
    assert.deepEqual((await ranged("/range", "bytes=0-1", { "if-range": '"x"' })).slice(0, 2), [200, "0123456789"]);
    assert.deepEqual((await ranged("/range", "bytes=0-1", {}, "HEAD")).slice(0, 2), [200, ""]);
    assert.deepEqual((await ranged("/range-404", "bytes=0-1")).slice(0, 2), [404, "nope"]);
    assert.equal(server.hits.get("/range"), 1);
    assert.equal(server.hits.get("/range-404"), 1);
  });

  it("cachedFetch() keeps a body up to maxInlineBody in its URL's row, also after a 304 updates it; 0 puts it in a value file", async () => {
    const body = "i".repeat(100 * 1024);
    server.routes.set("/inline", (req, res) => {
      if (req.headers["if-none-match"] === '"i"') return void res.writeHead(304, { etag: '"i"', "cache-control": "no-cache" }).end();
      res.writeHead(200, { "cache-control": "no-cache", etag: '"i"' }).end(body);
    });
    using fdir = tempDir();
    using own = new DiskCache(join(fdir.path, "c"), { minFileSize: 1024 });
    const f = cachedFetch(own);
    assert.equal((await get("/inline", undefined, f)).body, body);
    assert.deepEqual(valueFiles(fdir.path), [], "a 100 KiB body stays in the row by default");
    const again = await get("/inline", undefined, f); // revalidated: the 304 rewrites the URL's item
    assert.equal(again.cacheStatus, "diskcache; fwd=stale; fwd-status=304");
    assert.equal(again.body, body);
    assert.deepEqual(valueFiles(fdir.path), [], "still in the row after the 304's update");
    assert.deepEqual([...own.keys()].map(String).filter((k) => k.startsWith("fetch-body:")), [], "no body item of its own");
    const files = cachedFetch(own, { maxInlineBody: 0 });
    own.clear();
    assert.equal((await get("/inline", undefined, files)).body, body);
    assert.equal(valueFiles(fdir.path).length, 1, "maxInlineBody: 0 keeps bodies past minFileSize in value files");
    assert.equal((await get("/inline", undefined, files)).body, body);
  });

  it("cachedFetch() answers a byte range of a large stored body by streaming only up to its end", async () => {
    const size = 5 * 2 ** 20; // past the 4 MiB read whole and the 4 MiB chunk of a value file stream
    const body = new Uint8Array(size).map((_, i) => i % 251);
    server.routes.set("/big-range", (_q, res) => res.writeHead(200, { "cache-control": "max-age=600" }).end(body));
    assert.equal((await (await site.fetch(site.origin + "/big-range")).arrayBuffer()).byteLength, size);
    for (const [start, end] of [[0, 1], [4194300, 4194310], [4194400, 4194409], [size - 5, size - 1]] as const) {
      const res = await site.fetch(site.origin + "/big-range", { headers: { range: `bytes=${start}-${end}` } });
      assert.equal(res.status, 206);
      assert.equal(res.headers.get("content-range"), `bytes ${start}-${end}/${size}`);
      assert.deepEqual(new Uint8Array(await res.arrayBuffer()), body.subarray(start, end + 1), `${start}-${end}`);
    }
    const dropped = await site.fetch(site.origin + "/big-range", { headers: { range: "bytes=10-20" } });
    await dropped.body!.cancel();
    assert.equal(server.hits.get("/big-range"), 1);
  });

  it("cachedFetch() stores nothing of a body the caller cancels or that passes maxEntrySize", async () => {
    server.routes.set(
      "/cancel",
      (_q, res, n) => res.writeHead(200, { "cache-control": "max-age=600" }).end(new Uint8Array(200_000).fill(n)),
    );
    const before = valueFiles(site.cache.directory).length;
    const res = await site.fetch(site.origin + "/cancel");
    const reader = res.body!.getReader();
    await reader.read();
    await reader.cancel();
    assert.equal(valueFiles(site.cache.directory).length, before);
    assert.equal((await get("/cancel")).cacheStatus, "diskcache; fwd=uri-miss");
    const small = cachedFetch(site.cache, { maxEntrySize: 1000 });
    server.routes.set(
      "/toolarge",
      (_q, res, n) => res.writeHead(200, { "cache-control": "max-age=600" }).end("x".repeat(5000) + n),
    );
    assert.equal((await get("/toolarge", undefined, small)).body.length, 5001);
    assert.equal((await get("/toolarge", undefined, small)).body, "x".repeat(5000) + "2");
  });

  it("cachedFetch() works over a FanoutCache and a directory, and passes other methods through", async () => {
    using fdir = tempDir();
    using fanout = new FanoutCache(join(fdir.path, "fan"), { shards: 2 });
    const f = cachedFetch(fanout);
    server.routes.set(
      "/fan",
      (req, res, n) => res.writeHead(200, { "cache-control": "max-age=60" }).end(`${req.method} ${n}`),
    );
    assert.equal((await get("/fan", undefined, f)).body, "GET 1");
    assert.equal((await get("/fan", undefined, f)).body, "GET 1");
    const opts = await get("/fan", { method: "OPTIONS" }, f);
    assert.equal(opts.cacheStatus, "diskcache; fwd=method");
    const byDir = cachedFetch(join(fdir.path, "plain"));
    assert.equal((await get("/fan", undefined, byDir)).body, "GET 3");
    assert.equal((await get("/fan", undefined, byDir)).body, "GET 3");
  });

  it("cachedFetch() answers conditional requests from a fresh stored response, and stores a 204", async () => {
    const lastModified = new Date(Date.now() - 3600_000).toUTCString();
    server.routes.set(
      "/cond",
      (_q, res, n) =>
        res.writeHead(200, { "cache-control": "max-age=60", etag: 'W/"c1"', "last-modified": lastModified }).end(
          `c ${n}`,
        ),
    );
    await get("/cond");
    const cases: [Record<string, string>, number][] = [
      [{ "if-none-match": '"c1"' }, 304],
      [{ "if-none-match": '"x", W/"c1"' }, 304],
      [{ "if-none-match": "*" }, 304],
      [{ "if-none-match": '"other"' }, 200],
      [{ "if-modified-since": new Date().toUTCString() }, 304],
      [{ "if-modified-since": new Date(Date.now() - 7200_000).toUTCString() }, 200],
      [{ "if-modified-since": "not a date" }, 200],
    ];
    for (const [headers, expected] of cases) {
      const r = await get("/cond", { headers });
      assert.equal(r.status, expected, JSON.stringify(headers));
      if (expected === 304) assert.equal(r.res.headers.get("etag"), 'W/"c1"');
    }
    assert.equal(server.hits.get("/cond"), 1);
    server.routes.set("/noetag", (_q, res, n) => res.writeHead(200, { "cache-control": "max-age=60" }).end(`ne ${n}`));
    await get("/noetag");
    assert.equal((await get("/noetag", { headers: { "if-none-match": '"a"' } })).status, 200);
    assert.equal((await get("/noetag", { headers: { "if-modified-since": new Date().toUTCString() } })).status, 304);
    server.routes.set("/204", (_q, res) => res.writeHead(204, { "cache-control": "max-age=60" }).end());
    assert.equal((await get("/204")).cacheStatus, "diskcache; fwd=uri-miss; stored");
    const again = await get("/204");
    assert.equal(again.status, 204);
    assert.match(again.cacheStatus, /hit/);
  });

  it("cachedFetch() goes to the network when a stored body file is gone, and for a HEAD needing revalidation", async () => {
    using fdir = tempDir();
    using small = new DiskCache(join(fdir.path, "c"), { minFileSize: 1024 });
    const f = cachedFetch(small, { maxInlineBody: 0 }); // bodies past minFileSize in value files
    server.routes.set(
      "/gone",
      (_q, res, n) => res.writeHead(200, { "cache-control": "max-age=60" }).end("g".repeat(5000) + n),
    );
    server.routes.set("/gone-etag", (req, res, n) => {
      if (req.headers["if-none-match"] === '"g"') return void res.writeHead(304, { etag: '"g"' }).end();
      res.writeHead(200, { "cache-control": "no-cache", etag: '"g"' }).end("e".repeat(5000) + n);
    });
    await get("/gone", undefined, f);
    await get("/gone-etag", undefined, f);
    // Remove the body items, keeping the URL items (as eviction may).
    for (const key of [...small.keys()]) if (String(key).startsWith("fetch-body:")) small.delete(key as string);
    assert.equal((await get("/gone", undefined, f)).body.slice(-2), "g2");
    // No body to reuse: the request goes out once, unconditionally, and its answer is stored.
    assert.equal((await get("/gone-etag", undefined, f)).body.slice(-2), "e2");
    // A HEAD needing revalidation goes out; its 200 (the same ETag) updates the stored GET.
    const head = await get("/gone-etag", { method: "HEAD" }, f);
    assert.equal(head.cacheStatus, "diskcache; fwd=stale; fwd-status=200; stored");
  });

  it("cachedFetch() stores nothing of a body the server cuts off, and ignores a Location that is no URL", async () => {
    server.routes.set("/cut", (_q, res) => {
      res.writeHead(200, { "cache-control": "max-age=60", "content-length": "100000" });
      res.write(new Uint8Array(50_000));
      setTimeout(() => res.destroy(), 20);
    });
    const before = valueFiles(site.cache.directory).length;
    await assert.rejects(get("/cut"));
    assert.equal(valueFiles(site.cache.directory).length, before);
    assert.equal(site.cache.has("fetch:" + site.origin + "/cut"), false);
    server.routes.set("/badloc", (req, res) => {
      if (req.method === "POST") return void res.writeHead(201, { location: "http://[bad" }).end();
      res.writeHead(200, { "cache-control": "max-age=60" }).end("b");
    });
    await get("/badloc");
    await get("/badloc", { method: "POST", body: "x" });
    assert.equal((await get("/badloc")).cacheStatus, "diskcache; fwd=uri-miss");
  });

  it("cachedFetch() rejects a bad cache or options with a TypeError", () => {
    assert.throws(() => cachedFetch({} as DiskCache), /must be a DiskCache, a FanoutCache or a directory/);
    assert.throws(() => cachedFetch(null as unknown as DiskCache), TypeError);
    assert.throws(() => cachedFetch(site.cache, null as never), TypeError);
    assert.throws(() => cachedFetch(site.cache, { fetch: 1 as never }), /"fetch" must be a function/);
    assert.throws(() => cachedFetch(site.cache, { maxEntrySize: -1 }), /"maxEntrySize" must be a non-negative number/);
    assert.throws(() => cachedFetch(site.cache, { maxInlineBody: -1 }), /"maxInlineBody" must be a non-negative number/);
  });
});

describe("cachedFetch: upstream Cache-Status, fragments, redirects", () => {
  const site = cachedFetchSite();
  const { server } = site;

  it("keeps an upstream cache's Cache-Status entry before its own (RFC 9211 lists caches from the origin out)", async () => {
    server.routes.set("/upstream", (_q, res, n) => res.writeHead(200, { "cache-control": "max-age=60", "cache-status": "origin-proxy; hit" }).end(`up ${n}`));
    const first = await site.fetch(site.origin + "/upstream");
    assert.equal(await first.text(), "up 1");
    assert.equal(first.headers.get("cache-status"), "origin-proxy; hit, diskcache; fwd=uri-miss");
  });

  it("stores a URL without its fragment: two fragments of one URL are one entry", async () => {
    server.routes.set("/frag", (_q, res, n) => res.writeHead(200, { "cache-control": "max-age=60" }).end(`frag ${n}`));
    assert.equal(await (await site.fetch(site.origin + "/frag#one")).text(), "frag 1");
    const second = await site.fetch(site.origin + "/frag#two");
    assert.equal(await second.text(), "frag 1");
    assert.match(second.headers.get("cache-status") ?? "", /hit/);
    assert.equal(server.hits.get("/frag"), 1);
  });

  it("a followed redirect answers with the final URL and says it was redirected", async () => {
    server.routes.set("/from", (_q, res) => res.writeHead(302, { location: "/to" }).end());
    server.routes.set("/to", (_q, res, n) => res.writeHead(200, { "cache-control": "max-age=60" }).end(`to ${n}`));
    const res = await site.fetch(site.origin + "/from");
    assert.equal(await res.text(), "to 1");
    assert.equal(res.redirected, true);
    assert.equal(res.url, site.origin + "/to");
  });
  it("a stored redirect whose Location is no URL, or not HTTP(S), rejects with a TypeError saying which, as fetch would", async () => {
    const moved = (location: string) => (_q: unknown, res: ServerResponse) => void res.writeHead(301, { location, "cache-control": "max-age=60" }).end();
    server.routes.set("/badredirect", moved("http://[bad"));
    server.routes.set("/ftpredirect", moved("ftp://example.com/x"));
    for (const path of ["/badredirect", "/ftpredirect"]) {
      const manual = await site.fetch(site.origin + path, { redirect: "manual" });
      assert.equal(manual.status, 301);
      await manual.arrayBuffer(); // stored once its body is read
    }
    await assert.rejects(
      site.fetch(site.origin + "/badredirect"),
      (e: Error) => e instanceof TypeError && e.message === `Cannot follow the redirect of ${site.origin}/badredirect: its Location is no URL: "http://[bad"`,
    );
    await assert.rejects(site.fetch(site.origin + "/ftpredirect"), /its Location is not HTTP\(S\): "ftp:\/\/example.com\/x"/);
    assert.equal(server.hits.get("/badredirect"), 1, "answered from the cache");
  });
  it("stores a cacheable 204 (no body) and answers it, and a HEAD of it, from the cache", async () => {
    server.routes.set("/empty", (_q, res) => res.writeHead(204, { "cache-control": "max-age=60" }).end());
    const first = await site.fetch(site.origin + "/empty");
    assert.equal(first.status, 204);
    assert.equal(first.body, null);
    const second = await site.fetch(site.origin + "/empty");
    assert.equal(second.status, 204);
    assert.match(second.headers.get("cache-status") ?? "", /hit/);
    const head = await site.fetch(site.origin + "/empty", { method: "HEAD" });
    assert.equal(head.status, 204);
    assert.match(head.headers.get("cache-status") ?? "", /hit/);
    assert.equal(server.hits.get("/empty"), 1);
  });
});
