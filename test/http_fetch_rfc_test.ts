// cachedFetch against RFC 9111 / RFC 9110 and the fetch standard, one test per
// defect of issue 22 section 1: a real local server (a raw TCP one for status
// lines Node's server refuses to write), a real cache, on every row.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:net";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { DiskCache } from "../mod.ts";
import { cachedFetch } from "../http.ts";
import { openDescriptors, sleep, staleness, tempDir, until, valueFiles } from "./_helpers.ts";
import { holdLock, tickCounter, ticksPass } from "./_lock_holder.ts";
import { cachedFetchSite } from "./_http_server.ts";

/** A server answering every request with the same raw bytes: a status line Node's own server will not write. */
async function rawServer(head: Uint8Array, body: string): Promise<{ url: string; close(): Promise<void>; server: Server }> {
  const server = createServer((socket) => {
    socket.once("data", () => {
      socket.end(new Uint8Array([...head, ...new TextEncoder().encode(`\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`)]));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    server,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe("cachedFetch and the RFCs", () => {
  const site = cachedFetchSite({ minFileSize: 1024 });
  const { server, get } = site;
  const sent = (path: string) => server.requests.filter((r) => r.path === path);

  it("a fresh must-revalidate response is answered from the cache; once stale it is revalidated, even for max-stale (RFC 9111 5.2.2.2)", async () => {
    server.routes.set("/must-revalidate", (req, res) => {
      if (req.headers["if-none-match"] === '"mr"') return void res.writeHead(304, { etag: '"mr"', "cache-control": "max-age=1, must-revalidate" }).end();
      res.writeHead(200, { "cache-control": "max-age=1, must-revalidate", etag: '"mr"' }).end("mr body");
    });
    assert.equal((await get("/must-revalidate")).body, "mr body");
    const hit = await get("/must-revalidate");
    assert.equal(hit.body, "mr body");
    assert.equal(sent("/must-revalidate").length, 1, "fresh: answered without asking the origin");
    await sleep(2100); // past max-age=1
    const stale = await get("/must-revalidate", { headers: { "cache-control": "max-stale=3600" } });
    assert.equal(stale.body, "mr body");
    assert.equal(sent("/must-revalidate").length, 2, "stale: revalidated, though the request accepts a stale answer");
    assert.equal(sent("/must-revalidate").at(-1)!.headers["if-none-match"], '"mr"');
  });

  it("a bare 304 (no validator, RFC 9110 15.4.5) keeps the stored header fields, and the next request is conditional again", async () => {
    const lastModified = new Date(Date.now() - 3600_000).toUTCString();
    server.routes.set("/bare-304", (req, res) => {
      if (req.headers["if-modified-since"] === lastModified) return void res.writeHead(304).end();
      res.writeHead(200, { "cache-control": "no-cache", "last-modified": lastModified, "content-type": "text/x-bare" }).end("bare");
    });
    await get("/bare-304");
    for (let i = 0; i < 2; i++) {
      const again = await get("/bare-304");
      assert.equal(again.status, 200);
      assert.equal(again.body, "bare");
      assert.equal(again.res.headers.get("content-type"), "text/x-bare");
      assert.equal(again.res.headers.get("last-modified"), lastModified);
      assert.equal(sent("/bare-304").at(-1)!.headers["if-modified-since"], lastModified, "conditional again");
    }
  });

  it("a 304 that validates the client's own ETag, not the stored one, goes to the client and leaves the stored response alone (RFC 9111 4.3.4)", async () => {
    // The origin's representation was "Y" for the first request, "X" since.
    server.routes.set("/client-etag", (req, res, n) => {
      if (n === 1) return void res.writeHead(200, { "cache-control": "no-cache", etag: '"Y"' }).end("Y body");
      if ((req.headers["if-none-match"] ?? "").includes('"X"')) return void res.writeHead(304, { etag: '"X"' }).end();
      res.writeHead(200, { "cache-control": "no-cache", etag: '"X"' }).end("X body");
    });
    assert.equal((await get("/client-etag")).body, "Y body");
    const mine = await get("/client-etag", { headers: { "if-none-match": '"X"' } });
    assert.ok(mine.status === 304 || mine.body === "X body", `${mine.status} ${mine.body}: never Y's body labelled "X"`);
    if (mine.status === 304) assert.equal(mine.res.headers.get("etag"), '"X"');
    const plain = await get("/client-etag");
    assert.equal(plain.status, 200);
    assert.equal(plain.body, "X body");
    assert.equal(plain.res.headers.get("etag"), '"X"');
    const stored = await get("/client-etag");
    assert.equal(stored.body, "X body");
  });

  it("a 304 whose ETag matches the stored response updates it, and the client's own If-None-Match is then answered from it", async () => {
    server.routes.set("/both-etags", (req, res) => {
      if ((req.headers["if-none-match"] ?? "").includes('"S"')) return void res.writeHead(304, { etag: '"S"', "x-v": "2" }).end();
      res.writeHead(200, { "cache-control": "no-cache", etag: '"S"', "x-v": "1" }).end("S body");
    });
    await get("/both-etags");
    const other = await get("/both-etags", { headers: { "if-none-match": '"other"' } });
    assert.equal(other.status, 200, "the client's tag does not match the stored response");
    assert.equal(other.body, "S body");
    assert.equal(other.res.headers.get("x-v"), "2");
    const same = await get("/both-etags", { headers: { "if-none-match": '"S"' } });
    assert.equal(same.status, 304);
    assert.equal(same.body, "");
  });

  it("a stored redirect is followed for redirect: follow, refused for redirect: error, and answered raw for manual", async () => {
    server.routes.set("/moved", (_q, res) => res.writeHead(301, { location: "/moved-to", "cache-control": "max-age=60" }).end());
    server.routes.set("/moved-to", (_q, res, n) => res.writeHead(200, { "cache-control": "max-age=60" }).end(`target ${n}`));
    const manual = await get("/moved", { redirect: "manual" });
    assert.equal(manual.status, 301);
    const again = await get("/moved", { redirect: "manual" });
    assert.equal(again.status, 301);
    assert.match(again.cacheStatus, /hit/);
    const followed = await get("/moved");
    assert.equal(followed.status, 200);
    assert.equal(followed.body, "target 1");
    assert.equal(followed.res.redirected, true);
    assert.equal(followed.res.url, site.origin + "/moved-to");
    assert.equal((await get("/moved")).body, "target 1");
    await assert.rejects(get("/moved", { redirect: "error" }), TypeError);
    assert.equal(sent("/moved").length, 1);
    server.routes.set("/loop-a", (_q, res) => res.writeHead(301, { location: "/loop-b", "cache-control": "max-age=60" }).end());
    server.routes.set("/loop-b", (_q, res) => res.writeHead(301, { location: "/loop-a", "cache-control": "max-age=60" }).end());
    await get("/loop-a", { redirect: "manual" });
    await get("/loop-b", { redirect: "manual" });
    await assert.rejects(get("/loop-a"), /more than 20 redirects/);
  });

  it("a stored body streamed from its value file (past 4 MiB) is let go when a 304 answers instead, or a reload goes to the network", async () => {
    using fdir = tempDir();
    using small = new DiskCache(join(fdir.path, "c"), { minFileSize: 1024 });
    const f = cachedFetch(small, { maxInlineBody: 0 });
    const size = 5 * 2 ** 20;
    server.routes.set("/etag-file", (_q, res) => res.writeHead(200, { "cache-control": "max-age=60", etag: '"F"' }).end("f".repeat(size)));
    assert.equal((await get("/etag-file", undefined, f)).body.length, size);
    const open = () => openDescriptors((target) => target.startsWith(fdir.path) && target.endsWith(".val"));
    const same = await get("/etag-file", { headers: { "if-none-match": '"F"' } }, f);
    assert.equal(same.status, 304, "the client's own validator matches the stored response");
    assert.equal(same.body, "");
    assert.match(same.cacheStatus, /hit/);
    assert.ok(await until(() => open() === 0), "the stored body's file is closed");
    assert.equal(sent("/etag-file").length, 1);
    const reloaded = await get("/etag-file", { cache: "reload" }, f);
    assert.equal(reloaded.body.length, size);
    assert.equal(sent("/etag-file").length, 2, "reload goes to the network");
    assert.ok(await until(() => open() === 0), "the stored body it did not answer with is closed");
  });

  it("a stored response whose body file is gone costs one origin request, is stored again, and says so", async () => {
    using fdir = tempDir();
    using small = new DiskCache(join(fdir.path, "c"), { minFileSize: 1024 });
    const f = cachedFetch(small, { maxInlineBody: 0 });
    server.routes.set("/body-gone", (req, res, n) => {
      if (req.headers["if-none-match"] === '"g"') return void res.writeHead(304, { etag: '"g"' }).end();
      res.writeHead(200, { "cache-control": "no-cache", etag: '"g"' }).end("g".repeat(5000) + n);
    });
    await get("/body-gone", undefined, f);
    for (const key of [...small.keys()]) if (String(key).startsWith("fetch-body:")) small.delete(key as string);
    const refetched = await get("/body-gone", undefined, f);
    assert.equal(refetched.body.slice(-1), "2");
    assert.notEqual(refetched.cacheStatus, "");
    assert.equal(sent("/body-gone").length, 2, "one request, unconditional");
    assert.equal(sent("/body-gone")[1]!.headers["if-none-match"], undefined);
    const revalidated = await get("/body-gone", undefined, f);
    assert.equal(revalidated.body.slice(-1), "2");
    assert.match(revalidated.cacheStatus, /fwd-status=304/);
    assert.equal(sent("/body-gone").length, 3);
  });

  it("a 304 that extends a stored response extends its body file's life too", async () => {
    using fdir = tempDir();
    using small = new DiskCache(join(fdir.path, "c"), { minFileSize: 1024 });
    const f = cachedFetch(small, { maxInlineBody: 0, keepForRevalidation: 1000 });
    server.routes.set("/body-ttl", (req, res) => {
      if (req.headers["if-none-match"] === '"t"') return void res.writeHead(304, { etag: '"t"', "cache-control": "max-age=3600" }).end();
      res.writeHead(200, { "cache-control": "max-age=0", etag: '"t"' }).end("t".repeat(5000));
    });
    await get("/body-ttl", undefined, f);
    assert.match((await get("/body-ttl", undefined, f)).cacheStatus, /fwd-status=304/);
    await sleep(1500); // past the body's first life (keepForRevalidation), well within the 304's hour
    const hit = await get("/body-ttl", undefined, f);
    assert.match(hit.cacheStatus, /^diskcache; hit/);
    assert.equal(hit.body.length, 5000);
    assert.equal(sent("/body-ttl").length, 2);
  });

  it("a response kept only for revalidation (no freshness, a validator) is kept keepForRevalidation past each 304 that validates it, its body file too", async () => {
    using fdir = tempDir();
    using small = new DiskCache(join(fdir.path, "c"), { minFileSize: 1024 });
    const keep = 3_600_000;
    const f = cachedFetch(small, { maxInlineBody: 0, keepForRevalidation: keep });
    server.routes.set("/keep", (req, res) => {
      if (req.headers["if-none-match"] === '"k"') return void res.writeHead(304).end(); // bare: the stored fields stay
      res.writeHead(200, { "cache-control": "no-cache", etag: '"k"' }).end("k".repeat(5000));
    });
    assert.equal((await get("/keep", undefined, f)).body.length, 5000);
    const expiries = () => {
      const out: number[] = [];
      for (const key of small.keys()) out.push(small.getEntry(key as string)!.expireTime!);
      return out; // the response's record and its body file
    };
    const stored = expiries();
    assert.equal(stored.length, 2);
    // Once the clock has moved on from the store, a 304 starts a new keepForRevalidation.
    assert.ok(await until(() => Date.now() > Math.max(...stored) - keep));
    const before = Date.now();
    const revalidated = await get("/keep", undefined, f);
    assert.match(revalidated.cacheStatus, /fwd-status=304/);
    assert.equal(revalidated.body.length, 5000);
    for (const expiry of expiries()) assert.ok(expiry >= before + keep, `kept ${keep} ms from the 304 (expires ${expiry - before} ms after it)`);
  });

  it("a body cancelled while its end commits (another process holds the lock) leaves the response with its body, or nothing", async () => {
    using fdir = tempDir();
    using small = new DiskCache(join(fdir.path, "c"), { minFileSize: 1024, timeout: 60_000 });
    const f = cachedFetch(small, { maxInlineBody: 0 });
    const body = "b".repeat(64 * 1024);
    server.routes.set("/cancel-commit", (_q, res) => res.writeHead(200, { "cache-control": "max-age=60" }).end(body));
    const res = await f(site.origin + "/cancel-commit");
    const reader = res.body!.getReader();
    let read = 0;
    while (read < body.length) read += (await reader.read()).value!.byteLength;
    const counter = tickCounter();
    try {
      await using holder = await holdLock(small.directory);
      const end = reader.read(); // the last read: the body's end commits, and waits for the lock
      await ticksPass(counter, 20);
      const cancelled = reader.cancel();
      await holder.commit();
      await cancelled;
      await end;
    } finally {
      counter.stop();
    }
    const records = [...small.keys()].filter((k) => String(k).startsWith("fetch:"));
    if (records.length === 0) {
      assert.deepEqual(valueFiles(small.directory), [], "nothing stored: no orphan body");
    } else {
      const hit = await get("/cancel-commit", undefined, f);
      assert.match(hit.cacheStatus, /^diskcache; hit/, "stored: with its body");
      assert.equal(hit.body, body);
    }
  });

  for (const [label, size] of [["inline", 100], ["in a value file", 5000]] as const) {
    it(`a caller that zeroes the chunks it reads does not change the stored body (${label})`, async () => {
      const path = `/zero-${size}`;
      const body = "z".repeat(size);
      server.routes.set(path, (_q, res) => res.writeHead(200, { "cache-control": "max-age=60" }).end(body));
      const f = cachedFetch(site.cache, { maxInlineBody: 0 });
      const res = await f(site.origin + path);
      const reader = res.body!.getReader();
      for (let c = await reader.read(); !c.done; c = await reader.read()) c.value.fill(0);
      const hit = await get(path, undefined, f);
      assert.match(hit.cacheStatus, /hit/);
      assert.equal(hit.body, body);
    });
  }

  it("two Set-Cookie fields are replayed as two", async () => {
    server.routes.set("/cookies", (_q, res) => res.writeHead(200, { "cache-control": "max-age=60", "set-cookie": ["a=1", "b=2"] }).end("c"));
    const first = await site.fetch(site.origin + "/cookies");
    assert.deepEqual(first.headers.getSetCookie(), ["a=1", "b=2"]);
    await first.text();
    const hit = await site.fetch(site.origin + "/cookies");
    assert.match(hit.headers.get("cache-status")!, /hit/);
    assert.deepEqual(hit.headers.getSetCookie(), ["a=1", "b=2"]);
  });

  it('cache: "no-cache" revalidates a fresh stored response with the origin; "force-cache" and "reload" do as fetch says', async () => {
    server.routes.set("/mode-no-cache", (req, res, n) => {
      if (req.headers["if-none-match"] === '"m"') return void res.writeHead(304, { etag: '"m"' }).end();
      res.writeHead(200, { "cache-control": "max-age=600", etag: '"m"' }).end(`m ${n}`);
    });
    await get("/mode-no-cache");
    const revalidated = await get("/mode-no-cache", { cache: "no-cache" });
    assert.equal(revalidated.body, "m 1");
    assert.equal(sent("/mode-no-cache").length, 2);
    assert.equal(sent("/mode-no-cache")[1]!.headers["if-none-match"], '"m"');
    assert.match(revalidated.cacheStatus, /fwd-status=304/);
    server.routes.set("/mode-force-cache", (_q, res, n) => res.writeHead(200, { "cache-control": "max-age=0", etag: '"f"' }).end(`f ${n}`));
    await get("/mode-force-cache");
    const forced = await get("/mode-force-cache", { cache: "force-cache" });
    assert.equal(forced.body, "f 1", "force-cache takes a stale response as it is");
    assert.equal((await get("/mode-force-cache", { cache: "reload" })).body, "f 2");
  });

  it("an aborted signal rejects with an AbortError, also for a response the cache holds", async () => {
    server.routes.set("/aborted", (_q, res) => res.writeHead(200, { "cache-control": "max-age=60" }).end("a"));
    await get("/aborted");
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(site.fetch(site.origin + "/aborted", { signal: controller.signal }), { name: "AbortError" });
    await assert.rejects(site.fetch(site.origin + "/never-stored", { signal: controller.signal }), { name: "AbortError" });
  });

  it("a stored 404 is not answered 304 to If-Modified-Since (RFC 9110 13.2.1)", async () => {
    server.routes.set("/gone-404", (_q, res) => res.writeHead(404, { "cache-control": "max-age=60" }).end("nope"));
    await get("/gone-404");
    for (const headers of [{ "if-modified-since": new Date().toUTCString() }, { "if-none-match": "*" }]) {
      const r = await get("/gone-404", { headers });
      assert.equal(r.status, 404);
      assert.equal(r.body, "nope");
    }
    assert.equal(sent("/gone-404").length, 1);
  });

  it("a status outside 200-599 is answered as fetch answers it", async () => {
    await using raw = {
      ...(await rawServer(new TextEncoder().encode("HTTP/1.1 999 Odd\r\ncache-control: max-age=60"), "odd")),
      [Symbol.asyncDispose]() {
        return this.close();
      },
    };
    const res = await site.fetch(raw.url);
    assert.equal(res.status, 999);
    assert.equal(await res.text(), "odd");
  });

  it("a UTF-8 reason phrase is answered as fetch answers it, also from the cache", async () => {
    const head = new Uint8Array([
      ...new TextEncoder().encode("HTTP/1.1 200 "),
      ...new TextEncoder().encode("Öffnen ✓"),
      ...new TextEncoder().encode("\r\ncache-control: max-age=60"),
    ]);
    await using raw = {
      ...(await rawServer(head, "utf")),
      [Symbol.asyncDispose]() {
        return this.close();
      },
    };
    const plain = await globalThis.fetch(raw.url);
    await plain.text();
    const res = await site.fetch(raw.url);
    assert.equal(res.statusText, plain.statusText);
    assert.equal(await res.text(), "utf");
    const hit = await site.fetch(raw.url);
    assert.match(hit.headers.get("cache-status")!, /hit/);
    assert.equal(hit.statusText, plain.statusText);
    assert.equal(await hit.text(), "utf");
  });

  it("a stale-while-revalidate revalidation survives the caller aborting its own signal", async () => {
    server.routes.set("/swr-abort", (_q, res, n) => {
      const reply = () => res.writeHead(200, { "cache-control": "max-age=1, stale-while-revalidate=60" }).end(`swr ${n}`);
      if (n === 1) reply();
      else setTimeout(reply, 50);
    });
    await get("/swr-abort");
    await staleness();
    const controller = new AbortController();
    const stale = await get("/swr-abort", { signal: controller.signal });
    assert.equal(stale.body, "swr 1");
    controller.abort();
    await site.fetch.settled();
    assert.equal((await get("/swr-abort")).body, "swr 2");
  });

  it("a HEAD answered stale-while-revalidate revalidates the stored GET in the background", async () => {
    server.routes.set("/swr-head", (req, res, n) => {
      res.writeHead(200, { "cache-control": "max-age=1, stale-while-revalidate=60" }).end(req.method === "HEAD" ? undefined : `swr ${n}`);
    });
    await get("/swr-head");
    await staleness();
    const head = await get("/swr-head", { method: "HEAD" });
    assert.match(head.cacheStatus, /^diskcache; hit; ttl=-/);
    await site.fetch.settled();
    assert.deepEqual(sent("/swr-head").map((r) => r.method), ["GET", "GET"]);
    const after = await get("/swr-head");
    assert.equal(after.body, "swr 2");
    assert.match(after.cacheStatus, /^diskcache; hit/);
  });

  it("Cache-Status says stored only for a response that was stored", async () => {
    server.routes.set("/unread", (_q, res, n) => res.writeHead(200, { "cache-control": "max-age=60" }).end(`unread ${n}`));
    const unread = await site.fetch(site.origin + "/unread");
    assert.doesNotMatch(unread.headers.get("cache-status")!, /stored/);
    await unread.body!.cancel();
    const next = await get("/unread");
    assert.equal(next.body, "unread 2", "the first was never stored");
    server.routes.set("/no-body", (_q, res) => res.writeHead(204, { "cache-control": "max-age=60" }).end());
    assert.match((await get("/no-body")).cacheStatus, /; stored$/, "a response without a body is stored before the answer");
  });
});
