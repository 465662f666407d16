// DiskCacheStore end to end under undici's cache interceptor (undici 8 on
// Node 24, undici 7 on Node 20) against a real local HTTP server.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { DiskCacheStore } from "../http.ts";
import { repoRoot, run, sleep, staleness, tempDir } from "./_helpers.ts";
import { streamedBody, TestServer } from "./_http_server.ts";
import { notNode, type Undici, undici } from "./_undici.ts";
import { existsSync } from "node:fs";
import { join } from "node:path";

const skip = notNode ? `undici's cache interceptor is Node's fetch machinery; on ${notNode} use cachedFetch (test/http_fetch_test.ts)` : false;

describe("DiskCacheStore under undici's cache interceptor", { skip }, () => {
  const server = new TestServer();
  let origin = "";
  const dir = tempDir();
  let store: DiskCacheStore;
  let shared: ReturnType<Undici["Agent"]["prototype"]["compose"]>;
  let privateAgent: ReturnType<Undici["Agent"]["prototype"]["compose"]>;
  before(async () => {
    origin = await server.listen();
    store = new DiskCacheStore(join(dir.path, "cache"), { minFileSize: 1024 });
    shared = new undici!.Agent().compose(undici!.interceptors.cache({ store }));
    privateAgent = new undici!.Agent().compose(undici!.interceptors.cache({ store, type: "private" }));
  });
  after(async () => {
    await shared?.close();
    await privateAgent?.close();
    store?.close();
    await server.close();
    dir[Symbol.dispose]();
  });

  async function get(
    path: string,
    options: { headers?: Record<string, string>; method?: string; via?: typeof shared } = {},
  ) {
    const res = await undici!.request(origin + path, {
      dispatcher: options.via ?? shared,
      method: (options.method ?? "GET") as "GET",
      headers: options.headers ?? {},
    });
    return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
  }

  it("serves a fresh response from the store without asking the server", async () => {
    server.routes.set(
      "/fresh",
      (_q, res, n) => res.writeHead(200, { "cache-control": "max-age=60" }).end(`fresh ${n}`),
    );
    assert.equal((await get("/fresh")).body, "fresh 1");
    assert.equal((await get("/fresh")).body, "fresh 1");
    assert.equal(server.hits.get("/fresh"), 1);
  });

  it("revalidates with If-None-Match and serves the stored body on 304", async () => {
    server.routes.set("/etag", (req, res, n) => {
      if (req.headers["if-none-match"] === '"v1"') return void res.writeHead(304, { etag: '"v1"' }).end();
      res.writeHead(200, { "cache-control": "no-cache", etag: '"v1"' }).end(`etag ${n}`);
    });
    assert.equal((await get("/etag")).body, "etag 1");
    const second = await get("/etag");
    assert.equal(second.status, 200);
    assert.equal(second.body, "etag 1");
    assert.equal(server.hits.get("/etag"), 2);
    assert.equal(server.requests.at(-1)!.headers["if-none-match"], '"v1"');
  });

  it("revalidates with If-Modified-Since and serves the stored body on 304", async () => {
    const lastModified = new Date(Date.now() - 3600_000).toUTCString();
    server.routes.set("/lm", (req, res, n) => {
      if (req.headers["if-modified-since"] === lastModified) return void res.writeHead(304).end();
      res.writeHead(200, { "cache-control": "max-age=0, must-revalidate", "last-modified": lastModified }).end(
        `lm ${n}`,
      );
    });
    assert.equal((await get("/lm")).body, "lm 1");
    assert.equal((await get("/lm")).body, "lm 1");
    assert.equal(server.hits.get("/lm"), 2);
    assert.equal(server.requests.at(-1)!.headers["if-modified-since"], lastModified);
  });

  // The scenarios of http_fetch_test.ts again, on purpose: both front ends are held to the same behaviour.
  it("keeps one response per Vary selection", async () => {
    server.routes.set(
      "/vary",
      (req, res) =>
        res.writeHead(200, { "cache-control": "max-age=60", vary: "accept-language" })
          .end(`lang ${req.headers["accept-language"]}`),
    );
    for (const lang of ["en", "fr", "en", "fr"]) {
      assert.equal((await get("/vary", { headers: { "accept-language": lang } })).body, `lang ${lang}`);
    }
    assert.equal(server.hits.get("/vary"), 2);
  });

  it("does not store no-store responses", async () => {
    server.routes.set("/nostore", (_q, res, n) => res.writeHead(200, { "cache-control": "no-store" }).end(`n ${n}`));
    await get("/nostore");
    assert.equal((await get("/nostore")).body, "n 2");
  });

  it("stores private responses only in a private cache", async () => {
    server.routes.set(
      "/private",
      (_q, res, n) => res.writeHead(200, { "cache-control": "private, max-age=60" }).end(`p ${n}`),
    );
    await get("/private");
    assert.equal((await get("/private")).body, "p 2", "a shared cache does not store it");
    assert.equal((await get("/private", { via: privateAgent })).body, "p 3");
    assert.equal((await get("/private", { via: privateAgent })).body, "p 3", "a private cache does");
  });

  it("serves stale-while-revalidate at once and revalidates in the background", async () => {
    let revalidated!: () => void;
    const seen = new Promise<void>((r) => revalidated = r);
    server.routes.set("/swr", (_q, res, n) => {
      res.writeHead(200, { "cache-control": "max-age=1, stale-while-revalidate=60" }).end(`swr ${n}`);
      if (n === 2) revalidated();
    });
    assert.equal((await get("/swr")).body, "swr 1");
    await staleness();
    assert.equal((await get("/swr")).body, "swr 1", "served stale");
    await seen;
    let body = "swr 1";
    for (let i = 0; i < 1000 && body === "swr 1"; i++) {
      await sleep(10);
      body = (await get("/swr")).body;
    }
    assert.match(body, /^swr [2-9]/, "the background revalidation was stored");
  });

  it("serves a stale response when the server errors within stale-if-error", async () => {
    server.routes.set("/sie", (_q, res, n) => {
      if (n > 1) return void res.writeHead(500).end("down");
      res.writeHead(200, { "cache-control": "max-age=1, stale-if-error=60" }).end("sie 1");
    });
    assert.equal((await get("/sie")).body, "sie 1");
    await staleness();
    const second = await get("/sie");
    assert.equal(second.body, "sie 1");
    assert.equal(server.hits.get("/sie"), 2);
  });

  it("invalidates the stored response on an unsafe method", async () => {
    server.routes.set("/inv", (req, res, n) => {
      if (req.method === "POST") return void res.writeHead(204).end();
      res.writeHead(200, { "cache-control": "max-age=60" }).end(`inv ${n}`);
    });
    assert.equal((await get("/inv")).body, "inv 1");
    assert.equal((await get("/inv")).body, "inv 1");
    await get("/inv", { method: "POST" });
    assert.equal((await get("/inv")).body, "inv 3");
  });

  it("streams a 100 MB body into the store and back out with bounded memory (in a subprocess)", async () => {
    const size = 100 * 2 ** 20;
    const chunk = Buffer.alloc(2 ** 20, 0x61);
    server.routes.set("/big", streamedBody(size, chunk));
    const worker = fixture();
    const r = await run(worker.cmd, [...worker.args, "big", join(dir.path, "big"), origin + "/big"]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split("\n").at(-1)!) as {
      results: { status: number; length: number; first: number }[];
      rssGrowth: number;
    };
    assert.deepEqual(out.results, [{ status: 200, length: size, first: 0x61 }, {
      status: 200,
      length: size,
      first: 0x61,
    }]);
    assert.equal(server.hits.get("/big"), 1, "the second read came from the store");
    // Measured: about 40 MB whatever the body size (10, 100 or 300 MB); a
    // body buffered whole would add at least its own 100 MB.
    assert.ok(out.rssGrowth < 80 * 2 ** 20, `RSS grew by ${(out.rssGrowth / 2 ** 20).toFixed(1)} MB for a 100 MB body`);
  });

  it("shares one store directory between two processes", async () => {
    server.routes.set("/two", (_q, res, n) => res.writeHead(200, { "cache-control": "max-age=600" }).end(`two ${n}`));
    const worker = fixture();
    const shared = join(dir.path, "two");
    const first = await run(worker.cmd, [...worker.args, "fetch", shared, origin + "/two"]);
    assert.equal(first.code, 0, first.stderr);
    // This process, on the same directory, reads what the other one stored.
    using here = new DiskCacheStore(shared);
    const agent = new undici!.Agent().compose(undici!.interceptors.cache({ store: here }));
    const res = await undici!.request(origin + "/two", { dispatcher: agent });
    assert.equal(await res.body.text(), "two 1");
    await agent.close();
    const again = await run(worker.cmd, [...worker.args, "fetch", shared, origin + "/two"]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(server.hits.get("/two"), 1);
  });
});

// Each undici this Node runs: 8 and 7 on Node 24, 7 on Node 20 (undici 8 needs Node 22.19).
const undicis: [string, Undici][] = notNode
  ? []
  : process.versions.node.startsWith("20.")
  ? [["undici 7", undici!]]
  : [["undici 8", undici!], ["undici 7", await import("undici7") as unknown as Undici]];

for (const [name, u] of undicis) {
  describe(`DiskCacheStore under ${name}'s cache interceptor, back to back`, () => {
    // undici's cache handler ends the store's write stream and tells the
    // client the body ended in the same turn: what the store commits later
    // than end(), the client's next request does not find.
    for (const size of [1000, 1024 * 1024 + 1, 6 * 1024 * 1024]) {
      it(`a ${size}-byte body read to the end is found by the next request (one origin request, as MemoryCacheStore)`, async () => {
        const server = new TestServer();
        const origin = await server.listen();
        using dir = tempDir();
        const stores = { disk: new DiskCacheStore(dir.path), memory: new u.cacheStores.MemoryCacheStore({ maxEntrySize: 64 << 20 }) };
        try {
          server.routes.set("/b2b", (_q, res) => res.writeHead(200, { "cache-control": "max-age=600" }).end(Buffer.alloc(size, 7)));
          for (const [which, store] of Object.entries(stores)) {
            server.hits.clear();
            const agent = new u.Agent().compose(u.interceptors.cache({ store }));
            for (let i = 0; i < 3; i++) {
              const res = await u.request(origin + "/b2b", { dispatcher: agent });
              assert.equal((await res.body.arrayBuffer()).byteLength, size);
            }
            await agent.close();
            assert.equal(server.hits.get("/b2b"), 1, `${which}: the origin saw one request`);
            store.delete({ origin, method: "GET", path: "/b2b", headers: {} });
          }
          // Through fetch too (the way Node's global fetch uses the store).
          server.hits.clear();
          const agent = new u.Agent().compose(u.interceptors.cache({ store: stores.disk }));
          for (let i = 0; i < 3; i++) {
            const res = await u.fetch(origin + "/b2b", { dispatcher: agent });
            assert.equal((await res.arrayBuffer()).byteLength, size);
          }
          await agent.close();
          assert.equal(server.hits.get("/b2b"), 1, "fetch: the origin saw one request");
        } finally {
          stores.disk.close();
          await server.close();
        }
      });
    }
  });
}

/** The worker fixture for this Node: the .ts source on Node 24, the build on Node 20. */
function fixture(): { cmd: string; args: string[] } {
  const built = join(repoRoot, "dist", "test", "fixtures", "http_worker.js");
  if (process.versions.node.startsWith("20.") && existsSync(built)) {
    return { cmd: process.execPath, args: ["--expose-gc", built] };
  }
  return {
    cmd: process.execPath,
    args: ["--no-warnings", "--expose-gc", join(repoRoot, "test", "fixtures", "http_worker.ts")],
  };
}
