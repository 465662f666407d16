/**
 * Step 2 of `cachedFetch`: the stored response a request selects (RFC 9111
 * section 4.1), with its body, or why there is none.
 *
 * @module
 */
import { cacheUrl, type FetchContext, headerObject, type Meta, type Stored } from "./_fetch_context.ts";
import { openBody, readVariants, selectVariant, shardFor } from "./_records.ts";

/** What the cache holds for a request. */
export interface Lookup {
  /** The selected stored response, its body opened; none when nothing matches or its body is gone. */
  stored?: Stored;
  /** Why nothing was selected, as `Cache-Status`'s `fwd` says it (RFC 9211 section 2.2). */
  miss: "uri-miss" | "vary-miss" | "miss";
}

/**
 * The stored GET response `request` (a GET or a HEAD) selects: the newest
 * one whose `Vary` selection its header fields match. Its body is opened
 * now (a HEAD only checks that it is there): a stored response whose body
 * eviction or expiry removed is no stored response, so that the request
 * goes out unconditionally and its answer is stored again.
 */
export function lookupStored(ctx: FetchContext, request: Request): Lookup {
  const url = cacheUrl(request.url);
  const shard = shardFor(ctx.store, url);
  const variants = readVariants<Meta>(shard, url, Date.now());
  const variant = selectVariant(variants, "GET", headerObject(request.headers));
  if (!variant) return { miss: variants.length ? "vary-miss" : "uri-miss" };
  const body = request.method === "HEAD" ? (variant.file === undefined || shard.has(variant.file) ? new Uint8Array(0) : undefined) : openBody(shard, variant);
  if (body === undefined) return { miss: "miss" };
  return { stored: { shard, variant, body }, miss: "miss" };
}

/** Lets go of a stored response's body that will not be answered (a value file's open stream). */
export function discard(stored: Stored | undefined): void {
  if (stored?.body instanceof ReadableStream) void stored.body.cancel().catch(() => {});
}
