/**
 * The stored form of a Cache API entry, and the Service Worker spec's
 * "Request Matches Cached Item" over it.
 *
 * Layout in the DiskCache (string keys, so python-diskcache can list them),
 * where `<id>` is the cache's id (see {@linkcode defaultCacheId}: it holds no `:`):
 * - `webcache:names`: JSON `string[]`, the storage's cache names in creation order;
 * - `webcache:ids`: JSON `{ [name]: id }`, the id of each name deleted once,
 *   for the next cache opened under it (absent, the name's default id): a
 *   `WebCache` held from before the delete keeps its own id, so it keeps
 *   working apart from the storage, as the spec's deleted `Cache` does;
 * - `webcache:seq`: the counter that orders entries;
 * - `webcache:<id>:u:<url without fragment>`: JSON `Entry[]`, the entries
 *   (variants) of one URL, what a hit reads;
 * - `webcache:<id>:p:<url without query and fragment>`: JSON `string[]`, the
 *   URLs of the path that have entries, for `ignoreSearch` (rewritten only
 *   when a URL comes or goes; were it culled, the cache's rows are scanned);
 * - `webcache:<id>:b:<body id>`: one entry's body bytes (a value file at or
 *   above `minFileSize`).
 * Every row of a cache carries the tag `webcache:<id>`.
 *
 * The size limit may cull any row, these bookkeeping rows too, so none of
 * them is needed for correctness: ids come from names, or are random (never
 * from a counter that could restart and hand a new cache an old one's id);
 * were `webcache:ids` culled, a name deleted before opens its default id again
 * (whose rows the delete removed; only a `WebCache` held across the delete
 * could have written there since); the order counter
 * restarts above every value it gave (from the clock, in microseconds); the
 * list of names is written again by every write to a cache missing from it.
 *
 * @module
 */

/** Query options of the spec's `CacheQueryOptions`. */
export interface QueryOptions {
  ignoreSearch?: boolean;
  ignoreMethod?: boolean;
  ignoreVary?: boolean;
}

/** One stored request/response pair. */
export interface Entry {
  /** Insertion order (from the storage-wide counter `webcache:seq`, see {@linkcode nextSeq}). */
  seq: number;
  /** The request's URL without its fragment. */
  url: string;
  /** The request's headers, as `[name, value]` pairs. */
  reqHeaders: [string, string][];
  status: number;
  statusText: string;
  resHeaders: [string, string][];
  /** The response's `type`, `url` and `redirected`, as fetched. */
  type: string;
  resUrl: string;
  redirected: boolean;
  /** The body's id (its row is `webcache:<cache id>:b:<body>`, random), or `null` for a null body. */
  body: number | null;
  /** The body's length in bytes (0 for a null body). */
  size: number;
}

export const NAMES = "webcache:names";
export const IDS = "webcache:ids";
export const SEQ = "webcache:seq";

/**
 * The id of the cache named `name` in row keys and tags, until the name is
 * deleted: the name URI-encoded, a lone surrogate (which UTF-8 would turn
 * into U+FFFD, merging two names) as `%u` and its hex code, which
 * `encodeURIComponent` never writes (it writes `%` as `%25`).
 */
export function defaultCacheId(name: string): string {
  // A lone surrogate: a high one not followed by a low one, or a low one not preceded by a high one.
  return name.split(/([\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF])/).map((part, i) =>
    i % 2 === 0 ? encodeURIComponent(part) : `%u${part.charCodeAt(0).toString(16)}`
  ).join("");
}

/** A new id for the next cache opened under `name` after a delete: `%g` (never written by `encodeURIComponent`) and random digits. */
export function newCacheId(name: string): string {
  const words = crypto.getRandomValues(new Uint32Array(2));
  return `${defaultCacheId(name)}%g${words[0]!.toString(36)}${words[1]!.toString(36)}`;
}

/** The id of the cache the storage holds under `name` now (`ids`: the parsed `webcache:ids` row, or `undefined`). */
export function currentCacheId(ids: Record<string, string> | undefined, name: string): string {
  return (ids !== undefined && Object.hasOwn(ids, name) ? ids[name] : undefined) ?? defaultCacheId(name);
}

/** The parsed `webcache:ids` row of `cache`, or `undefined` when absent. */
export function readIds(cache: { get(key: string): unknown }): Record<string, string> | undefined {
  const text = cache.get(IDS);
  return typeof text === "string" ? JSON.parse(text) as Record<string, string> : undefined;
}

/**
 * The next entry order (inside the caller's transaction). Were the counter's
 * row culled, it restarts at the clock in microseconds: above every order
 * given before, unless more than a thousand were given per millisecond
 * throughout.
 */
export function nextSeq(cache: { incr(key: string, delta: number, initial: number): number }): number {
  return cache.incr(SEQ, 1, Date.now() * 1000);
}

/** The tag of every row of cache `id`. */
export function cacheTag(id: string): string {
  return `webcache:${id}`;
}

/** The prefix of cache `id`'s URL rows. */
export function recordPrefix(id: string): string {
  return `webcache:${id}:u:`;
}

/** The row holding cache `id`'s entries for a URL (`Query.url`: no fragment). */
export function recordKey(id: string, url: string): string {
  return recordPrefix(id) + url;
}

/** The row listing cache `id`'s URLs under a path (`Query.path`: no query, no fragment). */
export function pathKey(id: string, path: string): string {
  return `webcache:${id}:p:${path}`;
}

/** The row holding body `body` of cache `id`. */
export function bodyKey(id: string, body: number): string {
  return `webcache:${id}:b:${body}`;
}

/** `url` without its fragment (and without its query when `ignoreSearch`). */
export function comparableUrl(url: string, ignoreSearch = false): string {
  const u = new URL(url);
  u.hash = "";
  if (ignoreSearch) u.search = "";
  return u.href;
}

/** The field names of a `Vary` header value, lower-cased (`*` kept). */
export function varyFields(vary: string | null): string[] {
  if (vary === null) return [];
  return vary.split(",").map((f) => f.trim().toLowerCase()).filter((f) => f !== "");
}

/** The combined value of header `name` in `[name, value]` pairs, or `null`, as `Headers.get` answers. */
function headerValue(pairs: [string, string][], name: string): string | null {
  const values = pairs.filter(([n]) => n.toLowerCase() === name).map(([, v]) => v);
  return values.length === 0 ? null : values.join(", ");
}

/**
 * A request as queries need it: its URL without fragment, the URL without
 * query either (the row's key), its method, its headers. Made from a string
 * without constructing a `Request` (the hit path's largest cost on Node).
 */
export interface Query {
  url: string;
  path: string;
  method: string;
  header(name: string): string | null;
}

/** The query of a `Request`, or of an absolute URL (a `TypeError` for a relative one or one with credentials, as `new Request` gives). */
export function toQuery(request: Request | string): Query {
  const u = new URL(typeof request === "string" ? request : request.url);
  // As `new Request(url)` refuses it (the Fetch spec), so that a query by URL answers as one by Request would.
  if (typeof request === "string" && (u.username !== "" || u.password !== "")) throw new TypeError(`${request} includes credentials`);
  u.hash = "";
  const url = u.href;
  u.search = "";
  if (typeof request === "string") return { url, path: u.href, method: "GET", header: () => null };
  const headers = request.headers;
  return { url, path: u.href, method: request.method, header: (name) => headers.get(name) };
}

/**
 * The spec's "Request Matches Cached Item" (Service Worker, section Cache):
 * URL equal without fragment (and query with `ignoreSearch`); each header
 * the cached response's `Vary` names equal between the query and the cached
 * request, unless `ignoreVary`; `Vary: *` never matches. The caller has
 * already refused a non-GET query without `ignoreMethod` (every stored
 * request is a GET).
 */
export function requestMatches(query: Query, entry: Entry, options: QueryOptions): boolean {
  if (options.ignoreSearch ? query.path !== comparableUrl(entry.url, true) : query.url !== entry.url) return false;
  if (options.ignoreVary) return true;
  for (const field of varyFields(headerValue(entry.resHeaders, "vary"))) {
    if (field === "*") return false;
    if (query.header(field) !== headerValue(entry.reqHeaders, field)) return false;
  }
  return true;
}
