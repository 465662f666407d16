/**
 * {@linkcode cachedFetch}: a `fetch` that caches per RFC 9111 in a
 * DiskCache, the same way on Deno, Bun and Node.
 *
 * @module
 */
import CachePolicy from "http-cache-semantics";
import { DiskCache } from "../disk_cache.ts";
import { FanoutCache } from "../fanout.ts";
// The record layer shared with disk_cache_store.ts (hence the same import list): two front ends over _records.ts.
import {
  BodySink,
  type CacheBackend,
  commitVariant,
  DEFAULT_MAX_INLINE_BODY,
  deleteUrl,
  ITEM_HEADROOM,
  openBody,
  readVariants,
  replacedBy,
  selectVariant,
  shardFor,
  type SunkBody,
  type Variant,
  type VaryMap,
} from "./_records.ts";
import { byteRange, sliceBody } from "./_range.ts";

/** The signature of `fetch`. */
export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** What {@linkcode cachedFetch} returns: a `fetch`, plus a way to wait for its background work. */
export interface CachedFetch extends FetchLike {
  /**
   * Resolves when the background revalidations started so far
   * (`stale-while-revalidate`) have finished.
   */
  settled(): Promise<void>;
}

/** Options of {@linkcode cachedFetch}. */
export interface CachedFetchOptions {
  /**
   * The `fetch` that reaches the network.
   *
   * @default {globalThis.fetch}
   */
  fetch?: FetchLike;
  /**
   * Cache as a shared cache (a proxy or CDN: honours `s-maxage`, does not
   * store `private` responses or, without `public`/`s-maxage`, responses
   * to requests with `Authorization`), rather than as a private one (a
   * browser's cache: the usual choice for a program's own requests).
   *
   * @default {false}
   */
  shared?: boolean;
  /**
   * The largest body stored, in bytes; a longer one still reaches the
   * caller, and nothing of it is stored.
   *
   * @default {Infinity}
   */
  maxEntrySize?: number;
  /**
   * The largest body, in bytes, stored inside its response's row in SQLite
   * rather than in a value file of its own: a hit on it is one row read, with
   * no file to open. Such a body is held in memory while it arrives, and read
   * whole on a hit; with several `Vary` variants, each body past 16 KiB has a
   * row of its own (a hit reads the variants' headers, then one body). Bodies
   * below the cache's `minFileSize` are always inline; larger
   * ones than this stream into value files. As `DiskCacheStore`'s option.
   *
   * @default {1048576} (1 MiB)
   */
  maxInlineBody?: number;
  /**
   * The share of a response's age since `Last-Modified` it stays fresh
   * without explicit freshness (RFC 9111 section 4.2.2).
   *
   * @default {0.1}
   */
  cacheHeuristic?: number;
  /**
   * How long, in milliseconds, an `immutable` response stays fresh at least.
   *
   * @default {86_400_000}
   */
  immutableMinTimeToLive?: number;
  /**
   * How long, in milliseconds, a response that must be revalidated (no
   * freshness, but an `ETag` or `Last-Modified`) is kept for revalidation.
   *
   * @default {86_400_000}
   */
  keepForRevalidation?: number;
  /**
   * The cache's name in the `Cache-Status` header of answers (RFC 9211).
   *
   * @default {"diskcache"}
   */
  name?: string;
}

/** What a stored variant keeps beside its body. */
interface Meta {
  policy: CachePolicy.CachePolicyObject;
  status: number;
  statusText: string;
  url: string;
}

type HeaderList = ConstructorParameters<typeof Headers>[0];
type ResponseBody = ConstructorParameters<typeof Response>[0];

const PREFIX = "fetch:";
const BODY_PREFIX = "fetch-body:";
/** Methods that change nothing (RFC 9110 section 9.2.1); a response to any other invalidates its URL. */
const SAFE = new Set(["GET", "HEAD", "OPTIONS", "TRACE"]);
const NULL_BODY = new Set([101, 103, 204, 205, 304]);
/** Fields of the stored body that a HEAD or 304 does not replace (http-cache-semantics keeps the same on a 304). */
const KEEP_ON_UPDATE = new Set(["content-length", "content-encoding", "transfer-encoding", "content-range"]);

/**
 * A `fetch` that caches responses per RFC 9111 (with `stale-while-revalidate`
 * and `stale-if-error`, RFC 5861) in a {@linkcode DiskCache} or
 * {@linkcode FanoutCache}: on Deno, Bun and Node alike, across restarts and
 * processes. The HTTP rules come from `http-cache-semantics`; bodies stream
 * into the cache while the caller reads them (a body the caller does not read
 * to the end is not stored), and stream out of it. Stale responses are
 * revalidated with `If-None-Match` / `If-Modified-Since`; unsafe methods
 * invalidate the URL. Every answer carries a `Cache-Status` header (RFC 9211)
 * saying whether it was a hit, a miss (and whether it was stored) or revalidated.
 *
 * Cached: `GET` responses that were not redirected. Other methods pass through.
 * A `GET` for one byte range of a stored 200 gets a 206 from the cache; a 200
 * to a `HEAD` that went out freshens the stored `GET` when their validators
 * agree (RFC 9111 section 4.3.5). Answers carry the origin's `Date` and an `Age`.
 *
 * @param cache The cache to store responses in, or its directory.
 * @param options The network `fetch`, `shared`, and the rest of {@linkcode CachedFetchOptions}.
 * @returns A function with `fetch`'s signature.
 * @throws {TypeError} For a bad cache or option.
 *
 * @example Cache fetch on Deno or Bun
 * ```ts ignore
 * import { DiskCache } from "@diskcache/diskcache";
 * import { cachedFetch } from "@diskcache/diskcache/http";
 * const fetch = cachedFetch(new DiskCache("/var/cache/http"));
 * const res = await fetch("https://example.com/");
 * console.log(res.headers.get("cache-status")); // "diskcache; fwd=uri-miss; stored"
 * ```
 *
 * @example Answer from the cache
 * ```ts
 * import { rmSync } from "node:fs";
 * import assert from "node:assert/strict";
 * import { DiskCache } from "../../mod.ts";
 * import { cachedFetch } from "../../http.ts";
 * using cache = new DiskCache();
 * let calls = 0;
 * const origin = async () => new Response(`call ${++calls}`, { headers: { "cache-control": "max-age=60" } });
 * const fetch = cachedFetch(cache, { fetch: origin });
 * assert.equal(await (await fetch("http://example.test/")).text(), "call 1");
 * const again = await fetch("http://example.test/");
 * assert.equal(await again.text(), "call 1");
 * assert.match(again.headers.get("cache-status")!, /^diskcache; hit/);
 * rmSync(cache.directory, { recursive: true, force: true }); // the example's temporary directory
 * ```
 */
export function cachedFetch(cache: CacheBackend | string, options: CachedFetchOptions = {}): CachedFetch {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`Cannot create cachedFetch: options must be an object: received ${String(options)}`);
  }
  const store: CacheBackend = typeof cache === "string"
    ? new DiskCache(cache)
    : cache instanceof DiskCache || cache instanceof FanoutCache
    ? cache
    : badCache(cache);
  const {
    fetch: network = globalThis.fetch,
    shared = false,
    maxEntrySize = Infinity,
    maxInlineBody = DEFAULT_MAX_INLINE_BODY,
    cacheHeuristic = 0.1,
    immutableMinTimeToLive = 86_400_000,
    keepForRevalidation = 86_400_000,
    name = "diskcache",
  } = options;
  if (typeof network !== "function") {
    throw new TypeError(`Cannot create cachedFetch: "fetch" must be a function: received ${typeof network}`);
  }
  for (
    const [key, v] of Object.entries({ maxEntrySize, maxInlineBody, cacheHeuristic, immutableMinTimeToLive, keepForRevalidation })
  ) {
    if (typeof v !== "number" || !(v >= 0)) {
      throw new TypeError(`Cannot create cachedFetch: "${key}" must be a non-negative number: received ${String(v)}`);
    }
  }
  const policyOptions: CachePolicy.Options = { shared: !!shared, cacheHeuristic, immutableMinTimeToLive };
  // A URL's item (its variants' headers and inline bodies) stays in its row
  // up to one inline body and room for headers.
  const inlineBelow = maxInlineBody + ITEM_HEADROOM;
  const pending = new Set<Promise<unknown>>();
  const status = (detail: string, prior: string | null) => prior ? `${prior}, ${name}; ${detail}` : `${name}; ${detail}`;

  /** Streams `res` to the caller, storing it as it goes when the policy allows. */
  function store_(request: Request, req: CachePolicy.Request, res: Response, detail: string): Response {
    const policy = new CachePolicy(req, policyResponse(res), policyOptions);
    const vary = varyOf(res.headers, request.headers);
    const storable = request.method === "GET" && policy.storable() && !res.redirected && vary !== undefined;
    const hasValidator = res.headers.has("etag") || res.headers.has("last-modified");
    const ttl = Math.max(policy.timeToLive(), hasValidator ? keepForRevalidation : 0);
    if (!storable || ttl <= 0) {
      return answer(res, res.body, res.headers, status(detail, res.headers.get("cache-status")));
    }
    const url = cacheUrl(request.url);
    const shard = shardFor(store, url);
    const meta: Meta = {
      policy: plain(policy.toObject()),
      status: res.status,
      statusText: res.statusText,
      url: res.url,
    };
    const commit = (stored: SunkBody) => {
      const variant: Variant<Meta> = { method: "GET", deleteAt: Date.now() + ttl, size: stored.size, meta };
      if (vary) variant.vary = vary;
      if ("file" in stored) variant.file = stored.file;
      else variant.body = stored.body;
      commitVariant(shard, url, variant, replacedBy("GET", headerObject(request.headers)), inlineBelow);
    };
    let body: ReadableStream<Uint8Array> | null = null;
    if (res.body === null || NULL_BODY.has(res.status)) {
      void res.body?.cancel();
      commit({ size: 0, body: new Uint8Array(0) });
    } else {
      body = teeInto(res.body, new BodySink(shard, { maxSize: maxEntrySize, ttl, prefix: BODY_PREFIX, inlineUpTo: maxInlineBody }), commit);
    }
    return answer(res, body, res.headers, status(`${detail}; stored`, res.headers.get("cache-status")));
  }

  /**
   * The stored response of `v` to `request`, with `headers`: a 206 of one
   * byte range when a GET asks for one of a stored 200 (without `If-Range`,
   * which would need the validators compared); `undefined` when its body is gone.
   */
  function fromStore(shard: DiskCache, v: Variant<Meta>, headers: HeaderList, detail: string, request: Request) {
    const method = request.method;
    let body = openBody(shard, v);
    if (body === undefined) return undefined;
    const h = new Headers(headers);
    h.set("cache-status", status(detail, h.get("cache-status")));
    let { status: code, statusText } = v.meta;
    const range = method === "GET" && code === 200 && !request.headers.has("if-range") ? byteRange(request.headers.get("range"), v.size) : undefined;
    if (range) {
      body = sliceBody(body, range[0], range[1]);
      [code, statusText] = [206, "Partial Content"];
      h.set("content-range", `bytes ${range[0]}-${range[1] - 1}/${v.size}`);
      h.set("content-length", String(range[1] - range[0]));
    }
    const out = new Response(method === "HEAD" || NULL_BODY.has(code) ? null : body as ResponseBody, {
      status: code,
      statusText,
      headers: h,
    });
    if (method === "HEAD" && body instanceof ReadableStream) void body.cancel();
    Object.defineProperty(out, "url", { value: v.meta.url });
    return out;
  }

  async function revalidate(
    shard: DiskCache,
    request: Request,
    req: CachePolicy.Request,
    v: Variant<Meta>,
    policy: CachePolicy,
    background: boolean,
  ): Promise<Response> {
    const headers = new Headers(request.headers);
    for (const [k, value] of Object.entries(policy.revalidationHeaders(req))) {
      if (typeof value === "string") headers.set(k, value);
    }
    let res: Response;
    try {
      res = await network(new Request(request, { headers }));
    } catch (error) {
      // A network error: serve the stale response if stale-if-error allows.
      const verdict = policy.revalidatedPolicy(req, { status: 504, headers: {} });
      const stale = !verdict.modified &&
        fromStore(shard, v, withStoredDate(policy.responseHeaders(), v), "hit; detail=stale-if-error", request);
      if (stale) return stale;
      throw error;
    }
    const { policy: next, modified } = policy.revalidatedPolicy(req, policyResponse(res));
    if (modified) return store_(request, req, res, "fwd=stale");
    // 304, or an error answered within stale-if-error: reuse the stored body.
    const error = res.status >= 500;
    void res.body?.cancel();
    const served = error ? v : update(shard, request, v, next);
    const detail = error ? `hit; detail=stale-if-error; fwd-status=${res.status}` : `fwd=stale; fwd-status=${res.status}`;
    const out = fromStore(shard, served, withStoredDate(next.responseHeaders(), served), detail, request);
    if (out) return out;
    if (background) return new Response(null, { status: 204 });
    return await network(request);
  }

  /**
   * Stores `v` with the policy `next` (its freshness and headers from a 304
   * or a HEAD), in place of the variant `request` selects; the stored one.
   */
  function update(shard: DiskCache, request: Request, v: Variant<Meta>, next: CachePolicy): Variant<Meta> {
    const ttl = Math.max(next.timeToLive(), v.deleteAt - Date.now());
    const selected = headerObject(request.headers);
    const updated = { ...v, deleteAt: Date.now() + ttl, meta: { ...v.meta, policy: plain(next.toObject()) } };
    commitVariant(shard, cacheUrl(request.url), updated, replacedBy("GET", selected), inlineBelow);
    return updated;
  }

  /**
   * A 200 to a HEAD for which `v` could have been chosen (RFC 9111 section
   * 4.3.5): when its validators and `Content-Length` agree with `v`'s, its
   * header fields update the stored response and its freshness, as a 304's
   * would; the HEAD is answered with the headers merged. Otherwise the
   * stored response stays as it is (stale, or about to be revalidated).
   */
  function headUpdate(shard: DiskCache, request: Request, req: CachePolicy.Request, v: Variant<Meta>, res: Response): Response {
    const stored = v.meta.policy.resh;
    const fields = headerObject(res.headers);
    const detail = "fwd=stale; fwd-status=200";
    if (!sameRepresentation(stored, fields, v.size)) return answer(res, null, res.headers, status(detail, res.headers.get("cache-status")));
    const merged: CachePolicy.Headers = { ...stored };
    for (const [name, value] of Object.entries(fields)) if (!KEEP_ON_UPDATE.has(name)) merged[name] = value;
    const next = new CachePolicy({ ...req, method: "GET" }, { status: v.meta.status, headers: merged }, policyOptions);
    const updated = update(shard, request, v, next);
    return answer(res, null, new Headers(withStoredDate(next.responseHeaders(), updated) as HeaderList), status(`${detail}; stored`, null));
  }

  async function cached(input: string | URL | Request, init?: RequestInit): Promise<Response> {
    const request = new Request(input, init);
    const method = request.method;
    if (method !== "GET" && method !== "HEAD") {
      const res = await network(request);
      if (!SAFE.has(method) && res.status < 400) invalidate(store, request.url, res.headers);
      const prior = res.headers.get("cache-status");
      return answer(res, res.body, res.headers, status("fwd=method", prior));
    }
    const url = cacheUrl(request.url);
    const req = policyRequest(request);
    const cacheMode = (request as { cache?: string }).cache;
    if (cacheMode === "no-store" || /\bno-store\b/i.test(request.headers.get("cache-control") ?? "")) {
      const res = await network(request);
      return answer(res, res.body, res.headers, status("fwd=bypass", res.headers.get("cache-status")));
    }
    const shard = shardFor(store, url);
    const variants = readVariants<Meta>(shard, url, Date.now());
    const v = selectVariant(variants, "GET", headerObject(request.headers));
    if (v && cacheMode !== "reload") {
      const policy = CachePolicy.fromObject(v.meta.policy);
      // A HEAD is answered from the stored GET.
      const verdict = policy.evaluateRequest({ ...req, method: "GET" });
      if (verdict.response) {
        const ttl = Math.floor(policy.maxAge() - policy.age());
        const stored = withStoredDate(verdict.response.headers, v) as Record<string, string>;
        const hit = notModified(request.headers, stored)
          ? notModifiedResponse(stored, status(`hit; ttl=${ttl}`, stored["cache-status"] ?? null), v.meta.url)
          : fromStore(shard, v, stored, `hit; ttl=${ttl}`, request);
        if (hit) {
          if (verdict.revalidation) {
            const job = revalidate(
              shard,
              new Request(request, { method: "GET" }),
              { ...req, method: "GET" },
              v,
              policy,
              true,
            )
              .then(drain, () => {});
            pending.add(job);
            void job.finally(() => pending.delete(job));
          }
          return hit;
        }
      } else if (!/\bonly-if-cached\b/i.test(request.headers.get("cache-control") ?? "")) {
        if (method === "GET") return await revalidate(shard, request, req, v, policy, false);
      }
    }
    if (/\bonly-if-cached\b/i.test(request.headers.get("cache-control") ?? "")) {
      return new Response(null, {
        status: 504,
        statusText: "Gateway Timeout",
        headers: { "cache-status": status("fwd=miss", null) },
      });
    }
    const res = await network(request);
    if (method !== "GET") {
      // A 200 to a HEAD freshens the stored GET it could have been.
      if (v && res.status === 200) return headUpdate(shard, request, req, v, res);
      return answer(res, res.body, res.headers, status("fwd=method", res.headers.get("cache-status")));
    }
    return store_(request, req, res, variants.length ? "fwd=vary-miss" : "fwd=uri-miss");
  }

  const fn = cached as CachedFetch;
  fn.settled = async () => {
    while (pending.size) await Promise.all([...pending]);
  };
  return fn;
}

function badCache(cache: unknown): never {
  throw new TypeError(
    `Cannot create cachedFetch: "cache" must be a DiskCache, a FanoutCache or a directory: received ${cache === null ? "null" : typeof cache}`,
  );
}

/** The cache item key of a URL: without its fragment. */
function cacheUrl(url: string): string {
  const hash = url.indexOf("#");
  return PREFIX + (hash < 0 ? url : url.slice(0, hash));
}

function headerObject(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, key) => out[key] = value);
  return out;
}

function policyRequest(request: Request): CachePolicy.Request {
  const u = new URL(request.url);
  return {
    url: u.pathname + u.search,
    method: request.method,
    headers: { ...headerObject(request.headers), host: u.host },
  };
}

function policyResponse(res: Response): CachePolicy.Response {
  return { status: res.status, headers: headerObject(res.headers) };
}

/** The request header values the response's `Vary` names; `undefined` for `Vary: *` (never reusable). */
function varyOf(res: Headers, req: Headers): VaryMap | undefined | null {
  const vary = res.get("vary");
  if (!vary) return null;
  const out: VaryMap = {};
  for (const raw of vary.split(",")) {
    const name = raw.trim().toLowerCase();
    if (name === "*") return undefined;
    if (name) out[name] = req.get(name);
  }
  return out;
}

/**
 * `headers` (a policy's response headers) with the stored response's own
 * `Date`: http-cache-semantics writes the time of the answer there, but
 * `Date` is when the origin made the response (a 304 or HEAD updates it),
 * and `Age` says how long ago that was.
 */
function withStoredDate(headers: CachePolicy.Headers, v: Variant<Meta>): HeaderList {
  const date = v.meta.policy.resh["date"];
  return (typeof date === "string" ? { ...headers, date } : headers) as HeaderList;
}

/**
 * Whether a HEAD response's validators and length, where it has them, are
 * the stored response's (RFC 9111 section 4.3.5).
 */
function sameRepresentation(stored: CachePolicy.Headers, head: Record<string, string>, size: number): boolean {
  for (const name of ["etag", "last-modified"]) {
    if (head[name] !== undefined && head[name] !== stored[name]) return false;
  }
  return head["content-length"] === undefined || Number(head["content-length"]) === size;
}

/** A JSON round trip: the policy object without `undefined` members, for the value codec. */
function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** A response like `res` with `body`, `headers` plus `Cache-Status`, and `res`'s URL. */
function answer(
  res: Response,
  body: ReadableStream<Uint8Array> | null,
  headers: Headers,
  cacheStatus: string,
): Response {
  const h = new Headers(headers);
  h.set("cache-status", cacheStatus);
  const out = new Response(NULL_BODY.has(res.status) ? null : body, {
    status: res.status,
    statusText: res.statusText,
    headers: h,
  });
  Object.defineProperty(out, "url", { value: res.url });
  if (res.redirected) Object.defineProperty(out, "redirected", { value: true });
  return out;
}

/**
 * The body of a response as the caller reads it, written into `sink` on
 * the way: `commit` runs once the last byte is stored, before the caller
 * sees the end. A failure to store only stops storing; an error of the
 * source, or the caller cancelling, stores nothing.
 */
function teeInto(
  source: ReadableStream<Uint8Array>,
  sink: BodySink,
  commit: (stored: SunkBody) => void,
): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  let storing = true;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (error) {
        if (storing) await sink.abort(error);
        controller.error(error);
        return;
      }
      if (chunk.done) {
        if (storing) {
          try {
            commit(await sink.finish());
          } catch {
            await sink.abort();
          }
        }
        controller.close();
        return;
      }
      if (storing) {
        try {
          await sink.write(chunk.value);
        } catch {
          storing = false;
        }
      }
      controller.enqueue(chunk.value);
    },
    async cancel(reason) {
      if (storing) await sink.abort(reason);
      await reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
}

/**
 * Whether a conditional request is answered 304 by the stored response's
 * validators (RFC 9110 section 13.2.2): `If-None-Match` by weak comparison
 * of entity tags, else `If-Modified-Since` against `Last-Modified`.
 */
function notModified(request: Headers, stored: Record<string, string>): boolean {
  const inm = request.get("if-none-match");
  if (inm !== null) {
    const etag = stored["etag"];
    if (etag === undefined) return false;
    if (inm.trim() === "*") return true;
    const weak = (tag: string) => tag.trim().replace(/^W\//, "");
    return inm.split(",").some((tag) => weak(tag) === weak(etag));
  }
  const ims = request.get("if-modified-since");
  const lastModified = stored["last-modified"] ?? stored["date"];
  if (ims === null || lastModified === undefined) return false;
  const since = Date.parse(ims), modified = Date.parse(lastModified);
  return !Number.isNaN(since) && !Number.isNaN(modified) && modified <= since;
}

/** A 304 answer carrying the stored response's validators and caching headers. */
function notModifiedResponse(stored: Record<string, string>, cacheStatus: string, url: string): Response {
  const headers = new Headers();
  for (const name of ["cache-control", "content-location", "date", "etag", "expires", "vary", "last-modified", "age"]) {
    const value = stored[name];
    if (value !== undefined) headers.set(name, value);
  }
  headers.set("cache-status", cacheStatus);
  const out = new Response(null, { status: 304, statusText: "Not Modified", headers });
  Object.defineProperty(out, "url", { value: url });
  return out;
}

/** Reads a response's body to the end (so that it is stored), keeping none of it. */
async function drain(res: Response): Promise<void> {
  if (!res.body) return;
  const reader = res.body.getReader();
  while (!(await reader.read()).done);
}

/** Forgets the stored responses an unsafe request may have changed (RFC 9111 section 4.4). */
function invalidate(store: CacheBackend, url: string, headers: Headers): void {
  const targets = [url];
  const origin = new URL(url).origin;
  for (const name of ["location", "content-location"]) {
    const value = headers.get(name);
    if (!value) continue;
    try {
      const target = new URL(value, url);
      if (target.origin === origin) targets.push(target.href);
    } catch {
      // not a URL: nothing to invalidate
    }
  }
  for (const target of targets) {
    const key = cacheUrl(target);
    deleteUrl(shardFor(store, key), key);
  }
}
