// A local HTTP server for the HTTP caching tests: one handler per path,
// and a record of the requests it saw.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before } from "node:test";
import { DiskCache, type DiskCacheOptions } from "../mod.ts";
import { type CachedFetch, cachedFetch, type FetchLike } from "../http.ts";
import { tempDir } from "./_temp.ts";

export type Handler = (req: IncomingMessage, res: ServerResponse, hit: number) => void;

/** A local server: one handler per path, and a count of requests per path. */
export class TestServer {
  server: Server;
  routes = new Map<string, Handler>();
  hits = new Map<string, number>();
  requests: { path: string; method: string; headers: IncomingMessage["headers"] }[] = [];
  constructor() {
    this.server = createServer((req, res) => {
      const path = req.url ?? "/";
      const n = (this.hits.get(path) ?? 0) + 1;
      this.hits.set(path, n);
      this.requests.push({ path, method: req.method ?? "GET", headers: req.headers });
      const handler = this.routes.get(path);
      if (!handler) {
        res.writeHead(404).end();
        return;
      }
      handler(req, res, n);
    });
  }
  listen(): Promise<string> {
    return new Promise((resolve) => {
      this.server.listen(
        0,
        "127.0.0.1",
        () => resolve(`http://127.0.0.1:${(this.server.address() as AddressInfo).port}`),
      );
    });
  }
  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * A handler answering `size` bytes of `chunk` repeated (`size` a multiple of
 * its length), fresh for ten minutes, written as the client takes them
 * (waiting for "drain"), so that a large body is never whole in memory.
 */
export function streamedBody(size: number, chunk: Uint8Array): Handler {
  return (_q, res) => {
    res.writeHead(200, { "cache-control": "max-age=600", "content-length": String(size) });
    let sent = 0;
    const pump = () => {
      while (sent < size) {
        sent += chunk.length;
        if (!res.write(chunk)) return void res.once("drain", pump);
      }
      res.end();
    };
    pump();
  };
}

/** A {@linkcode TestServer} and a cachedFetch over a DiskCache of its own, as {@linkcode cachedFetchSite} sets them up. */
export interface CachedFetchSite {
  server: TestServer;
  /** The server's origin (`http://127.0.0.1:port`), once its tests run. */
  origin: string;
  /** The cache, in a temporary directory, once its tests run. */
  cache: DiskCache;
  /** cachedFetch over `cache`, once its tests run. */
  fetch: CachedFetch;
  /** Fetches `path` of the server (through `via`: `fetch` unless given); its status, Cache-Status, body and the response. */
  get(path: string, init?: RequestInit, via?: FetchLike): Promise<{ status: number; cacheStatus: string; body: string; res: Response }>;
}

/**
 * A local server and cachedFetch over a DiskCache (opened with `options`)
 * in a temporary directory, for the tests of one describe: call it in the
 * describe's body; it starts them before those tests and closes them after
 * (node:test hooks belong to the describe they are registered in).
 */
export function cachedFetchSite(options: DiskCacheOptions = {}): CachedFetchSite {
  const server = new TestServer();
  const dir = tempDir();
  const site: CachedFetchSite = {
    server,
    origin: "",
    cache: undefined as unknown as DiskCache,
    fetch: undefined as unknown as CachedFetch,
    async get(path, init, via = site.fetch) {
      const res = await via(site.origin + path, init);
      return { status: res.status, cacheStatus: res.headers.get("cache-status") ?? "", body: await res.text(), res };
    },
  };
  before(async () => {
    site.origin = await server.listen();
    site.cache = new DiskCache(join(dir.path, "cache"), options);
    site.fetch = cachedFetch(site.cache);
  });
  after(async () => {
    site.cache?.close();
    await server.close();
    dir[Symbol.dispose]();
  });
  return site;
}
