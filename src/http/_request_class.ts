/**
 * Step 1 of `cachedFetch`: what kind of request this is, and what its cache
 * mode (the fetch standard's `Request.cache`) and `Cache-Control` let the
 * cache do with it.
 *
 * @module
 */
import type CachePolicy from "http-cache-semantics";
import { headerObject } from "./_fetch_context.ts";

/** Methods that change nothing (RFC 9110 section 9.2.1); a response to any other invalidates its URL (RFC 9111 section 4.4). */
const SAFE = new Set(["GET", "HEAD", "OPTIONS", "TRACE"]);

/** What the cache may do with a request. */
export type RequestClass =
  /** Not a GET or HEAD: sent on; `unsafe` ones invalidate what they may change. */
  | { kind: "forward"; unsafe: boolean }
  /** `no-store` (the cache mode or the request directive): sent on, nothing stored. */
  | { kind: "bypass" }
  /** A GET or HEAD the cache may answer. */
  | {
    kind: "cacheable";
    /** `reload`: the stored response is not used, the new one is stored. */
    reload: boolean;
    /** `only-if-cached`: answered from the cache or with a 504, never sent on. */
    onlyIfCached: boolean;
    /** The request as http-cache-semantics reads it, the cache mode folded into its directives. */
    policyRequest: CachePolicy.Request;
  };

/**
 * Classifies `request`. The cache modes map to request directives (the
 * fetch standard, section 4.5, "HTTP-network-or-cache fetch"): `no-cache`
 * revalidates any stored response (as `Cache-Control: no-cache`),
 * `force-cache` takes a stored response however stale (as `max-stale`),
 * `reload` skips the stored one and `no-store` the cache.
 */
export function classifyRequest(request: Request): RequestClass {
  const method = request.method;
  if (method !== "GET" && method !== "HEAD") return { kind: "forward", unsafe: !SAFE.has(method) };
  const mode = (request as { cache?: string }).cache;
  const directives = request.headers.get("cache-control") ?? "";
  if (mode === "no-store" || /\bno-store\b/i.test(directives)) return { kind: "bypass" };
  const policyRequest = requestForPolicy(request);
  const extra = mode === "no-cache" ? "no-cache" : mode === "force-cache" ? "max-stale" : "";
  if (extra) {
    const cc = policyRequest.headers["cache-control"];
    policyRequest.headers["cache-control"] = cc ? `${cc}, ${extra}` : extra;
  }
  return { kind: "cacheable", reload: mode === "reload", onlyIfCached: /\bonly-if-cached\b/i.test(directives), policyRequest };
}

/** `request` as http-cache-semantics reads it (with the `Host` it wants). */
function requestForPolicy(request: Request): CachePolicy.Request & { headers: Record<string, string | string[]> } {
  const u = new URL(request.url);
  return {
    url: u.pathname + u.search,
    method: request.method,
    headers: { ...headerObject(request.headers), host: u.host },
  };
}
