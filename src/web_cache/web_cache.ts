/**
 * {@linkcode WebCache}: one named cache of the Web Cache API (the Service
 * Worker spec's `Cache`), stored in a DiskCache. Open one with
 * `DiskCacheStorage.open(name)`.
 *
 * @module
 */
import type { DiskCache } from "../disk_cache.ts";
import { describe } from "../errors.ts";
import {
  bodyKey,
  cacheTag,
  comparableUrl,
  currentCacheId,
  decodeRecord,
  encodeRecord,
  type Entry,
  NAMES,
  nextSeq,
  pathKey,
  type Query,
  type QueryOptions,
  readIds,
  recordKey,
  recordPrefix,
  requestMatches,
  toQuery,
  varyFields,
} from "./_entries.ts";

/**
 * The options of {@linkcode WebCache.match}, `matchAll`, `delete` and `keys`
 * (the spec's `CacheQueryOptions`).
 *
 * @example Match whatever the query string
 * ```ts
 * import { rmSync } from "node:fs";
 * import assert from "node:assert/strict";
 * import { DiskCacheStorage, type WebCacheQueryOptions } from "@diskcache/diskcache/web-cache";
 * using storage = new DiskCacheStorage();
 * const cache = await storage.open("pages");
 * await cache.put("https://example.com/a?x=1", new Response("a"));
 * const options: WebCacheQueryOptions = { ignoreSearch: true };
 * assert.equal(await (await cache.match("https://example.com/a", options))?.text(), "a");
 * rmSync(storage.cache.directory, { recursive: true, force: true }); // the example's temporary directory
 * ```
 */
export interface WebCacheQueryOptions {
  /**
   * Compare URLs without their query string.
   *
   * @default {false}
   */
  ignoreSearch?: boolean;
  /**
   * Match a request of any method (stored requests are all `GET`); without
   * it a non-GET request matches nothing.
   *
   * @default {false}
   */
  ignoreMethod?: boolean;
  /**
   * Ignore the stored response's `Vary` header.
   *
   * @default {false}
   */
  ignoreVary?: boolean;
}

/** A request as the Cache API takes one: a `Request`, or a URL. */
export type WebCacheRequest = Request | string | URL;

/** What a `WebCache` needs from its storage. */
export interface WebCacheContext {
  cache: DiskCache;
  /** The cache was opened with `readonly: true`: queries write nothing. */
  readonly: boolean;
  fetch: (request: Request) => Promise<Response>;
}

/** A put staged: its body written (or held), waiting for the commit. */
interface Staged {
  request: Request;
  entry: Omit<Entry, "seq">;
  /** The bytes of a body below `minFileSize`, written at the commit. */
  inline?: Uint8Array;
}

/** Bodies written by `setStream` carry this ttl until their commit makes them permanent: an orphan (a process killed between the two) expires. */
const STAGED_TTL = 24 * 3600 * 1000;

/**
 * Bodies shorter than this (or than `minFileSize`, if larger) are read into
 * memory and written in the commit's transaction (in the row below
 * `minFileSize`, else in a value file), and read back whole on a hit: for
 * them `setStream`'s and `getStream`'s asynchronous file I/O costs more than
 * it saves (a 100 KiB put took twice as long, a hit up to 8x). Longer bodies
 * stream both ways and are never held whole.
 */
const BUFFER_BELOW = 1 << 20;

/**
 * Bodies up to this size are kept in their URL's row, as long as the row's
 * bodies stay {@linkcode ROW_HEADROOM} below the cache's `minFileSize` (so
 * the row stays in SQLite, and a hit on one variant reads little of the
 * others'): a hit then reads one row instead of two.
 */
const ROW_BODY_MAX = 16 * 1024;
/** Room left in a URL's row for the entries' JSON (URL, headers) beside its bodies. */
const ROW_HEADROOM = 8 * 1024;

/**
 * The `Headers` of the stored response headers seen last, by their content
 * (each name and value after its length, so that no two lists share a key,
 * whatever a row holds): a `Response` made with a `Headers` copies its list,
 * which costs half as much as checking the pairs again (Deno, Bun), and
 * responses stored again (a put replacing an entry) mostly keep their
 * headers. At most {@linkcode HEADERS_MEMO} lists of at most
 * {@linkcode HEADERS_MEMO_CHARS} characters, emptied when full. Never
 * handed out: each `Response` has its own copy.
 */
const responseHeaders = new Map<string, Headers>();
const HEADERS_MEMO = 1024;
const HEADERS_MEMO_CHARS = 4096;
function headersOf(pairs: [string, string][]): Headers {
  let key = "";
  for (const [n, v] of pairs) key += `${n.length}:${n}${v.length}:${v}`;
  let h = responseHeaders.get(key);
  if (h === undefined) {
    h = new Headers(pairs);
    if (key.length <= HEADERS_MEMO_CHARS) {
      if (responseHeaders.size >= HEADERS_MEMO) responseHeaders.clear();
      responseHeaders.set(key, h);
    }
  }
  return h;
}

/**
 * The first item of a path's list of URLs made when the path had no list
 * (see `WebCache.#write`): other URLs of the path may have rows. Not a URL,
 * so a 0.2.0 process reading the list finds no row for it.
 */
const PARTIAL = "\u0000partial";

/** The bytes of the bodies kept in a URL's row. */
function inlineBytes(entries: Entry[]): number {
  let n = 0;
  for (const e of entries) if (e.inline) n += e.size;
  return n;
}

let creating = false;

/** Answers a new {@linkcode WebCache} over the cache named `name`, of id `id` (for `DiskCacheStorage`). */
export function createWebCache(context: WebCacheContext, name: string, id: string): WebCache {
  creating = true;
  try {
    return new WebCache(context, name, id);
  } finally {
    creating = false;
  }
}

/**
 * One named cache of the Web Cache API on disk: `match`, `matchAll`, `add`,
 * `addAll`, `put`, `delete`, `keys`, as the Service Worker spec defines
 * them, with the runtime's own `Request` and `Response`. Entries live in the
 * storage's DiskCache, shared with every process that opens its directory.
 * Get one from `DiskCacheStorage.open(name)`.
 *
 * A response answered from the cache is a new `Response` whose body streams
 * from disk; its `type`, `url` and `redirected` are those of the response
 * stored (set on the object itself, so a `clone()` of it has the defaults).
 *
 * @example Store and match
 * ```ts
 * import { rmSync } from "node:fs";
 * import assert from "node:assert/strict";
 * import { DiskCacheStorage } from "@diskcache/diskcache/web-cache";
 * using storage = new DiskCacheStorage();
 * const cache = await storage.open("v1");
 * await cache.put("https://example.com/", new Response("hello", { headers: { "content-type": "text/plain" } }));
 * const hit = await cache.match("https://example.com/");
 * assert.equal(await hit?.text(), "hello");
 * assert.equal(hit?.headers.get("content-type"), "text/plain");
 * assert.equal(await cache.match("https://example.com/other"), undefined);
 * rmSync(storage.cache.directory, { recursive: true, force: true }); // the example's temporary directory
 * ```
 */
export class WebCache {
  #context: WebCacheContext;
  #name: string;
  #id: string;

  /**
   * Not for direct use: `DiskCacheStorage.open(name)` answers a `WebCache`.
   *
   * @param context The storage's cache and fetch.
   * @param name The cache's name in the storage.
   * @param id The cache's id in row keys (see `_entries.ts`).
   */
  constructor(context: WebCacheContext, name: string, id: string) {
    if (!creating) throw new TypeError("Cannot construct WebCache directly: use `await storage.open(name)` of a DiskCacheStorage");
    this.#context = context;
    this.#name = name;
    this.#id = id;
  }

  /**
   * The first stored response whose request matches `request`, or
   * `undefined`.
   *
   * @param request A `Request` or a URL.
   * @param options Query options.
   * @returns A new `Response`, or `undefined`.
   *
   * @example A miss, then a hit
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { DiskCacheStorage } from "@diskcache/diskcache/web-cache";
   * using storage = new DiskCacheStorage();
   * const cache = await storage.open("v1");
   * assert.equal(await cache.match("https://example.com/"), undefined);
   * await cache.put("https://example.com/", new Response("x"));
   * assert.equal((await cache.match(new Request("https://example.com/")))?.status, 200);
   * rmSync(storage.cache.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  async match(request: WebCacheRequest, options?: WebCacheQueryOptions): Promise<Response | undefined> {
    const r = queryRequest(request, "match");
    const opts = queryOptions(options, "match");
    if (r === undefined || (r.method !== "GET" && !opts.ignoreMethod)) return undefined;
    const out = this.#answer(r, opts, true);
    return (Array.isArray(out) ? out : await out)[0];
  }

  /**
   * Every stored response whose request matches `request` (all of them
   * without one), in insertion order.
   *
   * @param request A `Request` or a URL; omitted, every entry.
   * @param options Query options.
   * @returns New `Response`s.
   *
   * @example Two variants of one URL
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { DiskCacheStorage } from "@diskcache/diskcache/web-cache";
   * using storage = new DiskCacheStorage();
   * const cache = await storage.open("v1");
   * await cache.put("https://example.com/?page=1", new Response("1"));
   * await cache.put("https://example.com/?page=2", new Response("2"));
   * const all = await cache.matchAll("https://example.com/", { ignoreSearch: true });
   * assert.deepEqual(await Promise.all(all.map((r) => r.text())), ["1", "2"]);
   * rmSync(storage.cache.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  async matchAll(request?: WebCacheRequest, options?: WebCacheQueryOptions): Promise<Response[]> {
    const r = queryRequest(request, "matchAll");
    const opts = queryOptions(options, "matchAll");
    if (r !== undefined && r.method !== "GET" && !opts.ignoreMethod) return [];
    return await this.#answer(r, opts, false);
  }

  /**
   * Fetches `request` and stores the response; rejects with a `TypeError`
   * (storing nothing) when the response is not ok (status 200-299), is a
   * 206, or has `Vary: *`.
   *
   * @param request A `Request` or a URL (http or https, GET).
   * @returns Once stored.
   *
   * @example Fetch into the cache
   * ```ts ignore
   * const cache = await storage.open("v1");
   * await cache.add("https://example.com/");
   * ```
   */
  async add(request: WebCacheRequest): Promise<void> {
    await this.addAll([request]);
  }

  /**
   * Fetches every request, then stores every response in one transaction:
   * if any fetch fails or any response is refused (as by `add`), nothing is
   * stored. Two requests of the batch that match each other reject it with
   * an `InvalidStateError` `DOMException`.
   *
   * @param requests `Request`s or URLs (http or https, GET).
   * @returns Once all are stored.
   *
   * @example Fetch a page and its script together
   * ```ts ignore
   * const cache = await storage.open("v1");
   * await cache.addAll(["https://example.com/", "https://example.com/app.js"]);
   * ```
   */
  async addAll(requests: Iterable<WebCacheRequest>): Promise<void> {
    if (requests === null || typeof (requests as Iterable<unknown>)?.[Symbol.iterator] !== "function") {
      throw new TypeError(`Cannot addAll: "requests" must be an iterable of Requests or URLs: received ${describe(requests)}`);
    }
    const list = [...requests].map((r) => {
      const req = putRequest(r, "addAll");
      if (req.method !== "GET") throw new TypeError(`Cannot addAll: the Cache API stores GET requests only: received ${req.method} ${req.url}`);
      return req;
    });
    const controller = new AbortController();
    const responses = await Promise.all(list.map(async (req) => {
      const res = await this.#context.fetch(new Request(req.url, { headers: req.headers, signal: controller.signal }));
      if (!isResponse(res)) throw new TypeError(`Cannot addAll: fetch answered ${describe(res)} for ${req.url}, not a Response`);
      if (res.type === "error" || res.status < 200 || res.status > 299 || res.status === 206) {
        throw new TypeError(`Cannot addAll: ${req.url} answered status ${res.status}; only ok responses (200-299 but 206) are stored`);
      }
      checkResponse(res, "addAll");
      return res;
    })).catch((error) => {
      controller.abort(error);
      throw error;
    });
    await this.#putAll(list.map((req, i) => [req, responses[i]!]));
  }

  /**
   * Stores `response` for `request`, replacing the entries that request
   * matches. The body is read to its end (into a value file when it reaches
   * the cache's `minFileSize`, never held whole in memory); a body that
   * errors stores nothing. Refuses with a `TypeError` a non-GET request, a
   * URL that is not http(s), a 206 response, `Vary: *`, a used body.
   *
   * @param request A `Request` or a URL.
   * @param response The response (its body is consumed).
   * @returns Once stored.
   * @throws {RangeError} When the body is larger than the cache's `sizeLimit`.
   *
   * @example Store a response
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { DiskCacheStorage } from "@diskcache/diskcache/web-cache";
   * using storage = new DiskCacheStorage();
   * const cache = await storage.open("v1");
   * await cache.put(new Request("https://example.com/a"), new Response("a"));
   * await assert.rejects(cache.put(new Request("https://example.com/a", { method: "POST" }), new Response("b")), TypeError);
   * assert.equal(await (await cache.match("https://example.com/a"))?.text(), "a");
   * rmSync(storage.cache.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  async put(request: WebCacheRequest, response: Response): Promise<void> {
    const r = putRequest(request, "put");
    if (r.method !== "GET") throw new TypeError(`Cannot put: the Cache API stores GET requests only: received ${r.method} ${r.url}`);
    if (!isResponse(response)) throw new TypeError(`Cannot put: "response" must be a Response: received ${describe(response)}`);
    if (response.status === 206) throw new TypeError(`Cannot put: ${r.url} has a partial response (206); the Cache API stores whole responses only`);
    checkResponse(response, "put");
    await this.#putAll([[r, response]]);
  }

  /**
   * Removes every entry whose request matches `request`.
   *
   * @param request A `Request` or a URL.
   * @param options Query options.
   * @returns `true` when something was removed.
   *
   * @example Remove an entry
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { DiskCacheStorage } from "@diskcache/diskcache/web-cache";
   * using storage = new DiskCacheStorage();
   * const cache = await storage.open("v1");
   * await cache.put("https://example.com/", new Response("x"));
   * assert.equal(await cache.delete("https://example.com/"), true);
   * assert.equal(await cache.delete("https://example.com/"), false);
   * rmSync(storage.cache.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  // deno-lint-ignore require-await -- async so that a bad argument rejects, as the spec's promises do
  async delete(request: WebCacheRequest, options?: WebCacheQueryOptions): Promise<boolean> {
    const r = queryRequest(request, "delete")!;
    const opts = queryOptions(options, "delete");
    if (r.method !== "GET" && !opts.ignoreMethod) return false;
    const { cache } = this.#context;
    return cache.transact(() => {
      let removed = false;
      for (const url of this.#urls(r, opts)) {
        const entries = this.#read(url);
        const kept = entries.filter((e) => !requestMatches(r, e, opts));
        if (kept.length === entries.length) continue;
        for (const e of entries) if (!kept.includes(e) && e.body !== null) cache.delete(bodyKey(this.#id, e.body));
        this.#write(url, kept, entries.length);
        removed = true;
      }
      return removed;
    });
  }

  /**
   * The requests of the entries that match `request` (all without one), in
   * insertion order.
   *
   * @param request A `Request` or a URL; omitted, every entry.
   * @param options Query options.
   * @returns New `Request`s (GET, with the stored headers).
   *
   * @example List what is stored
   * ```ts
   * import { rmSync } from "node:fs";
   * import assert from "node:assert/strict";
   * import { DiskCacheStorage } from "@diskcache/diskcache/web-cache";
   * using storage = new DiskCacheStorage();
   * const cache = await storage.open("v1");
   * await cache.put("https://example.com/b", new Response("b"));
   * await cache.put("https://example.com/a", new Response("a"));
   * assert.deepEqual((await cache.keys()).map((r) => r.url), ["https://example.com/b", "https://example.com/a"]);
   * rmSync(storage.cache.directory, { recursive: true, force: true }); // the example's temporary directory
   * ```
   */
  // deno-lint-ignore require-await -- async so that a bad argument rejects, as the spec's promises do
  async keys(request?: WebCacheRequest, options?: WebCacheQueryOptions): Promise<Request[]> {
    const r = queryRequest(request, "keys");
    const opts = queryOptions(options, "keys");
    if (r !== undefined && r.method !== "GET" && !opts.ignoreMethod) return [];
    return this.#query(r, opts, true).map((e) => new Request(e.url, { headers: e.reqHeaders }));
  }

  /** The stored entries of one URL (its row), or none. */
  #read(url: string): Entry[] {
    return decodeRecord(this.#context.cache.get(recordKey(this.#id, url)));
  }

  /**
   * Writes the entries of one URL (`before`: how many it had), keeping the
   * list of its path's URLs. A path without a list is a new one, or one whose
   * list the size limit culled while some of its URLs' rows stayed: the list
   * made then says it may be partial ({@linkcode PARTIAL}), and the first
   * `ignoreSearch` query completes it (so that a put never goes through every
   * row of the directory).
   */
  #write(url: string, entries: Entry[], before: number): void {
    const { cache } = this.#context;
    const key = recordKey(this.#id, url);
    const tag = cacheTag(this.#id);
    if (entries.length === 0) cache.delete(key);
    else cache.set(key, encodeRecord(entries), { tag });
    if ((before === 0) === (entries.length === 0)) return;
    const paths = pathKey(this.#id, toQuery(url).path);
    const text = cache.get(paths);
    if (typeof text !== "string") {
      // Removing a URL from a list that is gone leaves it gone: queries go through the rows until a put makes one.
      if (entries.length > 0) cache.set(paths, JSON.stringify([PARTIAL, url]), { tag });
      return;
    }
    const urls = new Set(JSON.parse(text) as string[]);
    if (entries.length === 0) urls.delete(url);
    else urls.add(url);
    if (urls.size === 0 || (urls.size === 1 && urls.has(PARTIAL))) cache.delete(paths);
    else cache.set(paths, JSON.stringify([...urls]), { tag });
  }

  /** The URLs whose rows a query reads: its own, or with `ignoreSearch` every URL of its path. */
  #urls(r: Query, opts: QueryOptions): string[] {
    if (!opts.ignoreSearch) return [r.url];
    const text = this.#context.cache.get(pathKey(this.#id, r.path));
    const urls = typeof text === "string" ? JSON.parse(text) as string[] : undefined;
    return urls !== undefined && urls[0] !== PARTIAL ? urls : this.#complete(r.path);
  }

  /** The URLs of `path`, from the rows; a list that said it may be partial is written complete (unless the cache is read-only). */
  #complete(path: string): string[] {
    const { cache } = this.#context;
    const paths = pathKey(this.#id, path);
    if (this.#context.readonly) return this.#scan(path);
    return cache.transact(() => {
      const urls = this.#scan(path);
      if (typeof cache.get(paths) === "string") {
        if (urls.length === 0) cache.delete(paths);
        else cache.set(paths, JSON.stringify(urls), { tag: cacheTag(this.#id) });
      }
      return urls;
    });
  }

  /** The URLs of `path` that have a row, from a scan of the cache's rows (when the size limit culled the path's list). */
  #scan(path: string): string[] {
    const prefix = recordPrefix(this.#id);
    const urls: string[] = [];
    for (const k of this.#context.cache.keys()) {
      if (typeof k === "string" && k.startsWith(prefix) && toQuery(k.slice(prefix.length)).path === path) urls.push(k.slice(prefix.length));
    }
    return urls;
  }

  /**
   * The spec's "Query Cache": the matching entries in insertion order (every
   * entry without a request). With `present`, only those whose body row is
   * there (the others were culled by the size limit); match and matchAll
   * find that out when they read the body.
   */
  #query(r: Query | undefined, opts: QueryOptions, present = false): Entry[] {
    let entries: Entry[];
    if (r !== undefined) {
      const urls = this.#urls(r, opts);
      entries = (urls.length === 1 ? this.#read(urls[0]!) : urls.flatMap((url) => this.#read(url))).filter((e) => requestMatches(r, e, opts));
    } else {
      const prefix = recordPrefix(this.#id);
      entries = [];
      for (const k of this.#context.cache.keys()) {
        if (typeof k === "string" && k.startsWith(prefix)) entries.push(...this.#read(k.slice(prefix.length)));
      }
    }
    if (present) {
      const { cache } = this.#context;
      entries = entries.filter((e) => e.body === null || cache.has(bodyKey(this.#id, e.body)));
    }
    return entries.length > 1 ? entries.sort((a, b) => a.seq - b.seq) : entries;
  }

  /**
   * The responses of the matching entries (the first only when `first`). An
   * entry whose body row is gone (culled by the size limit, or replaced by
   * another process between the two reads) is read again, then dropped.
   */
  #answer(r: Query | undefined, opts: QueryOptions, first: boolean, attempt = 0): Response[] | Promise<Response[]> {
    const entries = this.#query(r, opts);
    const out: Response[] = [];
    let lost: Entry | undefined;
    for (let i = 0, n = first ? Math.min(1, entries.length) : entries.length; i < n; i++) {
      const e = entries[i]!;
      const res = this.#response(e);
      if (res === undefined) {
        lost = e;
        break;
      }
      out.push(res);
    }
    // Synchronous unless a body is lost: a hit takes no promise of its own.
    return lost === undefined ? out : this.#answerAgain(r, opts, first, attempt, out, lost);
  }

  /** {@linkcode #answer} after `lost`'s body was found gone: cancels the responses made, then queries again. */
  async #answerAgain(r: Query | undefined, opts: QueryOptions, first: boolean, attempt: number, out: Response[], lost: Entry): Promise<Response[]> {
    for (const res of out) await res.body?.cancel();
    // Read twice without its body: the entry is gone (a body never changes
    // once committed), so it is removed, and the query runs again.
    if (attempt >= 1) this.#dropLost(lost);
    return await this.#answer(r, opts, first, attempt + 1);
  }

  /** Removes an entry whose body is gone (the size limit culled it). */
  #dropLost(lost: Entry): void {
    const { cache } = this.#context;
    cache.transact(() => {
      const entries = this.#read(lost.url);
      const kept = entries.filter((e) => e.seq !== lost.seq);
      if (kept.length !== entries.length) this.#write(lost.url, kept, entries.length);
      if (lost.body !== null) cache.delete(bodyKey(this.#id, lost.body));
    });
  }

  /** A new Response of a stored entry, or `undefined` when its body row is gone. */
  #response(e: Entry): Response | undefined {
    const { cache } = this.#context;
    let body: ConstructorParameters<typeof Response>[0] = null;
    if (e.inline) body = e.data as ConstructorParameters<typeof Response>[0];
    else if (e.body !== null) {
      const key = bodyKey(this.#id, e.body);
      const found = e.size < Math.max(BUFFER_BELOW, cache.minFileSize) ? cache.get<Uint8Array>(key) : cache.getStream(key);
      if (found === undefined) return undefined;
      body = found as ConstructorParameters<typeof Response>[0];
    }
    const headers = headersOf(e.resHeaders);
    const res = new Response(body, e.statusText === "" ? { status: e.status, headers } : { status: e.status, statusText: e.statusText, headers });
    if (e.type !== "default") Object.defineProperty(res, "type", { value: e.type, enumerable: true });
    if (e.resUrl !== "") Object.defineProperty(res, "url", { value: e.resUrl, enumerable: true });
    if (e.redirected) Object.defineProperty(res, "redirected", { value: true, enumerable: true });
    return res;
  }

  /** Stages every body, then commits all the entries in one transaction (the spec's "Batch Cache Operations"); on any failure stores none. */
  async #putAll(pairs: [Request, Response][]): Promise<void> {
    const { cache } = this.#context;
    // The spec's InvalidStateError: a batch whose requests match each other.
    for (let j = 1; j < pairs.length; j++) {
      for (let i = 0; i < j; i++) {
        const [ri, si] = pairs[i]!, [rj] = pairs[j]!;
        const earlier = {
          url: comparableUrl(ri.url),
          reqHeaders: [...ri.headers] as [string, string][],
          resHeaders: [...si.headers] as [string, string][],
        } as Entry;
        if (requestMatches(toQuery(rj), earlier, {})) {
          throw new DOMException(`Cannot addAll: two requests of the batch match each other (${rj.url})`, "InvalidStateError");
        }
      }
    }
    const staged: Staged[] = [];
    try {
      for (const [request, response] of pairs) staged.push(await this.#stage(request, response));
      cache.transact(() => {
        for (const s of staged) this.#commit(s);
        this.#listName();
      });
    } catch (error) {
      for (const s of staged) if (s.inline === undefined && s.entry.body !== null) cache.delete(bodyKey(this.#id, s.entry.body));
      for (const [, response] of pairs.slice(staged.length)) if (!response.bodyUsed) await response.body?.cancel(error).catch(() => {});
      throw error;
    }
  }

  /** Reads the response's body: below `BUFFER_BELOW` into memory, else streamed into a value file (with a ttl until the commit). */
  async #stage(request: Request, response: Response): Promise<Staged> {
    const { cache } = this.#context;
    const entry: Omit<Entry, "seq"> = {
      url: comparableUrl(request.url),
      reqHeaders: [...request.headers] as [string, string][],
      status: response.status,
      statusText: response.statusText,
      resHeaders: [...response.headers] as [string, string][],
      type: response.type,
      resUrl: response.url,
      redirected: response.redirected,
      body: null,
      size: 0,
    };
    const stream = response.body;
    if (stream === null) return { request, entry };
    const reader = stream.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0, done = false;
    try {
      const buffer = Math.max(BUFFER_BELOW, cache.minFileSize);
      while (size < buffer) {
        const next = await reader.read();
        if (next.done) {
          done = true;
          break;
        }
        chunks.push(next.value);
        size += next.value.length;
      }
    } catch (error) {
      reader.releaseLock();
      throw error;
    }
    entry.body = bodyId();
    if (done) {
      const inline = new Uint8Array(size);
      let off = 0;
      for (const c of chunks) {
        inline.set(c, off);
        off += c.length;
      }
      entry.size = size;
      return { request, entry, inline };
    }
    let total = 0;
    const rest = new ReadableStream<Uint8Array>({
      start(c) {
        for (const chunk of chunks) c.enqueue(chunk);
        chunks.length = 0;
      },
      async pull(c) {
        const next = await reader.read();
        if (next.done) c.close();
        else c.enqueue(next.value);
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    }, { highWaterMark: 0 });
    const counted = rest.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, c) {
          total += chunk.length;
          c.enqueue(chunk);
        },
      }),
    );
    await cache.setStream(bodyKey(this.#id, entry.body), counted, { ttl: STAGED_TTL, tag: cacheTag(this.#id) });
    entry.size = total;
    return { request, entry };
  }

  /**
   * Inside a put's transaction: lists the cache's name again if the size
   * limit culled the list, unless the storage deleted this cache (its name
   * then has another id).
   */
  #listName(): void {
    const { cache } = this.#context;
    if (currentCacheId(readIds(cache), this.#name) !== this.#id) return;
    const text = cache.get(NAMES);
    const names = typeof text === "string" ? JSON.parse(text) as string[] : [];
    if (!names.includes(this.#name)) cache.set(NAMES, JSON.stringify([...names, this.#name]));
  }

  /** Inside the batch's transaction: replaces the entries the request matches by the staged one. */
  #commit(s: Staged): void {
    const { cache } = this.#context;
    const query = toQuery(s.request);
    const entries = this.#read(query.url);
    const kept = entries.filter((e) => !requestMatches(query, e, {}));
    for (const e of entries) if (!kept.includes(e) && e.body !== null) cache.delete(bodyKey(this.#id, e.body));
    const entry: Entry = { ...s.entry, seq: nextSeq(cache) };
    if (s.inline !== undefined && s.inline.byteLength <= ROW_BODY_MAX && inlineBytes(kept) + s.inline.byteLength <= cache.minFileSize - ROW_HEADROOM) {
      // Kept in the URL's row (which stays below minFileSize, so in SQLite): a hit reads one row.
      Object.assign(entry, { body: null, inline: true, data: s.inline });
    } else if (entry.body !== null) {
      const k = bodyKey(this.#id, entry.body);
      if (s.inline !== undefined) cache.set(k, s.inline, { tag: cacheTag(this.#id) });
      else if (!cache.touch(k)) {
        throw new Error(`Cannot put: the body of ${s.request.url} was removed before its entry was stored (culled by the size limit?); try again`);
      }
    }
    kept.push(entry);
    this.#write(query.url, kept, entries.length);
  }
}

/** The request of a put or addAll: a Request as it is, a URL made into one; http(s) only. */
function putRequest(request: unknown, op: string): Request {
  const r = toRequest(request, op);
  const u = new URL(r.url);
  if (u.username !== "" || u.password !== "") throw urlError(r.url, op, undefined);
  const scheme = u.protocol;
  if (scheme !== "http:" && scheme !== "https:") {
    throw new TypeError(`Cannot ${op}: the Cache API stores http and https URLs only: received ${describe(r.url)}`);
  }
  return r;
}

/** The request of a query, or `undefined` when none was given. */
function queryRequest(request: unknown, op: string): Query | undefined {
  if (request === undefined) return undefined;
  if (typeof request === "string" || request instanceof URL) {
    try {
      return toQuery(String(request));
    } catch (error) {
      throw urlError(String(request), op, error);
    }
  }
  const r = toRequest(request, op);
  try {
    return toQuery(r);
  } catch (error) {
    throw urlError(r.url, op, error);
  }
}

/** A body's id: random (53 bits), so that staging a body takes no transaction. */
function bodyId(): number {
  const words = crypto.getRandomValues(new Uint32Array(2));
  return (words[0]! & 0x1fffff) * 2 ** 32 + words[1]!;
}

/**
 * A `Request`, or an object that has its shape: a framework may replace the
 * global `Request`/`Response` with classes of its own (@hono/node-server
 * does), whose instances are not `instanceof` the other's.
 */
function isRequest(x: unknown): x is Request {
  if (x instanceof Request) return true;
  const r = x as Partial<Request> | null;
  return typeof r === "object" && r !== null && typeof r.url === "string" && typeof r.method === "string" && typeof r.headers?.get === "function";
}

/** A `Response`, or an object that has its shape (see {@linkcode isRequest}). */
function isResponse(x: unknown): x is Response {
  if (x instanceof Response) return true;
  const r = x as Partial<Response> | null;
  return typeof r === "object" && r !== null && typeof r.status === "number" && typeof r.headers?.get === "function" && "body" in r &&
    typeof r.bodyUsed === "boolean";
}

/**
 * The TypeError for a URL that `new Request(url)` refuses: a relative one, or
 * one with credentials (as the Fetch spec refuses them), named without them.
 */
function urlError(url: string, op: string, cause: unknown): TypeError {
  if (!URL.canParse(url)) return new TypeError(`Cannot ${op}: ${describe(url)} is not an absolute URL`, { cause });
  const u = new URL(url);
  u.username = u.password = "";
  return new TypeError(
    `Cannot ${op}: the URL ${describe(u.href)} was given with credentials (user:password@), which a Request's URL cannot hold; remove them`,
    { cause },
  );
}

function toRequest(request: unknown, op: string): Request {
  if (isRequest(request)) return request;
  if (typeof request === "string" || request instanceof URL) {
    try {
      return new Request(String(request));
    } catch (error) {
      throw urlError(String(request), op, error);
    }
  }
  throw new TypeError(`Cannot ${op}: "request" must be a Request or a URL: received ${describe(request)}`);
}

const NO_OPTIONS: QueryOptions = Object.freeze({});

function queryOptions(options: unknown, op: string): QueryOptions {
  if (options === undefined || options === null) return NO_OPTIONS;
  if (typeof options !== "object") throw new TypeError(`Cannot ${op}: "options" must be an object: received ${describe(options)}`);
  const o = options as Record<string, unknown>;
  return { ignoreSearch: Boolean(o.ignoreSearch), ignoreMethod: Boolean(o.ignoreMethod), ignoreVary: Boolean(o.ignoreVary) };
}

/** The refusals common to put and addAll: `Vary: *`, a used or locked body, a network error. */
function checkResponse(response: Response, op: string): void {
  if (varyFields(response.headers.get("vary")).includes("*")) {
    throw new TypeError(`Cannot ${op}: the response has "Vary: *", which no request can match`);
  }
  if (response.bodyUsed || response.body?.locked) {
    throw new TypeError(`Cannot ${op}: the response's body was already used; store a clone() taken before reading it`);
  }
  if (response.type === "error") throw new TypeError(`Cannot ${op}: the response is a network error (Response.error())`);
}
