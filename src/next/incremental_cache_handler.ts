/**
 * {@linkcode createIncrementalCacheHandler}: Next.js's `cacheHandler` (ISR
 * pages, route handlers, `fetch` results) on a DiskCache shared by every
 * process of the host, bounded by `sizeLimit`.
 *
 * @module
 */
import { engineOf } from "../disk_cache.ts";
import { describe } from "../errors.ts";
import { storedKey } from "../format/stored_key.ts";
import { find } from "../ops/items.ts";
import { estimateBytes } from "./_memo.ts";
import { revalidateTags, tagState } from "./_tags.ts";
import { decodeValue, encodeValue, type StoredValue } from "./_values.ts";
import { lazyNextCache } from "./next_cache_options.ts";
import { type NextIncrementalCacheOptions, splitRemoteOptions, storedAt, withRemoteTier } from "./remote_tier.ts";
import type {
  NextCacheControl,
  NextCacheHandlerValue,
  NextGetContext,
  NextIncrementalCacheHandler,
  NextIncrementalCacheHandlerClass,
  NextIncrementalCacheValue,
  NextSetContext,
  NextTagDurations,
} from "./types.ts";

/** One stored entry. */
interface Stored {
  /** When it was stored (epoch ms, the cache's clock). */
  m: number;
  /** Its tags: a fetch's own, or a page's `x-next-cache-tags` (implicit ones included). */
  t: string[];
  /** The lifetimes `set` was given. */
  c: NextCacheControl | null;
  /** The value, `Buffer`s marked. */
  s: StoredValue;
}

/** An entry as `get` holds it in memory: the stored fields, the value decoded (its `Buffer`s restored). */
interface Decoded {
  m: number;
  t: string[];
  c: NextCacheControl | null;
  value: NextIncrementalCacheValue | null;
}

/**
 * What a hit hands out: a copy of the held value two levels deep (the value,
 * and its objects and `Map`s such as `headers` and `segmentData`), so that a
 * caller reassigning a field changes nothing held; strings and `Buffer`s are
 * shared (see `_memo.ts`).
 */
function handOut(value: NextIncrementalCacheValue | null): NextIncrementalCacheValue | null {
  if (value === null) return null;
  const out: Record<string, unknown> = { ...value };
  for (const [field, v] of Object.entries(out)) {
    if (v instanceof Map) out[field] = new Map(v);
    else if (v !== null && typeof v === "object" && !ArrayBuffer.isView(v)) out[field] = Array.isArray(v) ? [...v] : { ...v };
  }
  return out as NextIncrementalCacheValue;
}

/** The header in which Next lists a page's tags, implicit path tags included. */
const TAGS_HEADER = "x-next-cache-tags";
/** Next's "never expires" in seconds (`INFINITE_CACHE`); past it no ttl is set. */
const NEVER = 0xfffffffe;

function entryKey(key: string): [string, string] {
  return ["next-incremental", key];
}

function tagsOf(value: NextIncrementalCacheValue | null, ctx: NextSetContext | undefined): string[] {
  if (value === null) return [];
  if (value.kind === "FETCH") {
    const own = Array.isArray(value.tags) ? value.tags as string[] : [];
    return [...new Set([...own, ...(ctx?.tags ?? [])])];
  }
  const header = (value.headers as Record<string, unknown> | undefined)?.[TAGS_HEADER];
  if (typeof header === "string" && header !== "") return header.split(",");
  if (Array.isArray(header)) return header.flatMap((h) => String(h).split(","));
  return [];
}

/**
 * For a stale tag (Next 16's `revalidateTag(tag, profile)`): a `lastModified`
 * old enough that Next serves the entry once more and re-renders it in the
 * background, or `-1` (a blocking re-render) when the entry has no
 * revalidate period to be past.
 */
function staleLastModified(stored: Decoded, now: number, ctx: NextGetContext | undefined): number {
  const value = stored.value;
  const revalidate = value?.kind === "FETCH" ? (ctx?.revalidate ?? value.revalidate) : stored.c?.revalidate;
  if (typeof revalidate !== "number" || !(revalidate >= 0)) return -1;
  const expire = stored.c?.expire;
  const shifted = Math.floor(now - revalidate * 1000) - 1;
  if (typeof expire === "number" && shifted + expire * 1000 < now) return -1;
  return Math.min(stored.m, shifted);
}

/**
 * Creates the class that a Next.js `cacheHandler` module exports as its
 * default. Every instance of it (Next makes one per server and build worker)
 * reads and writes one DiskCache at `options.directory`: every process of
 * the host that points at the directory shares the pages, route handler
 * responses and fetch results, and a `revalidateTag`/`revalidatePath`/
 * `updateTag` in any of them is seen by the next `get` in all of them.
 * The directory stays under `sizeLimit` (least recently used entries go
 * first; an evicted page is rendered again). Values are stored exactly as
 * Next gives them (`Buffer`s, the segment-data `Map`, headers, status,
 * postponed state). Set `cacheMaxMemorySize: 0` in next.config so that
 * Next's per-process memory layer does not answer in front of it.
 *
 * @experimental **UNSTABLE**: Next's cache handler contract changes between
 * minor versions.
 * With `remote` (a Keyv or cache-manager store every host shares, Redis
 * for one), the cache is the local tier in front of it: see
 * {@linkcode NextIncrementalCacheOptions} and docs/next.md.
 *
 * @param options The directory and the cache's options (`sizeLimit`, ...), and `remote`.
 * @returns The handler class (with a static `close()`).
 * @throws {TypeError} When `directory` is missing or `remote` is not a store.
 *
 * @example The whole handler module (cache-handler.mjs)
 * ```ts ignore
 * import { createIncrementalCacheHandler } from "@diskcache/diskcache/next";
 * import { userCacheDirectory } from "@diskcache/diskcache";
 * export default createIncrementalCacheHandler({ directory: userCacheDirectory("next"), sizeLimit: 2 ** 30 });
 * ```
 *
 * @example A page round-trips with its tags
 * ```ts
 * import { mkdtempSync, rmSync } from "node:fs";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { Buffer } from "node:buffer";
 * import assert from "node:assert/strict";
 * import { createIncrementalCacheHandler } from "@diskcache/diskcache/next";
 * const directory = mkdtempSync(join(tmpdir(), "next-"));
 * const Handler = createIncrementalCacheHandler({ directory });
 * const handler = new Handler({});
 * const page = {
 *   kind: "APP_PAGE", html: "<p>hi</p>", rscData: Buffer.from("rsc"), status: 200, postponed: undefined,
 *   headers: { "x-next-cache-tags": "posts,_N_T_/blog" }, segmentData: new Map([["/_tree", Buffer.from("t")]]),
 * };
 * await handler.set("/blog", page, { cacheControl: { revalidate: 60, expire: 3600 } });
 * assert.deepEqual((await handler.get("/blog", { kind: "APP_PAGE" }))?.value, page);
 * await handler.revalidateTag("posts");
 * assert.equal(await handler.get("/blog", { kind: "APP_PAGE" }), null);
 * Handler.close();
 * rmSync(directory, { recursive: true, force: true });
 * ```
 */
export function createIncrementalCacheHandler(options: NextIncrementalCacheOptions): NextIncrementalCacheHandlerClass {
  const [local, remote] = splitRemoteOptions(options);
  const lazy = lazyNextCache<Decoded>(local, "the Next.js incremental cache handler");
  const Local = class DiskCacheIncrementalHandler implements NextIncrementalCacheHandler {
    readonly #revalidated: readonly string[];

    /** Closes the cache the class opened. */
    static close(): void {
      lazy.close();
    }

    constructor(ctx?: { revalidatedTags?: string[] | undefined; [field: string]: unknown }) {
      this.#revalidated = Array.isArray(ctx?.revalidatedTags) ? ctx.revalidatedTags : [];
    }

    get(key: string, ctx?: NextGetContext): Promise<NextCacheHandlerValue | null> {
      if (typeof key !== "string") return Promise.reject(keyError(key, "get"));
      return Promise.resolve().then(() => this.#read(key, ctx)).catch((error: unknown) => {
        // A cache that cannot answer (a locked database past its timeout, an entry this
        // version cannot read) costs a render, not a failed request; it says so.
        console.warn(`DiskCache Next.js handler: Cannot get ${JSON.stringify(key)}, answering a miss: ${error}`);
        return null;
      });
    }

    #read(key: string, ctx: NextGetContext | undefined): NextCacheHandlerValue | null {
      const { cache, memo } = lazy.open();
      memo?.sync();
      let stored = memo?.get(key);
      if (stored === undefined) {
        const found = find(engineOf(cache), storedKey(entryKey(key)));
        if (found === undefined) return null;
        const { m, t, c, s } = found.value as Stored;
        stored = { m, t, c, value: decodeValue(s) as NextIncrementalCacheValue | null };
        const { rowid, storeTime, expireTime: expire } = found;
        memo?.put(key, { value: stored, rowid, storeTime, expire, bytes: estimateBytes(stored) });
      }
      const isFetch = ctx?.kind === "FETCH";
      const tags = isFetch ? [...stored.t, ...(ctx?.tags ?? []), ...(ctx?.softTags ?? [])] : stored.t;
      // Tags revalidated earlier in this request (Next passes them in): a fetch reads fresh at once.
      if (isFetch && tags.some((t) => this.#revalidated.includes(t))) return null;
      const state = tagState(cache, tags, stored.m, memo?.tags);
      if (state === "expired") return null;
      const out: NextCacheHandlerValue = {
        lastModified: state === "stale" ? staleLastModified(stored, cache.now, ctx) : stored.m,
        value: handOut(stored.value),
      };
      if (stored.c !== null) out.cacheControl = { ...stored.c };
      return out;
    }

    set(key: string, data: NextIncrementalCacheValue | null, ctx?: NextSetContext): Promise<void> {
      return Promise.resolve().then(() => {
        checkKey(key, "set");
        if (data !== null && (typeof data !== "object" || typeof data.kind !== "string")) {
          throw new TypeError(`Cannot set ${JSON.stringify(key)}: expected a Next.js cache value with a "kind", or null: received ${describe(data)}`);
        }
        const { cache, memo } = lazy.open();
        const control = ctx?.fetchCache ? null : (ctx?.cacheControl ?? null);
        const stored: Stored = { m: storedAt(ctx) ?? Math.floor(cache.now), t: tagsOf(data, ctx), c: control, s: encodeValue(data) };
        const expire = control?.expire;
        // From when it was first stored: a copy from the remote tier expires with the entry, not `expire` after the copy.
        const ttl = typeof expire === "number" && expire > 0 && expire < NEVER ? Math.max(0, expire * 1000 - (cache.now - stored.m)) : undefined;
        try {
          cache.set(entryKey(key), stored, { ttl });
        } finally {
          memo?.delete(key);
        }
      });
    }

    revalidateTag(tags: string | string[], durations?: NextTagDurations): Promise<void> {
      return Promise.resolve().then(() => {
        const list = typeof tags === "string" ? [tags] : tags;
        if (!Array.isArray(list) || list.some((t) => typeof t !== "string")) {
          throw new TypeError(`Cannot revalidateTag: expected a tag or an array of tags: received ${describe(tags)}`);
        }
        const { cache, memo } = lazy.open();
        try {
          revalidateTags(cache, list, durations);
        } finally {
          memo?.tags.clear();
        }
      });
    }

    resetRequestCache(): void {}
  };
  // Tag records the remote tier copies in are written by this connection, which the memory of records does not see.
  return remote === undefined ? Local : withRemoteTier(Local, () => lazy.open().cache, remote, tagsOf, () => lazy.open().memo?.tags.clear());
}

function keyError(key: unknown, action: string): TypeError {
  return new TypeError(`Cannot ${action} a Next.js cache entry: the key must be a string: received ${describe(key)}`);
}

function checkKey(key: unknown, action: string): string {
  if (typeof key !== "string") throw keyError(key, action);
  return key;
}
