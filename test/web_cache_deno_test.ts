// On Deno: one scenario against Deno's built-in caches and against
// DiskCacheStorage gives the same answers, on the methods Deno implements
// (CacheStorage open/has/delete/keys/match; Cache put/match/delete/keys,
// without query options). Where Deno departs from the Service Worker spec
// (it ignores Vary in delete() and keys()), the scenario asserts the spec's
// answer on ours and records Deno's. Skipped on the other runtimes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { DiskCacheStorage } from "../web-cache.ts";
import { tempDir } from "./_helpers.ts";

interface StorageLike {
  open(name: string): Promise<CacheLike>;
  has(name: string): Promise<boolean>;
  delete(name: string): Promise<boolean>;
  keys(): Promise<string[]>;
  match(request: Request | string, options?: { cacheName?: string }): Promise<Response | undefined>;
}
interface CacheLike {
  put(request: Request | string, response: Response): Promise<void>;
  match(request: Request | string): Promise<Response | undefined>;
  delete(request: Request | string): Promise<boolean>;
  keys(request?: Request | string): Promise<readonly Request[]>;
}

const native = (globalThis as { caches?: StorageLike }).caches;
const isDeno = typeof (globalThis as { Deno?: unknown }).Deno === "object";

async function shape(res: Response | undefined): Promise<unknown> {
  if (res === undefined) return "miss";
  return { status: res.status, statusText: res.statusText, headers: [...res.headers].sort(), body: await res.text() };
}
async function outcome(p: Promise<unknown>): Promise<unknown> {
  try {
    return await p;
  } catch (error) {
    return `rejects ${(error as Error).name}`;
  }
}

/** The scenario: a list of named answers, with `prefix` making the cache names unique. */
async function scenario(s: StorageLike, prefix: string): Promise<[string, unknown][]> {
  const out: [string, unknown][] = [];
  const U = "https://example.com";
  const lang = (l: string) => new Request(`${U}/v`, { headers: { "accept-language": l } });
  out.push(["has before open", await s.has(`${prefix}a`)]);
  const a = await s.open(`${prefix}a`);
  const b = await s.open(`${prefix}b`);
  out.push(["has after open", await s.has(`${prefix}a`)]);
  out.push(["keys", (await s.keys()).filter((k) => k.startsWith(prefix))]);
  await a.put(`${U}/x`, new Response("x", { status: 201, statusText: "Made", headers: { "content-type": "text/plain", "x-n": "1" } }));
  out.push(["match hit", await shape(await a.match(`${U}/x`))]);
  out.push(["match by Request", await shape(await a.match(new Request(`${U}/x`)))]);
  out.push(["match with fragment", await shape(await a.match(`${U}/x#f`))]);
  out.push(["match other query", await shape(await a.match(`${U}/x?q=1`))]);
  out.push(["match miss", await shape(await a.match(`${U}/y`))]);
  await a.put(`${U}/x`, new Response("x2"));
  out.push(["match replaced", await shape(await a.match(`${U}/x`))]);
  await a.put(lang("en"), new Response("en", { headers: { vary: "accept-language" } }));
  out.push(["vary same", await shape(await a.match(lang("en")))]);
  out.push(["vary other", await shape(await a.match(lang("de")))]);
  out.push(["put POST", await outcome(a.put(new Request(`${U}/p`, { method: "POST", body: "b" }), new Response("p")))]);
  out.push(["put ftp", await outcome(a.put("ftp://example.com/", new Response("p")))]);
  out.push(["put 206", await outcome(a.put(`${U}/p`, new Response("p", { status: 206 })))]);
  out.push(["put vary *", await outcome(a.put(`${U}/p`, new Response("p", { headers: { vary: "*" } })))]);
  const used = new Response("u");
  await used.text();
  out.push(["put used body", await outcome(a.put(`${U}/p`, used))]);
  out.push(["match POST", await shape(await a.match(new Request(`${U}/x`, { method: "POST", body: "b" })))]);
  await b.put(`${U}/x`, new Response("from b"));
  out.push(["storage match first cache", await shape(await s.match(`${U}/x`))]);
  out.push(["storage match cacheName", await shape(await s.match(`${U}/x`, { cacheName: `${prefix}b` }))]);
  out.push(["storage match missing cacheName", await shape(await s.match(`${U}/x`, { cacheName: `${prefix}none` }))]);
  out.push(["keys of a", (await a.keys()).map((r) => r.url)]);
  out.push(["delete hit", await a.delete(`${U}/x`)]);
  out.push(["delete again", await a.delete(`${U}/x`)]);
  out.push(["match after delete", await shape(await a.match(`${U}/x`))]);
  out.push(["storage delete", await s.delete(`${prefix}b`)]);
  out.push(["storage delete again", await s.delete(`${prefix}b`)]);
  out.push(["keys after delete", (await s.keys()).filter((k) => k.startsWith(prefix))]);
  out.push(["reopened is empty", await shape(await (await s.open(`${prefix}b`)).match(`${U}/x`))]);
  // Deno departs from the spec here: delete() and keys() ignore Vary.
  out.push(["spec: keys with other Vary value", (await a.keys(lang("de"))).length]);
  out.push(["spec: delete with other Vary value", await a.delete(lang("de"))]);
  await s.delete(`${prefix}a`);
  await s.delete(`${prefix}b`);
  return out;
}

test("DiskCacheStorage answers as Deno's built-in caches on the methods Deno implements", { skip: isDeno && native ? false : "Deno only" }, async () => {
  const prefix = `diskcache-compare-${Date.now()}-`;
  const theirs = await scenario(native!, prefix);
  using dir = tempDir();
  using ours = new DiskCacheStorage(dir.path);
  const mine = await scenario(ours as unknown as StorageLike, prefix);
  const spec = (name: string) => name.startsWith("spec: ");
  assert.deepEqual(mine.filter(([n]) => !spec(n)), theirs.filter(([n]) => !spec(n)));
  assert.deepEqual(mine.filter(([n]) => spec(n)), [["spec: keys with other Vary value", 0], ["spec: delete with other Vary value", false]]);
  assert.deepEqual(
    theirs.filter(([n]) => spec(n)),
    [["spec: keys with other Vary value", 1], ["spec: delete with other Vary value", true]],
    "Deno still ignores Vary here",
  );
});
