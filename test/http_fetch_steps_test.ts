// The steps of cachedFetch one by one, without a cache or a server: each
// step's rule (and the RFC section it follows) as a table.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { StoredVariant } from "../src/http/_fetch_context.ts";
import { headerObject, toHeaders } from "../src/http/_fetch_context.ts";
import { classifyRequest } from "../src/http/_request_class.ts";
import { conditionalRequest } from "../src/http/_conditional.ts";
import { notModified } from "../src/http/_preconditions.ts";
import { updatedFields, validates } from "../src/http/_not_modified.ts";
import { redirectRequest } from "../src/http/_redirect.ts";

const URL_ = "http://example.test/a";

function variant(resh: Record<string, string>): StoredVariant {
  return { method: "GET", deleteAt: Infinity, size: 0, meta: { policy: { resh } as never, status: 200, statusText: "OK", url: URL_ } };
}

describe("cachedFetch steps", () => {
  it("classifyRequest() maps methods and cache modes (RFC 9110 9.2.1, the fetch standard's cache modes)", () => {
    assert.deepEqual(classifyRequest(new Request(URL_, { method: "POST", body: "x" })), { kind: "forward", unsafe: true });
    assert.deepEqual(classifyRequest(new Request(URL_, { method: "OPTIONS" })), { kind: "forward", unsafe: false });
    assert.deepEqual(classifyRequest(new Request(URL_, { cache: "no-store" })), { kind: "bypass" });
    assert.deepEqual(classifyRequest(new Request(URL_, { headers: { "cache-control": "no-store" } })), { kind: "bypass" });
    const noCache = classifyRequest(new Request(URL_, { cache: "no-cache", headers: { "cache-control": "max-stale" } }));
    assert.equal(noCache.kind === "cacheable" && noCache.policyRequest.headers["cache-control"], "max-stale, no-cache");
    const force = classifyRequest(new Request(URL_, { cache: "force-cache" }));
    assert.equal(force.kind === "cacheable" && force.policyRequest.headers["cache-control"], "max-stale");
    const reload = classifyRequest(new Request(URL_, { cache: "reload", headers: { "cache-control": "only-if-cached" } }));
    assert.equal(reload.kind === "cacheable" && reload.reload && reload.onlyIfCached, true);
    assert.equal(reload.kind === "cacheable" && reload.policyRequest.headers["host"], "example.test");
  });

  it("conditionalRequest() adds the stored validators beside the client's own, and says whose they are (RFC 9111 4.3.1)", () => {
    const stored = variant({ etag: '"Y"', "last-modified": "Mon, 07 Dec 2026 10:00:00 GMT" });
    const cases: [Record<string, string>, boolean, string | null, boolean][] = [
      [{}, false, '"Y"', true],
      [{ "if-none-match": '"X"' }, false, '"X", "Y"', false],
      [{ "if-none-match": 'W/"Y"' }, false, 'W/"Y"', true],
      [{ "if-none-match": "*" }, false, "*", false],
      [{ "if-none-match": '"X"' }, true, '"Y"', true],
    ];
    for (const [headers, background, inm, onlyOurs] of cases) {
      const out = conditionalRequest(new Request(URL_, { headers }), stored, background);
      assert.equal(out.request.headers.get("if-none-match"), inm, JSON.stringify(headers));
      assert.equal(out.request.headers.get("if-modified-since"), "Mon, 07 Dec 2026 10:00:00 GMT");
      assert.equal(out.onlyOurs, onlyOurs, JSON.stringify(headers));
    }
    const bare = conditionalRequest(new Request(URL_, { headers: { "if-modified-since": "Mon, 07 Dec 2026 09:00:00 GMT" } }), variant({}), false);
    assert.equal(bare.onlyOurs, false, "the client's own date is no validator of the stored response");
    const controller = new AbortController();
    const own = conditionalRequest(new Request(URL_, { signal: controller.signal }), stored, true);
    controller.abort();
    assert.equal(own.request.signal.aborted, false, "a background revalidation does not carry the caller's signal");
  });

  it("validates() applies a 304 only to the stored response it validates (RFC 9111 4.3.4)", () => {
    const strong = { etag: '"Y"' }, weak = { etag: 'W/"Y"' }, dated = { "last-modified": "Mon, 07 Dec 2026 10:00:00 GMT" };
    assert.equal(validates(strong, { etag: '"Y"' }, false), true);
    assert.equal(validates(strong, { etag: '"X"' }, true), false, "another strong tag");
    assert.equal(validates(weak, { etag: '"Y"' }, true), false, "a strong tag never matches a weak one");
    assert.equal(validates(weak, { etag: 'W/"Y"' }, false), true);
    assert.equal(validates(strong, { etag: 'W/"Y"' }, false), true, "a weak tag compares weakly");
    assert.equal(validates({}, { etag: '"Y"' }, true), false);
    assert.equal(validates(dated, { "last-modified": dated["last-modified"] }, false), true);
    assert.equal(validates(dated, { "last-modified": "Tue, 08 Dec 2026 10:00:00 GMT" }, true), false);
    assert.equal(validates(dated, {}, true), true, "a bare 304 to the cache's own validators (RFC 9110 15.4.5)");
    assert.equal(validates(dated, {}, false), false, "a bare 304 that may answer the client's validators");
  });

  it("updatedFields() takes a 304's fields but those describing the stored body (RFC 9111 3.2)", () => {
    const merged = updatedFields(
      { "content-type": "text/plain", "content-length": "4", "cache-control": "no-cache", "set-cookie": ["a=1", "b=2"] },
      { "cache-control": "max-age=60", "content-length": "0", "x-new": "1" },
    );
    assert.deepEqual(merged, {
      "content-type": "text/plain",
      "content-length": "4",
      "cache-control": "max-age=60",
      "set-cookie": ["a=1", "b=2"],
      "x-new": "1",
    });
  });

  it("notModified() evaluates a client's preconditions only against a stored 2xx (RFC 9110 13.2.1, RFC 9111 4.3.2)", () => {
    const fields = { etag: 'W/"c"', "last-modified": "Mon, 07 Dec 2026 10:00:00 GMT" };
    const later = { "if-modified-since": "Mon, 07 Dec 2026 11:00:00 GMT" };
    assert.equal(notModified(new Headers({ "if-none-match": '"c"' }), 200, fields), true);
    assert.equal(notModified(new Headers({ "if-none-match": '"d"' }), 200, fields), false);
    assert.equal(notModified(new Headers({ "if-none-match": '"d"', ...later }), 200, fields), false, "If-None-Match decides");
    assert.equal(notModified(new Headers(later), 200, fields), true);
    assert.equal(notModified(new Headers(later), 204, fields), true);
    for (const status of [301, 404, 500]) {
      assert.equal(notModified(new Headers(later), status, fields), false, String(status));
      assert.equal(notModified(new Headers({ "if-none-match": "*" }), status, fields), false, String(status));
    }
  });

  it("redirectRequest() follows as fetch does: modes, the limit, fragments, credentials (the fetch standard 4.4)", () => {
    const moved = (status: number, location: string) => {
      const res = new Response(null, { status, headers: { location } });
      Object.defineProperty(res, "url", { value: URL_ });
      return res;
    };
    assert.equal(redirectRequest(new Request(URL_, { redirect: "manual" }), moved(301, "/b"), 0), undefined);
    assert.equal(redirectRequest(new Request(URL_), moved(304, "/b"), 0), undefined);
    assert.equal(redirectRequest(new Request(URL_, { method: "POST", body: "x" }), moved(302, "/b"), 0), undefined);
    assert.throws(() => redirectRequest(new Request(URL_, { redirect: "error" }), moved(301, "/b"), 0), TypeError);
    assert.throws(() => redirectRequest(new Request(URL_), moved(301, "/b"), 20), /more than 20 redirects/);
    assert.throws(() => redirectRequest(new Request(URL_), moved(301, "ftp://example.test/"), 0), /not HTTP/);
    const next = redirectRequest(new Request(URL_ + "#frag", { method: "HEAD", headers: { authorization: "x" } }), moved(308, "/b"), 0)!;
    assert.equal(next.url, "http://example.test/b#frag");
    assert.equal(next.method, "HEAD");
    assert.equal(next.headers.get("authorization"), "x");
    const away = redirectRequest(new Request(URL_, { headers: { authorization: "x" } }), moved(302, "http://other.test/"), 0)!;
    assert.equal(away.headers.get("authorization"), null, "credentials stay with their origin");
  });

  it("headerObject() and toHeaders() keep Set-Cookie lines apart (RFC 9110 5.3)", () => {
    const h = new Headers([["set-cookie", "a=1"], ["set-cookie", "b=2"], ["x", "1"]]);
    const fields = headerObject(h);
    assert.deepEqual(fields["set-cookie"], ["a=1", "b=2"]);
    assert.deepEqual(toHeaders(fields).getSetCookie(), ["a=1", "b=2"]);
  });
});
