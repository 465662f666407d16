/**
 * Step 7 of `cachedFetch`: the `Response` the caller gets, from the network
 * or from the cache, with a `Cache-Status` (RFC 9211) saying which.
 *
 * @module
 */
import type CachePolicy from "http-cache-semantics";
import { type FetchContext, type Stored, type StoredVariant, toHeaders } from "./_fetch_context.ts";
import { byteRange, sliceBody } from "./_range.ts";
import { discard } from "./_lookup.ts";
import { notModified } from "./_preconditions.ts";

type ResponseBody = ConstructorParameters<typeof Response>[0];

/** Statuses whose responses have no body (the fetch standard's null body status, and 304). */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);
/** A reason phrase the `Response` constructor takes (RFC 9112 section 4: HTAB, SP, VCHAR, obs-text). */
const REASON_PHRASE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** Whether a `Response` can carry `status`: the constructor refuses any outside 200-599, which `fetch` still answers. */
export function buildable(status: number): boolean {
  return status >= 200 && status <= 599;
}

/** `prior` (an upstream cache's entries) followed by this cache's entry. */
export function cacheStatus(ctx: FetchContext, detail: string, prior: string | null): string {
  return prior ? `${prior}, ${ctx.name}; ${detail}` : `${ctx.name}; ${detail}`;
}

/**
 * A response with these parts. A reason phrase the constructor refuses
 * (`fetch` on Node decodes it as UTF-8) is set on the object, as `url` and
 * `redirected` are, which the constructor does not take.
 */
export function respond(
  body: ResponseBody | null,
  parts: { status: number; statusText: string; headers: Headers; url: string; redirected?: boolean },
): Response {
  const { status, statusText, headers } = parts;
  const plainText = REASON_PHRASE.test(statusText);
  const out = new Response(NULL_BODY.has(status) ? null : body, { status, statusText: plainText ? statusText : "", headers });
  if (NULL_BODY.has(status) && body instanceof ReadableStream) void body.cancel().catch(() => {});
  if (!plainText) Object.defineProperty(out, "statusText", { value: statusText });
  Object.defineProperty(out, "url", { value: parts.url });
  if (parts.redirected) Object.defineProperty(out, "redirected", { value: true });
  return out;
}

/**
 * `res` from the network, answered with `body` and `Cache-Status`; `res`
 * itself when its status is one a `Response` cannot be built with (it is
 * then answered as `fetch` answered it, without `Cache-Status`).
 */
export function forward(ctx: FetchContext, res: Response, body: ReadableStream<Uint8Array> | null, detail: string): Response {
  if (!buildable(res.status)) return res;
  const headers = new Headers(res.headers);
  headers.set("cache-status", cacheStatus(ctx, detail, res.headers.get("cache-status")));
  return respond(body, { status: res.status, statusText: res.statusText, headers, url: res.url, redirected: res.redirected });
}

/**
 * The header fields to answer a stored response with: the policy's (with
 * `Age`), and the stored response's own `Date`: http-cache-semantics writes
 * the time of the answer there, but `Date` is when the origin made the
 * response (a 304 or HEAD updates it), and `Age` says how long ago that was.
 */
export function storedFields(policyHeaders: CachePolicy.Headers, variant: StoredVariant): CachePolicy.Headers {
  const date = variant.meta.policy.resh["date"];
  return typeof date === "string" ? { ...policyHeaders, date } : policyHeaders;
}

/**
 * The stored response answering `request`, with header fields `fields`: a
 * 304 when the client's own conditional request is satisfied by it (RFC
 * 9111 section 4.3.2); a 206 of one byte range when a GET asks for one of
 * a stored 200 (without `If-Range`, which would need the validators
 * compared); else the whole of it (a HEAD: without its body).
 */
export function fromStore(ctx: FetchContext, request: Request, stored: Stored, fields: CachePolicy.Headers, detail: string): Response {
  const { variant } = stored;
  const h = toHeaders(fields);
  h.set("cache-status", cacheStatus(ctx, detail, h.get("cache-status")));
  if (notModified(request.headers, variant.meta.status, fields)) {
    discard(stored);
    return notModifiedAnswer(h, variant.meta.url);
  }
  let body = stored.body;
  let { status, statusText } = variant.meta;
  const range = request.method === "GET" && status === 200 && !request.headers.has("if-range")
    ? byteRange(request.headers.get("range"), variant.size)
    : undefined;
  if (range) {
    body = sliceBody(body, range[0], range[1]);
    [status, statusText] = [206, "Partial Content"];
    h.set("content-range", `bytes ${range[0]}-${range[1] - 1}/${variant.size}`);
    h.set("content-length", String(range[1] - range[0]));
  }
  if (request.method === "HEAD") {
    discard({ ...stored, body });
    return respond(null, { status, statusText, headers: h, url: variant.meta.url });
  }
  return respond(body as ResponseBody, { status, statusText, headers: h, url: variant.meta.url });
}

/** Fields a 304 carries of the response it stands for (RFC 9110 section 15.4.5). */
const NOT_MODIFIED_FIELDS = ["cache-control", "content-location", "date", "etag", "expires", "vary", "last-modified", "age", "cache-status"];

/** A 304 answer carrying the stored response's validators and caching fields. */
function notModifiedAnswer(fields: Headers, url: string): Response {
  const headers = new Headers();
  for (const name of NOT_MODIFIED_FIELDS) {
    const value = fields.get(name);
    if (value !== null) headers.set(name, value);
  }
  return respond(null, { status: 304, statusText: "Not Modified", headers, url });
}

/** The 504 that answers `only-if-cached` when the cache holds nothing usable (RFC 9111 section 5.2.1.7). */
export function gatewayTimeout(ctx: FetchContext, url: string): Response {
  return respond(null, {
    status: 504,
    statusText: "Gateway Timeout",
    headers: new Headers({ "cache-status": cacheStatus(ctx, "fwd=miss", null) }),
    url,
  });
}
