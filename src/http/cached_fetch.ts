/**
 * {@linkcode cachedFetch}: a `fetch` that caches per RFC 9111 in a
 * DiskCache, the same way on Deno, Bun and Node.
 *
 * @module
 */
import CachePolicyClass from "http-cache-semantics";
import type CachePolicy from "http-cache-semantics";
import { DiskCache } from "../disk_cache.ts";
import { FanoutCache } from "../fanout.ts";
import { type CacheBackend, DEFAULT_MAX_INLINE_BODY, deleteUrl, ITEM_HEADROOM, shardFor } from "./_records.ts";
import { cacheUrl, type FetchContext, headerObject, type Stored } from "./_fetch_context.ts";
import { classifyRequest } from "./_request_class.ts";
import { discard, lookupStored } from "./_lookup.ts";
import { freshness, staleIfError } from "./_freshness.ts";
import { conditionalRequest } from "./_conditional.ts";
import { sameRepresentation, updatedFields, validates } from "./_not_modified.ts";
import { storeResponse, storeUpdate } from "./_store_response.ts";
import { forward, fromStore, gatewayTimeout, storedFields } from "./_answer.ts";
import { redirected, redirectRequest } from "./_redirect.ts";
import { hasValidators } from "./_preconditions.ts";

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

/**
 * A `fetch` that caches responses per RFC 9111 (with `stale-while-revalidate`
 * and `stale-if-error`, RFC 5861) in a {@linkcode DiskCache} or
 * {@linkcode FanoutCache}: on Deno, Bun and Node alike, across restarts and
 * processes. The HTTP rules come from `http-cache-semantics`; bodies stream
 * into the cache while the caller reads them (a body the caller does not read
 * to the end is not stored), and stream out of it. Stale responses are
 * revalidated with `If-None-Match` / `If-Modified-Since`; unsafe methods
 * invalidate the URL. Every answer carries a `Cache-Status` header (RFC 9211)
 * saying whether it was a hit, a miss or revalidated (`stored` only when the
 * response was stored before the answer: one whose body streams into the
 * cache as it is read is stored once the caller reads its end).
 *
 * Cached: `GET` responses that were not redirected. Other methods pass through.
 * A `GET` for one byte range of a stored 200 gets a 206 from the cache; a 200
 * to a `HEAD` that went out freshens the stored `GET` when their validators
 * agree (RFC 9111 section 4.3.5). Answers carry the origin's `Date` and an `Age`.
 * A 304 updates only the stored response it validates (section 4.3.4); a
 * client's own conditional request is answered from a stored 2xx. The
 * request's `cache` mode is honoured (`no-store`, `reload`, `no-cache`,
 * `force-cache`), and so is its `redirect` mode for a stored redirect. A
 * response whose status a `Response` cannot carry (outside 200-599) is
 * answered as the network `fetch` answered it: not stored, without `Cache-Status`.
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
 * import { userCacheDirectory } from "@diskcache/diskcache";
 * const fetch = cachedFetch(new DiskCache(userCacheDirectory("http")));
 * const res = await fetch("https://example.com/");
 * console.log(res.headers.get("cache-status")); // "diskcache; fwd=uri-miss"
 * ```
 *
 * @example Answer from the cache
 * ```ts
 * import { rmSync } from "node:fs";
 * import assert from "node:assert/strict";
 * import { DiskCache } from "@diskcache/diskcache";
 * import { cachedFetch } from "@diskcache/diskcache/http";
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
  const ctx: FetchContext = {
    store,
    network,
    policyOptions: { shared: !!shared, cacheHeuristic, immutableMinTimeToLive },
    maxEntrySize,
    maxInlineBody,
    inlineBelow: maxInlineBody + ITEM_HEADROOM,
    keepForRevalidation,
    name,
    pending: new Set(),
  };
  const fn = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    let request = new Request(input, init);
    for (let redirects = 0;; redirects++) {
      const res = await answerRequest(ctx, request);
      const next = redirectRequest(request, res, redirects);
      if (next === undefined) return redirects ? redirected(res) : res;
      void res.body?.cancel().catch(() => {});
      request = next;
    }
  };
  return Object.assign(fn, {
    async settled() {
      while (ctx.pending.size) await Promise.all([...ctx.pending]);
    },
  });
}

function badCache(cache: unknown): never {
  throw new TypeError(
    `Cannot create cachedFetch: "cache" must be a DiskCache, a FanoutCache or a directory: received ${cache === null ? "null" : typeof cache}`,
  );
}

/**
 * One request through the cache, step by step: classify it, look up the
 * stored response it selects, judge its freshness, revalidate it or go to
 * the network, store what may be stored, answer. Redirects are the caller's.
 */
async function answerRequest(ctx: FetchContext, request: Request): Promise<Response> {
  request.signal.throwIfAborted();
  const kind = classifyRequest(request);
  if (kind.kind === "forward") return await forwardMethod(ctx, request, kind.unsafe);
  if (kind.kind === "bypass") {
    const res = await ctx.network(request);
    return forward(ctx, res, res.body, "fwd=bypass");
  }
  const { policyRequest: req } = kind;
  const { stored, miss } = lookupStored(ctx, request);
  if (stored && !kind.reload) {
    const verdict = freshness(stored.variant, req);
    if (verdict.use !== "revalidate") {
      if (verdict.use === "stale-while-revalidate") revalidateInBackground(ctx, request, req, stored);
      return fromStore(ctx, request, stored, storedFields(verdict.headers!, stored.variant), `hit; ttl=${verdict.ttl}`);
    }
    if (!kind.onlyIfCached && request.method === "GET") return await revalidate(ctx, request, req, stored, verdict.policy);
  }
  if (kind.onlyIfCached) {
    discard(stored);
    return gatewayTimeout(ctx, request.url);
  }
  discard(stored);
  const res = await ctx.network(request);
  if (request.method === "HEAD") {
    // A 200 to a HEAD freshens the stored GET it could have been.
    if (stored && res.status === 200) return headUpdate(ctx, request, req, stored, res);
    return forward(ctx, res, null, "fwd=method");
  }
  return storeResponse(ctx, request, req, res, stored ? "fwd=request" : `fwd=${miss}`);
}

/** A request of another method than GET or HEAD: sent on; a success of an unsafe one forgets what it may have changed. */
async function forwardMethod(ctx: FetchContext, request: Request, unsafe: boolean): Promise<Response> {
  const res = await ctx.network(request);
  if (unsafe && res.status < 400) await invalidate(ctx.store, request.url, res.headers);
  return forward(ctx, res, res.body, "fwd=method");
}

/**
 * Asks the origin whether `stored` is still good for `request` (a GET), and
 * answers: the stored response, updated, when a 304 validates it (RFC 9111
 * section 4.3.4); the 304 itself when it answers the client's own
 * validators rather than the stored response's; the stale response within
 * `stale-if-error`; else the new response, stored.
 */
async function revalidate(
  ctx: FetchContext,
  request: Request,
  req: CachePolicy.Request,
  stored: Stored,
  policy: CachePolicy,
  background = false,
): Promise<Response> {
  const detail = policy.stale() ? "fwd=stale" : "fwd=request";
  const conditional = conditionalRequest(request, stored.variant, background);
  let res: Response;
  try {
    res = await ctx.network(conditional.request);
  } catch (error) {
    // A network error: the stale response answers if stale-if-error allows (not an abort: that is the caller's).
    if (!conditional.request.signal.aborted && staleIfError(policy, req)) {
      return fromStore(ctx, request, stored, storedFields(policy.responseHeaders(), stored.variant), "hit; detail=stale-if-error");
    }
    discard(stored);
    throw error;
  }
  if (res.status === 304) {
    void res.body?.cancel().catch(() => {});
    const fields = headerObject(res.headers);
    if (validates(stored.variant.meta.policy.resh, fields, conditional.onlyOurs)) {
      const next = updatedPolicy(ctx, req, stored, fields);
      const variant = await storeUpdate(ctx, stored.shard, request, stored.variant, next);
      const updated = { ...stored, variant };
      return fromStore(ctx, request, updated, storedFields(next.responseHeaders(), variant), `${detail}; fwd-status=304`);
    }
    discard(stored);
    // The client's own validators were answered: the 304 is the client's.
    if (!background && hasValidators(request.headers)) return forward(ctx, res, null, `${detail}; fwd-status=304`);
    // A 304 that validates nothing that was asked: ask again, unconditionally (as undici's interceptor does).
    const again = background ? new Request(request.url, { headers: conditional.request.headers }) : request;
    again.headers.delete("if-none-match");
    again.headers.delete("if-modified-since");
    return storeResponse(ctx, again, req, await ctx.network(again), detail);
  }
  if (res.status >= 500 && staleIfError(policy, req, res.status)) {
    void res.body?.cancel().catch(() => {});
    return fromStore(
      ctx,
      request,
      stored,
      storedFields(policy.responseHeaders(), stored.variant),
      `hit; detail=stale-if-error; fwd-status=${res.status}`,
    );
  }
  discard(stored);
  return storeResponse(ctx, request, req, res, detail);
}

/** The policy of `stored` once a 304 with header fields `fields` validated it (RFC 9111 section 3.2). */
function updatedPolicy(ctx: FetchContext, req: CachePolicy.Request, stored: Stored, fields: Record<string, string | string[]>): CachePolicy {
  const merged = updatedFields(stored.variant.meta.policy.resh, fields);
  return new CachePolicyClass({ ...req, method: "GET" }, { status: stored.variant.meta.status, headers: merged }, ctx.policyOptions);
}

/**
 * Revalidates `stored` for `stale-while-revalidate`, as the cache's own
 * request (see {@linkcode conditionalRequest}): `settled()` waits for it.
 */
function revalidateInBackground(ctx: FetchContext, request: Request, req: CachePolicy.Request, stored: Stored): void {
  // Its own handle on the body: the caller's answer reads `stored.body`.
  const own: Stored = { ...stored, body: new Uint8Array(0) };
  // A GET (a HEAD's answer is revalidated as the GET it came from), without the caller's signal.
  const get = new Request(request.url, { headers: request.headers, redirect: request.redirect });
  const job = revalidate(ctx, get, { ...req, method: "GET" }, own, CachePolicyClass.fromObject(stored.variant.meta.policy), true)
    .then(drain, () => {});
  ctx.pending.add(job);
  void job.finally(() => ctx.pending.delete(job));
}

/**
 * A 200 to a HEAD for which `stored` could have been chosen (RFC 9111
 * section 4.3.5): when its validators and `Content-Length` agree with the
 * stored ones, its header fields update the stored response and its
 * freshness, as a 304's would; the HEAD is answered with the fields merged.
 * Otherwise the stored response stays as it is.
 */
async function headUpdate(ctx: FetchContext, request: Request, req: CachePolicy.Request, stored: Stored, res: Response): Promise<Response> {
  const fields = headerObject(res.headers);
  const detail = "fwd=stale; fwd-status=200";
  if (!sameRepresentation(stored.variant.meta.policy.resh, fields, stored.variant.size)) return forward(ctx, res, null, detail);
  void res.body?.cancel().catch(() => {});
  const next = updatedPolicy(ctx, req, stored, fields);
  const variant = await storeUpdate(ctx, stored.shard, request, stored.variant, next);
  return fromStore(ctx, request, { ...stored, variant }, storedFields(next.responseHeaders(), variant), `${detail}; stored`);
}

/** Reads a response's body to the end (so that it is stored), keeping none of it. */
async function drain(res: Response): Promise<void> {
  if (!res.body) return;
  const reader = res.body.getReader();
  while (!(await reader.read()).done);
}

/** Forgets the stored responses an unsafe request may have changed (RFC 9111 section 4.4). */
async function invalidate(store: CacheBackend, url: string, headers: Headers): Promise<void> {
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
    const shard = shardFor(store, key);
    await shard.transactAsync(() => deleteUrl(shard, key));
  }
}
