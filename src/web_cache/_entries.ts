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
 * - `webcache:<id>:u:<url without fragment>`: the entries (variants) of one
 *   URL, what a hit reads: bytes (see {@linkcode encodeRecord}), the entries
 *   as JSON then the bodies kept in the row; 0.2.0 wrote a JSON string,
 *   still read;
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
  /** The body's id (its row is `webcache:<cache id>:b:<body>`, random), or `null` for a null body or one kept in the entry's row. */
  body: number | null;
  /** The body's length in bytes (0 for a null body). */
  size: number;
  /** Set when the body is kept in the URL's row, after the entries (see {@linkcode encodeRecord}). */
  inline?: true;
  /** The body kept in the row (`inline`), a view into the row's bytes; not part of the JSON. */
  data?: Uint8Array;
}

/**
 * The entries of the rows decoded last, by the JSON of their header (which
 * holds each entry's `seq`, so a changed row has another), frozen: a hit
 * skips `JSON.parse`. At most {@linkcode PARSED_RECORDS} headers of at most
 * {@linkcode PARSED_RECORD_CHARS} characters, emptied when full.
 */
const parsedRecords = new Map<string, readonly Readonly<Entry>[]>();
const PARSED_RECORDS = 1024;
/** Longer headers (many variants, large header values) are parsed every time: the memo stays under 8 MiB. */
const PARSED_RECORD_CHARS = 4096;

/** First byte of a URL row written as bytes: the version of its encoding. */
const RECORD_V1 = 1;
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/**
 * A URL row as bytes: the version byte, the byte length of the JSON of the
 * entries (4 bytes, big-endian), that JSON (without `data`), then the bodies
 * of the `inline` entries, `size` bytes each, in the entries' order. A hit
 * then reads one row, its body included.
 */
export function encodeRecord(entries: Entry[]): Uint8Array {
  const bodies: Uint8Array[] = [];
  const head = entries.map(({ data, ...rest }) => {
    if (rest.inline) bodies.push(data!);
    return Object.freeze(rest);
  });
  const text = JSON.stringify(head);
  // The entries as decodeRecord would parse them back: a read of this row
  // in this process (the common read after a put) skips `JSON.parse`.
  remember(text, head);
  const json = utf8.encode(text);
  const out = new Uint8Array(5 + json.byteLength + bodies.reduce((n, b) => n + b.byteLength, 0));
  out[0] = RECORD_V1;
  new DataView(out.buffer).setUint32(1, json.byteLength);
  out.set(json, 5);
  let at = 5 + json.byteLength;
  for (const b of bodies) {
    out.set(b, at);
    at += b.byteLength;
  }
  return out;
}

/** Keeps the entries of a row's JSON header in {@linkcode parsedRecords}, when short enough. */
function remember(json: string, entries: readonly Readonly<Entry>[]): void {
  if (json.length > PARSED_RECORD_CHARS) return;
  if (parsedRecords.size >= PARSED_RECORDS) parsedRecords.clear();
  parsedRecords.set(json, entries);
}

/**
 * The entries of a URL row: bytes {@linkcode encodeRecord} wrote (inline
 * bodies as views into them), or the JSON string 0.2.0 wrote; none for a
 * missing row or one this version cannot read (a later version's, damaged
 * bytes: a miss, replaced by the next put).
 */
export function decodeRecord(row: unknown): Entry[] {
  if (typeof row === "string") return JSON.parse(row) as Entry[];
  if (!(row instanceof Uint8Array) || row[0] !== RECORD_V1 || row.byteLength < 5) return [];
  const length = ((row[1]! << 24) >>> 0) + (row[2]! << 16) + (row[3]! << 8) + row[4]!;
  const json = fromUtf8.decode(row.subarray(5, 5 + length));
  let parsed = parsedRecords.get(json);
  if (parsed === undefined) {
    try {
      parsed = (JSON.parse(json) as Entry[]).map((e) => Object.freeze(e));
    } catch {
      return [];
    }
    remember(json, parsed);
  }
  const entries = parsed.slice();
  let at = 5 + length;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    if (!e.inline) continue;
    entries[i] = { ...e, data: row.subarray(at, at + e.size) };
    at += e.size;
  }
  return at === row.byteLength ? entries : [];
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
  let value: string | null = null;
  for (const [n, v] of pairs) if (n.length === name.length && n.toLowerCase() === name) value = value === null ? v : `${value}, ${v}`;
  return value;
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

/**
 * The queries of the URL strings asked last (parsing a URL and dropping its
 * fragment and query costs 1-2 µs on Deno, a tenth of a hit), at most
 * {@linkcode STRING_QUERIES} of at most {@linkcode STRING_QUERY_CHARS}
 * characters, emptied when full. A query of a string is a
 * function of the string alone.
 */
const stringQueries = new Map<string, Query>();
const STRING_QUERIES = 1024;
/** Longer URLs (which a client may send to a server that matches what it is asked) are parsed every time: the memo stays under 4 MiB. */
const STRING_QUERY_CHARS = 2048;
function noHeader(): null {
  return null;
}

/** The query of a `Request`, or of an absolute URL (a `TypeError` for a relative one or one with credentials, as the Fetch spec's `new Request` gives). */
export function toQuery(request: Request | string): Query {
  if (typeof request === "string") {
    const known = stringQueries.get(request);
    if (known !== undefined) return known;
  }
  const u = new URL(typeof request === "string" ? request : request.url);
  // The Fetch spec's `new Request(url)` refuses it (Node's does; Deno's and Bun's let it through).
  if (u.username !== "" || u.password !== "") throw new TypeError("the URL includes credentials");
  u.hash = "";
  const url = u.href;
  u.search = "";
  if (typeof request === "string") {
    const query: Query = Object.freeze({ url, path: u.href, method: "GET", header: noHeader });
    if (request.length <= STRING_QUERY_CHARS) {
      if (stringQueries.size >= STRING_QUERIES) stringQueries.clear();
      stringQueries.set(request, query);
    }
    return query;
  }
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
  const vary = headerValue(entry.resHeaders, "vary");
  if (vary === null) return true;
  for (const field of varyFields(vary)) {
    if (field === "*") return false;
    if (query.header(field) !== headerValue(entry.reqHeaders, field)) return false;
  }
  return true;
}
