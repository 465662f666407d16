/**
 * Step 4 of `cachedFetch`: the conditional request that validates a stored
 * response (RFC 9111 section 4.3.1).
 *
 * @module
 */
import type { StoredVariant } from "./_fetch_context.ts";
import { weakTag } from "./_preconditions.ts";

/**
 * The request that validates `variant` for `request`: `If-None-Match` with
 * the stored entity tag (beside the client's own tags, so that the origin
 * can answer either), `If-Modified-Since` with the stored `Last-Modified`
 * (else the client's own). A `background` revalidation (for
 * `stale-while-revalidate`) is the cache's own: it carries neither the
 * client's validators nor its signal, so that the caller aborting its own
 * request after its answer does not cancel it.
 */
export function conditionalRequest(
  request: Request,
  variant: StoredVariant,
  background: boolean,
): { request: Request; onlyOurs: boolean } {
  const headers = new Headers(request.headers);
  if (background) {
    headers.delete("if-none-match");
    headers.delete("if-modified-since");
  }
  const stored = variant.meta.policy.resh;
  const etag = stored["etag"], lastModified = stored["last-modified"];
  const own = headers.get("if-none-match");
  const tags = own === null ? [] : own.split(",").map((t) => t.trim()).filter((t) => t !== "");
  // Whether every validator sent is the stored response's: then a 304 without one answers for it.
  let onlyOurs = tags.every((t) => typeof etag === "string" && weakTag(t) === weakTag(etag));
  if (typeof etag === "string") {
    if (!tags.some((t) => t === "*" || weakTag(t) === weakTag(etag))) tags.push(etag);
    headers.set("if-none-match", tags.join(", "));
  }
  if (typeof lastModified === "string") headers.set("if-modified-since", lastModified);
  else if (headers.has("if-modified-since") && !headers.has("if-none-match")) onlyOurs = false;
  const out = background ? new Request(request.url, { method: "GET", headers, redirect: request.redirect }) : new Request(request, { method: "GET", headers });
  return { request: out, onlyOurs };
}
