// The Next.js incremental handler beyond one host: each "host" has a cache
// directory of its own in front of one real redis-server (through Keyv and
// @keyv/redis, or cache-manager), which holds the entries every host shares
// and the record of tag revalidations. Hosts are processes of each runtime
// (test/fixtures/next_redis_worker.ts) and, for the finer cases, two handler
// classes in this process on two directories, each with its own connection.
// Runs once per `npm test` (the "system" row, on Node 24).
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { describe, it } from "node:test";
import Keyv from "keyv";
import KeyvRedis from "@keyv/redis";
import { createCache } from "cache-manager";
import { createIncrementalCacheHandler, type NextIncrementalCacheHandlerClass, type NextRemoteStore } from "../../next.ts";
import { runJson, runners, startRedis, tempDir, withConsole } from "../_helpers.ts";
import { holdLock } from "../_lock_holder.ts";

type Page = { html: string; rsc: string; tree: string; lastModified: number } | null;

function page(key: string, tags: string) {
  return {
    kind: "APP_PAGE",
    html: `<p>${key}</p>`,
    rscData: Buffer.from(`rsc ${key}`),
    status: 200,
    postponed: undefined,
    headers: { "x-next-cache-tags": tags },
    segmentData: new Map([["/_tree", Buffer.from("tree")]]),
  };
}

/** A later millisecond than now: a revalidation must come after the entry it revalidates (ms clock). */
function nextMs(): Promise<void> {
  return new Promise((r) => setTimeout(r, 2));
}

describe("createIncrementalCacheHandler with a remote (Redis)", () => {
  it("hosts in processes of each runtime share pages through Redis, and a tag revalidated on one makes the others miss", async (t) => {
    await using redis = await startRedis();
    if (redis === undefined) return t.skip("redis-server is not installed (apt-get install redis-server)");
    const rs = runners("next_redis_worker");
    assert.ok(rs.length >= 2, "at least two runtimes");
    using dirA = tempDir();
    using dirB = tempDir();
    for (let i = 0; i < rs.length; i++) {
      const a = rs[i]!, b = rs[(i + 1) % rs.length]!;
      const key = `/p${i}`, label = `${a.name} -> ${b.name}`;
      await runJson(a, [dirA.path, redis.url, "page-set", key, `tag${i},_N_T_${key}`]);
      assert.deepEqual(await runJson(b, [dirB.path, "-", "page-get", key]), { result: null }, `${label}: not on B's disk yet`);
      const fromRedis: { result: Page } = await runJson<{ result: Page }>(b, [dirB.path, redis.url, "page-get", key]);
      assert.deepEqual(
        [fromRedis.result?.html, fromRedis.result?.rsc, fromRedis.result?.tree],
        [`<p>${key}</p>`, `rsc ${key}`, "tree"],
        `${label}: B's hit from Redis`,
      );
      const local: { result: Page } = await runJson<{ result: Page }>(b, [dirB.path, "-", "page-get", key]);
      assert.deepEqual(local.result, fromRedis.result, `${label}: and now from B's disk alone, with A's stored time`);
      await nextMs();
      await runJson(a, [dirA.path, redis.url, "revalidate", `tag${i}`]);
      assert.deepEqual(await runJson(b, [dirB.path, redis.url, "page-get", key]), { result: null }, `${label}: revalidated on A, B misses`);
      assert.deepEqual(await runJson(b, [dirB.path, "-", "page-get", key]), { result: null }, `${label}: and B's disk knows it`);
    }
  });

  it("a host started while Redis is down answers from its disk and stores locally", async (t) => {
    const redis = await startRedis();
    if (redis === undefined) return t.skip("redis-server is not installed (apt-get install redis-server)");
    const [r] = runners("next_redis_worker");
    using dir = tempDir();
    await runJson(r!, [dir.path, redis.url, "page-set", "/up", "t"]);
    await redis[Symbol.asyncDispose]();
    assert.equal((await runJson<{ result: Page }>(r!, [dir.path, redis.url, "page-get", "/up"])).result?.html, "<p>/up</p>");
    await runJson(r!, [dir.path, redis.url, "page-set", "/down", "t"]);
    assert.equal((await runJson<{ result: Page }>(r!, [dir.path, redis.url, "page-get", "/down"])).result?.html, "<p>/down</p>");
    await runJson(r!, [dir.path, redis.url, "revalidate", "t"]);
    assert.deepEqual(await runJson(r!, [dir.path, redis.url, "page-get", "/down"]), { result: null }, "a revalidation recorded locally");
  });

  describe("two hosts in this process", () => {
    /** Two handler classes on two directories, each with its own connection to `url`. */
    function hosts(url: string, remoteOf: (url: string) => NextRemoteStore = (u) => new Keyv({ store: new KeyvRedis(u) }), options = {}) {
      const dirs = [tempDir(), tempDir()];
      const classes = dirs.map((d) => createIncrementalCacheHandler({ directory: d.path, remote: remoteOf(url), remoteTimeout: 1000, ...options }));
      return {
        dirs,
        a: new classes[0]!({}),
        b: new classes[1]!({}),
        localB: () => new (createIncrementalCacheHandler({ directory: dirs[1]!.path }))({}),
        classes,
        [Symbol.dispose]() {
          for (const c of classes) c.close();
          for (const d of dirs) d[Symbol.dispose]();
        },
      };
    }

    it("every kind of value comes back exactly through Redis, with its lastModified and cacheControl", async (t) => {
      await using redis = await startRedis();
      if (redis === undefined) return t.skip("redis-server is not installed");
      using h = hosts(redis.url);
      const values = {
        "/page": page("/page", "p"),
        "/route": { kind: "APP_ROUTE", body: Buffer.alloc(0), status: 201, headers: { "content-type": "text/plain" } },
        "/image": { kind: "IMAGE", buffer: Buffer.from([0x89, 0x50, 0x4e, 0x47]), extension: "png", etag: "e", upstreamEtag: "u", revalidate: 60 },
        "/redirect": { kind: "REDIRECT", props: { __N_REDIRECT: "/x" } },
      };
      for (const [key, value] of Object.entries(values)) await h.a.set(key, value, { cacheControl: { revalidate: 60, expire: 3600 } });
      await h.a.set("fetch-key", { kind: "FETCH", data: { headers: {}, body: "{}", url: "https://example.com/", status: 200 }, revalidate: 30, tags: ["f"] }, {
        fetchCache: true,
        tags: ["f"],
      });
      await h.a.set("/not-found", null, { cacheControl: { revalidate: 60 } });
      for (const [key, value] of Object.entries(values)) {
        const ha = await h.a.get(key, { kind: "APP_PAGE" }), hb = await h.b.get(key, { kind: "APP_PAGE" });
        assert.deepEqual(hb, ha, key);
        assert.deepEqual(hb?.value, value, key);
      }
      const fetched = await h.b.get("fetch-key", { kind: "FETCH", tags: ["f"], softTags: ["_N_T_/"] });
      assert.deepEqual(fetched, await h.a.get("fetch-key", { kind: "FETCH", tags: ["f"], softTags: ["_N_T_/"] }));
      assert.equal(fetched?.cacheControl, undefined, "a fetch keeps no cacheControl");
      assert.deepEqual(await h.b.get("/not-found", { kind: "APP_PAGE" }), await h.a.get("/not-found", { kind: "APP_PAGE" }));
      assert.equal((await h.b.get("/not-found", { kind: "APP_PAGE" }))?.value, null);
      assert.equal(await h.b.get("/never-set", { kind: "APP_PAGE" }), null);
    });

    it("a revalidation on A reaches B's local copy; a stale profile serves it once more; fetch soft tags count", async (t) => {
      await using redis = await startRedis();
      if (redis === undefined) return t.skip("redis-server is not installed");
      using h = hosts(redis.url);
      await h.a.set("/blog", page("/blog", "posts,_N_T_/blog"), { cacheControl: { revalidate: 60, expire: 3600 } });
      await h.a.set("/about", page("/about", "about"), { cacheControl: { revalidate: 60, expire: 3600 } });
      const first = await h.b.get("/blog", { kind: "APP_PAGE" });
      assert.ok(first !== null);
      assert.ok((await h.b.get("/about", { kind: "APP_PAGE" })) !== null);
      await nextMs();
      await h.a.revalidateTag(["posts"], { expire: 3600 }); // Next 16's revalidateTag(tag, profile)
      const stale = await h.b.get("/blog", { kind: "APP_PAGE" });
      assert.ok(stale !== null && stale.lastModified < first.lastModified, "served once more, stale");
      const again = await h.b.get("/blog", { kind: "APP_PAGE" });
      assert.ok(again !== null && again.lastModified < first.lastModified, "B's record already has it: stale still");
      assert.deepEqual(await h.b.get("/about", { kind: "APP_PAGE" }), await h.a.get("/about", { kind: "APP_PAGE" }), "other tags untouched");
      await nextMs();
      await h.a.revalidateTag("_N_T_/blog"); // revalidatePath
      assert.equal(await h.b.get("/blog", { kind: "APP_PAGE" }), null);
      assert.equal(await h.localB().get("/blog", { kind: "APP_PAGE" }), null, "B's disk recorded it");
      // A fetch: checked against the tags and soft tags of the page that runs it.
      await h.b.set("f1", { kind: "FETCH", data: { headers: {}, body: "1", url: "u", status: 200 }, revalidate: 30, tags: ["api"] }, {
        fetchCache: true,
        tags: ["api"],
      });
      assert.ok((await h.a.get("f1", { kind: "FETCH", tags: ["api"], softTags: ["_N_T_/page"] })) !== null);
      await nextMs();
      await h.b.revalidateTag("_N_T_/page");
      assert.equal(await h.a.get("f1", { kind: "FETCH", tags: ["api"], softTags: ["_N_T_/page"] }), null, "A's copy, revalidated by B's soft tag");
      await h.b.set("f2", { kind: "FETCH", data: { headers: {}, body: "2", url: "u", status: 200 }, revalidate: 30, tags: ["api2"] });
      assert.equal((await h.a.get("f2", { kind: "FETCH" }))?.value?.kind, "FETCH", "a fetch set and read without a context");
      await h.a.revalidateTag([]);
      // An entry revalidated before B first reads it is not copied to B's disk.
      await h.a.set("/gone", page("/gone", "gone"), { cacheControl: { revalidate: 60 } });
      await nextMs();
      await h.a.revalidateTag("gone");
      assert.equal(await h.b.get("/gone", { kind: "APP_PAGE" }), null);
      assert.equal(await h.localB().get("/gone", { kind: "APP_PAGE" }), null);
    });

    it("Redis stopped: local hits answer, writes and revalidations do not fail, one warning", async (t) => {
      const redis = await startRedis();
      if (redis === undefined) return t.skip("redis-server is not installed");
      using h = hosts(redis.url);
      await h.a.set("/kept", page("/kept", "k"), { cacheControl: { revalidate: 60 } });
      assert.ok((await h.b.get("/kept", { kind: "APP_PAGE" })) !== null);
      await redis[Symbol.asyncDispose]();
      const warnings = await withConsole("warn", async () => {
        assert.equal((await h.b.get("/kept", { kind: "APP_PAGE" }))?.value?.html, "<p>/kept</p>", "a local hit");
        await h.b.set("/new", page("/new", "n"), { cacheControl: { revalidate: 60 } });
        assert.equal((await h.b.get("/new", { kind: "APP_PAGE" }))?.value?.html, "<p>/new</p>");
        await h.b.revalidateTag("n");
        assert.equal(await h.b.get("/new", { kind: "APP_PAGE" }), null, "recorded locally");
        assert.equal(await h.b.get("/only-remote", { kind: "APP_PAGE" }), null);
      });
      assert.equal(warnings.length, 1, JSON.stringify(warnings));
      assert.match(String(warnings[0]), /remote store could not .*local cache alone/);
    });

    it("B's disk locked by another process: a miss and a warning, never an entry revalidated on A", async (t) => {
      await using redis = await startRedis();
      if (redis === undefined) return t.skip("redis-server is not installed");
      using h = hosts(redis.url, undefined, { timeout: 50 });
      await h.a.set("/copied", page("/copied", "c"), { cacheControl: { revalidate: 60 } });
      await h.a.set("/remote-only", page("/remote-only", "r"), { cacheControl: { revalidate: 60 } });
      assert.ok((await h.b.get("/copied", { kind: "APP_PAGE" })) !== null);
      await nextMs();
      await h.a.revalidateTag("c");
      const warnings = await withConsole("warn", async () => {
        await using _lock = await holdLock(h.dirs[1]!.path);
        assert.equal(await h.b.get("/copied", { kind: "APP_PAGE" }), null, "revalidated on A, not recordable on B: a miss");
        assert.equal(await h.b.get("/remote-only", { kind: "APP_PAGE" }), null, "no local copy possible: a miss");
      });
      assert.ok(warnings.some((w) => /Cannot record other hosts' tag revalidations locally/.test(String(w))), JSON.stringify(warnings));
      assert.ok(warnings.some((w) => /Cannot keep a local copy of "\/remote-only"/.test(String(w))), JSON.stringify(warnings));
      assert.equal((await h.b.get("/remote-only", { kind: "APP_PAGE" }))?.value?.html, "<p>/remote-only</p>", "the lock gone, copied");
      assert.equal(await h.b.get("/copied", { kind: "APP_PAGE" }), null);
      h.b.resetRequestCache();
    });

    it("B's copy expires when the entry does (its expire counts from A's set, not from the copy)", async (t) => {
      await using redis = await startRedis();
      if (redis === undefined) return t.skip("redis-server is not installed");
      using dirA = tempDir();
      using dirB = tempDir();
      const remote = () => new Keyv({ store: new KeyvRedis(redis.url) });
      const A = createIncrementalCacheHandler({ directory: dirA.path, remote: remote() });
      // Host B's clock two hours ahead: the entry, stored by A with expire 3600 s, is past it there.
      const B = createIncrementalCacheHandler({ directory: dirB.path, remote: remote(), clock: () => Date.now() + 7_200_000 });
      try {
        await new A({}).set("/short", page("/short", "s"), { cacheControl: { revalidate: 60, expire: 3600 } });
        const warnings = await withConsole("warn", async () => {
          assert.equal(await new B({}).get("/short", { kind: "APP_PAGE" }), null);
        });
        assert.deepEqual(warnings, []);
      } finally {
        A.close();
        B.close();
      }
    });

    it("a cache-manager cache as the remote (no getMany: one get per tag)", async (t) => {
      await using redis = await startRedis();
      if (redis === undefined) return t.skip("redis-server is not installed");
      using h = hosts(redis.url, (u) => createCache({ stores: [new Keyv({ store: new KeyvRedis(u) })] }));
      await h.a.set("/cm", page("/cm", "x,y"), { cacheControl: { revalidate: 60 } });
      assert.equal((await h.b.get("/cm", { kind: "APP_PAGE" }))?.value?.html, "<p>/cm</p>");
      await nextMs();
      await h.a.revalidateTag("y");
      assert.equal(await h.b.get("/cm", { kind: "APP_PAGE" }), null);
    });

    it("a value in Redis that is not this handler's entry is a miss", async (t) => {
      await using redis = await startRedis();
      if (redis === undefined) return t.skip("redis-server is not installed");
      const raw = new Keyv({ store: new KeyvRedis(redis.url) });
      using h = hosts(redis.url);
      try {
        await raw.set("next:/foreign", "some other app's value");
        await raw.set("next:/damaged", "diskcache-next-1:!!!not base64 cbor");
        await raw.set("next-tag:odd", "not a record");
        await raw.set("next:/not-an-entry", "diskcache-next-1:" + Buffer.from([0x01]).toString("base64"));
        assert.equal(await h.b.get("/not-an-entry", { kind: "APP_PAGE" }), null);
        assert.equal(await h.b.get("/foreign", { kind: "APP_PAGE" }), null);
        assert.equal(await h.b.get("/damaged", { kind: "APP_PAGE" }), null);
        await h.a.set("/odd", page("/odd", "odd"), { cacheControl: { revalidate: 60 } });
        assert.ok((await h.b.get("/odd", { kind: "APP_PAGE" })) !== null, "a tag record that is not one is ignored");
      } finally {
        await raw.disconnect();
      }
    });
  });

  it("refuses a remote that is not a store, and remote options without a remote", () => {
    using dir = tempDir();
    const make = (o: object) => createIncrementalCacheHandler({ directory: dir.path, ...o });
    assert.throws(() => make({ remote: "redis://x" }), {
      name: "TypeError",
      message: /"remote" must be a store with get and set methods.*received "redis:\/\/x"/,
    });
    assert.throws(() => make({ remote: { get() {} } }), /"remote" must be a store/);
    assert.throws(() => make({ remoteTimeout: 10 }), /"remoteTimeout" is given without "remote"/);
    const store = { get: () => Promise.resolve(undefined), set: () => Promise.resolve(true) };
    assert.throws(() => make({ remote: store, remoteTimeout: 0 }), /"remoteTimeout" must be a positive number/);
    assert.throws(() => make({ remote: store, remoteTimeout: "1" }), /"remoteTimeout" must be a positive number/);
    const Handler: NextIncrementalCacheHandlerClass = make({ remote: store });
    Handler.close();
  });
});
