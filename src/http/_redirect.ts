/**
 * Redirects answered by the cache, handled as `fetch` handles those of the
 * network (the fetch standard, section 4.4, "HTTP-redirect fetch"): a
 * stored 301 is followed for `redirect: "follow"`, refused for `"error"`,
 * and answered as it is for `"manual"`.
 *
 * @module
 */

const REDIRECT = new Set([301, 302, 303, 307, 308]);
/** The fetch standard's limit. */
const MAX_REDIRECTS = 20;

/**
 * The request that follows `res`, the answer to `request` (a GET or HEAD,
 * whose method a redirect keeps) after `redirects` redirects; `undefined`
 * when `res` is the final answer.
 *
 * @throws {TypeError} As `fetch` rejects: for `redirect: "error"`, past 20
 * redirects, or for a `Location` that is no HTTP(S) URL.
 */
export function redirectRequest(request: Request, res: Response, redirects: number): Request | undefined {
  const location = res.headers.get("location");
  if (!REDIRECT.has(res.status) || location === null || request.redirect === "manual") return undefined;
  // Only answers to a GET or HEAD come from the cache; the network's own fetch follows the others' redirects.
  if (request.method !== "GET" && request.method !== "HEAD") return undefined;
  const from = request.url;
  if (request.redirect === "error") {
    throw new TypeError(`Cannot fetch ${from}: it redirects (${res.status}) and the request says redirect: "error"`);
  }
  if (redirects >= MAX_REDIRECTS) throw new TypeError(`Cannot fetch ${from}: more than ${MAX_REDIRECTS} redirects`);
  let target: URL;
  try {
    target = new URL(location, res.url || from);
  } catch {
    throw new TypeError(`Cannot follow the redirect of ${from}: its Location is no URL: "${location}"`);
  }
  if (target.protocol !== "http:" && target.protocol !== "https:") {
    throw new TypeError(`Cannot follow the redirect of ${from}: its Location is not HTTP(S): "${location}"`);
  }
  if (!target.hash) target.hash = new URL(from).hash;
  const headers = new Headers(request.headers);
  // Credentials stay with their origin.
  if (target.origin !== new URL(from).origin) headers.delete("authorization");
  const init: RequestInit = { method: request.method, headers, redirect: request.redirect, signal: request.signal };
  const mode = (request as { cache?: RequestInit["cache"] }).cache;
  if (mode !== undefined && mode !== "only-if-cached") init.cache = mode;
  return new Request(target, init);
}

/** `res` marked as the answer to a request that was redirected (as `fetch` marks it). */
export function redirected(res: Response): Response {
  Object.defineProperty(res, "redirected", { value: true });
  return res;
}
