/**
 * Step 3 of `cachedFetch`: whether a stored response may answer a request
 * as it is (RFC 9111 section 4.2, and RFC 5861's `stale-while-revalidate`
 * and `stale-if-error`), through http-cache-semantics.
 *
 * @module
 */
import CachePolicy from "http-cache-semantics";
import type { StoredVariant } from "./_fetch_context.ts";

/** The verdict on a stored response for a request. */
export interface Freshness {
  /**
   * `fresh`: answer it. `stale-while-revalidate`: answer it, and revalidate
   * it in the background. `revalidate`: ask the origin first.
   */
  use: "fresh" | "stale-while-revalidate" | "revalidate";
  policy: CachePolicy;
  /** The header fields to answer with (with `Age`), when it may answer. */
  headers?: CachePolicy.Headers;
  /** Seconds of freshness left (negative: stale by that much), for `Cache-Status`. */
  ttl: number;
}

/** The verdict on `variant` for `req` (a HEAD is judged as the GET it could be answered by). */
export function freshness(variant: StoredVariant, req: CachePolicy.Request): Freshness {
  const policy = CachePolicy.fromObject(variant.meta.policy);
  const verdict = judge(policy, variant.meta.policy).evaluateRequest({ ...req, method: "GET" });
  const ttl = Math.floor(policy.maxAge() - policy.age());
  if (!verdict.response) return { use: "revalidate", policy, ttl };
  return { use: verdict.revalidation ? "stale-while-revalidate" : "fresh", policy, headers: verdict.response.headers, ttl };
}

/**
 * The policy to judge a request by. http-cache-semantics 4.x sends every
 * request for a `must-revalidate` response to the origin, fresh or not;
 * RFC 9111 section 5.2.2.2 forbids only reusing it once stale (undici's
 * interceptor serves it while fresh). So a fresh one is judged without the
 * directive; a stale one keeps it, which also refuses a request's `max-stale`.
 */
function judge(policy: CachePolicy, stored: CachePolicy.CachePolicyObject): CachePolicy {
  const rescc = (stored as { rescc?: Record<string, unknown> }).rescc;
  if (!rescc?.["must-revalidate"] || policy.stale()) return policy;
  const { "must-revalidate": _, ...rest } = rescc;
  return CachePolicy.fromObject({ ...stored, rescc: rest } as CachePolicy.CachePolicyObject);
}

/**
 * Whether `policy` lets its stale response answer when the origin cannot
 * (a network error, or a 5xx): `stale-if-error` (RFC 5861 section 4).
 */
export function staleIfError(policy: CachePolicy, req: CachePolicy.Request, status = 504): boolean {
  return !policy.revalidatedPolicy({ ...req, method: "GET" }, { status, headers: {} }).modified;
}
