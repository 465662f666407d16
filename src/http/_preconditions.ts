/**
 * A client's own conditional request, evaluated by the cache against a
 * stored response (RFC 9111 section 4.3.2, RFC 9110 section 13.2).
 *
 * @module
 */
import type CachePolicy from "http-cache-semantics";

/** Whether the request carries validators of its own (`If-None-Match`, `If-Modified-Since`). */
export function hasValidators(request: Headers): boolean {
  return request.has("if-none-match") || request.has("if-modified-since");
}

/**
 * Whether a conditional request is answered 304 by a stored response with
 * `status` and header fields `stored`: only a 2xx response evaluates
 * preconditions (RFC 9110 section 13.2.1: a 404 stays a 404); then
 * `If-None-Match` by weak comparison of entity tags, else
 * `If-Modified-Since` against `Last-Modified`, or `Date` without one
 * (RFC 9111 section 4.3.2).
 */
export function notModified(request: Headers, status: number, stored: CachePolicy.Headers): boolean {
  if (status < 200 || status > 299) return false;
  const inm = request.get("if-none-match");
  if (inm !== null) {
    const etag = stored["etag"];
    if (typeof etag !== "string") return false;
    if (inm.trim() === "*") return true;
    return inm.split(",").some((tag) => weakTag(tag) === weakTag(etag));
  }
  const ims = request.get("if-modified-since");
  const lastModified = stored["last-modified"] ?? stored["date"];
  if (ims === null || typeof lastModified !== "string") return false;
  const since = Date.parse(ims), modified = Date.parse(lastModified);
  return !Number.isNaN(since) && !Number.isNaN(modified) && modified <= since;
}

/** An entity tag for weak comparison (RFC 9110 section 8.8.3.2): without `W/`. */
export function weakTag(tag: string): string {
  return tag.trim().replace(/^W\//, "");
}
