/**
 * What every step of `cachedFetch` shares: its settings, the record it keeps
 * beside a stored body, and the conversions between `fetch`'s objects and
 * http-cache-semantics' plain ones.
 *
 * @module
 */
import type CachePolicy from "http-cache-semantics";
import type { DiskCache } from "../disk_cache.ts";
import type { CacheBackend, Variant } from "./_records.ts";
import type { FetchLike } from "./cached_fetch.ts";

/** What a stored variant keeps beside its body. */
export interface Meta {
  policy: CachePolicy.CachePolicyObject;
  status: number;
  statusText: string;
  url: string;
}

/** One stored response of `cachedFetch`. */
export type StoredVariant = Variant<Meta>;

/** A stored response selected for a request, with its body opened (so that it is read as it was). */
export interface Stored {
  shard: DiskCache;
  variant: StoredVariant;
  /** The body: bytes, or a stream of its value file; empty for a HEAD (checked to exist, not read). */
  body: Uint8Array | ReadableStream<Uint8Array>;
}

/** The settings of one `cachedFetch`. */
export interface FetchContext {
  store: CacheBackend;
  network: FetchLike;
  policyOptions: CachePolicy.Options;
  maxEntrySize: number;
  maxInlineBody: number;
  /** A URL's item stays in its row below this size (one inline body plus room for headers). */
  inlineBelow: number;
  keepForRevalidation: number;
  /** The cache's name in `Cache-Status`. */
  name: string;
  /** Background revalidations in flight. */
  pending: Set<Promise<unknown>>;
}

/** The prefix of URL items' keys. */
export const PREFIX = "fetch:";
/** The prefix of body items' keys. */
export const BODY_PREFIX = "fetch-body:";

/** The cache item key of a URL: without its fragment. */
export function cacheUrl(url: string): string {
  const hash = url.indexOf("#");
  return PREFIX + (hash < 0 ? url : url.slice(0, hash));
}

/**
 * Header fields as a plain object by lower-case name; `Set-Cookie`, the one
 * field that cannot be combined into one line (RFC 9110 section 5.3), as
 * the list of its lines.
 */
export function headerObject(headers: Headers): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  headers.forEach((value, key) => {
    if (key !== "set-cookie") out[key] = value;
  });
  const cookies = headers.getSetCookie();
  if (cookies.length) out["set-cookie"] = cookies;
  return out;
}

/** `Headers` of a plain object of fields; a list value is one line per member. */
export function toHeaders(fields: Record<string, string | string[] | undefined>): Headers {
  const h = new Headers();
  for (const [name, value] of Object.entries(fields)) {
    if (Array.isArray(value)) { for (const line of value) h.append(name, line); }
    else if (value !== undefined) h.set(name, value);
  }
  return h;
}

/** A response as http-cache-semantics reads it. */
export function policyResponse(res: Response): CachePolicy.Response {
  return { status: res.status, headers: headerObject(res.headers) };
}

/** A JSON round trip: the policy object without `undefined` members, for the value codec. */
export function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
