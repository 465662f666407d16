/**
 * {@linkcode createUseCacheHandler}: Next.js's `'use cache'` handler
 * (`cacheHandlers` in next.config) on a DiskCache shared by every process of
 * the host, surviving restarts, bounded by `sizeLimit`.
 *
 * @module
 */
import { engineOf } from "../disk_cache.ts";
import { describe } from "../errors.ts";
import { storedKey } from "../format/stored_key.ts";
import { find } from "../ops/items.ts";
import { PendingMarkers } from "./_pending.ts";
import { latestExpiry, revalidateTags, tagState } from "./_tags.ts";
import { lazyNextCache, type NextCacheOptions } from "./next_cache_options.ts";
import type { NextTagDurations, NextUseCacheEntry, NextUseCacheHandler } from "./types.ts";

/** An entry's fields but its body, stored as the item's tag (JSON) so both commit in one transaction. */
type Meta = Omit<NextUseCacheEntry, "value">;

/** An entry as `get` holds it in memory: its fields and its body's bytes (shared by every hit, as Next's own memory handler does). */
interface Held {
  meta: Meta;
  body: Uint8Array;
}

/** Next's "never expires" in seconds (`INFINITE_CACHE`); past it no ttl is set. */
const NEVER = 0xfffffffe;

function entryKey(key: string): [string, string] {
  return ["next-use-cache", key];
}

function checkKey(key: unknown, action: string): string {
  if (typeof key !== "string") throw new TypeError(`Cannot ${action} a 'use cache' entry: the key must be a string: received ${describe(key)}`);
  return key;
}

function checkTags(tags: unknown, action: string): string[] {
  if (!Array.isArray(tags) || tags.some((t) => typeof t !== "string")) {
    throw new TypeError(`Cannot ${action}: expected an array of tags: received ${describe(tags)}`);
  }
  return tags;
}

function bytesStream(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      if (bytes.byteLength > 0) controller.enqueue(bytes);
      controller.close();
    },
  });
}

/**
 * Creates the object that a Next.js `cacheHandlers` module exports (for
 * `'use cache'`, `'use cache: remote'` and the like). Entries live in one
 * DiskCache at `options.directory`, shared by every process of the host and
 * kept across restarts; the directory stays under `sizeLimit`.
 *
 * Next's contract, kept: a `get` for a key whose `set` is still pending in
 * this process waits for it; the entry's stream is written as it arrives
 * (large bodies to a value file, never held whole); a stream that errors
 * stores nothing; an entry is dropped once `timestamp + expire` has passed,
 * is served past `revalidate` (Next re-renders it in the background), and
 * entries with `expire: 0` (dynamic) are not stored; `cacheTag` tags and
 * the page's soft (implicit) tags are checked against the shared record of
 * revalidations that `updateTags` writes, in any process: an expired tag
 * makes a miss, a stale one (`revalidateTag(tag, profile)`) serves the entry
 * once more with `revalidate: -1`.
 *
 * @experimental **UNSTABLE**: Next's `'use cache'` handler contract changes
 * between minor versions.
 * @param options The directory and the cache's options (`sizeLimit`, ...).
 * @returns The handler.
 * @throws {TypeError} When `directory` is missing.
 *
 * @example The whole handler module (use-cache-handler.mjs)
 * ```ts ignore
 * import { createUseCacheHandler } from "@diskcache/diskcache/next";
 * import { userCacheDirectory } from "@diskcache/diskcache";
 * export default createUseCacheHandler({ directory: userCacheDirectory("next"), sizeLimit: 2 ** 30 });
 * ```
 *
 * @example A tag revalidation makes a miss
 * ```ts
 * import { mkdtempSync, rmSync } from "node:fs";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import assert from "node:assert/strict";
 * import { createUseCacheHandler } from "@diskcache/diskcache/next";
 * const directory = mkdtempSync(join(tmpdir(), "next-"));
 * const handler = createUseCacheHandler({ directory });
 * const entry = { value: new Blob(["posts"]).stream(), tags: ["posts"], stale: 0, timestamp: Date.now() - 1, expire: 60, revalidate: 30 };
 * await handler.set("k", Promise.resolve(entry));
 * assert.equal(await new Response((await handler.get("k", []))!.value).text(), "posts");
 * await handler.updateTags(["posts"]);
 * assert.equal(await handler.get("k", []), undefined);
 * handler.close();
 * rmSync(directory, { recursive: true, force: true });
 * ```
 */
export function createUseCacheHandler(options: NextCacheOptions): NextUseCacheHandler {
  const lazy = lazyNextCache<Held>(options, "the Next.js 'use cache' handler");
  // Sets still streaming in this process, by key: a get of the key waits for its set.
  const pending = new Map<string, Promise<void>>();
  // The same, as other processes see them.
  const markers = new PendingMarkers();
  const revalidate = (tags: string[], durations?: NextTagDurations): void => {
    const { cache, memo } = lazy.open();
    try {
      revalidateTags(cache, tags, durations);
    } finally {
      memo?.tags.clear();
    }
  };

  return {
    async get(cacheKey: string, softTags: string[]): Promise<NextUseCacheEntry | undefined> {
      checkKey(cacheKey, "get");
      const soft = softTags === undefined ? [] : checkTags(softTags, "get a 'use cache' entry");
      const wait = pending.get(cacheKey);
      if (wait !== undefined) await wait;
      let cache, memo, held: Held | undefined;
      try {
        ({ cache, memo } = lazy.open());
        memo?.sync();
        held = memo?.get(cacheKey);
        if (held === undefined) {
          await markers.wait(cache, cacheKey);
          const found = find(engineOf(cache), storedKey(entryKey(cacheKey)));
          if (found === undefined || typeof found.tag !== "string" || !(found.value instanceof Uint8Array)) return undefined;
          held = { meta: JSON.parse(found.tag) as Meta, body: found.value };
          const { rowid, storeTime, expireTime: expire } = found;
          memo?.put(cacheKey, { value: held, rowid, storeTime, expire, bytes: held.body.byteLength + 2 * found.tag.length });
        }
      } catch (error) {
        // A cache that cannot answer costs a render, not a failed request; it says so.
        console.warn(`DiskCache Next.js 'use cache' handler: Cannot get ${JSON.stringify(cacheKey)}, answering a miss: ${error}`);
        return undefined;
      }
      // Past timestamp + expire the row itself has expired (its ttl): a miss above.
      const { meta } = held;
      const state = tagState(cache, soft.length === 0 ? meta.tags : [...meta.tags, ...soft], meta.timestamp, memo?.tags);
      if (state === "expired") return undefined;
      return { ...meta, tags: [...meta.tags], revalidate: state === "stale" ? -1 : meta.revalidate, value: bytesStream(held.body) };
    },

    async set(cacheKey: string, pendingEntry: Promise<NextUseCacheEntry>): Promise<void> {
      checkKey(cacheKey, "set");
      let done = (): void => {};
      const promise = new Promise<void>((resolve) => (done = resolve));
      pending.set(cacheKey, promise);
      let unmark = (): Promise<void> => Promise.resolve();
      try {
        const { cache, memo } = lazy.open();
        unmark = await markers.mark(cache, cacheKey);
        const entry = await pendingEntry;
        const { value, ...meta } = entry;
        const left = meta.expire >= NEVER ? undefined : meta.timestamp + meta.expire * 1000 - cache.now;
        // expire 0 is a dynamic entry, regenerated on every read: storing it would be a wasted write.
        if (!(meta.expire > 0) || (left !== undefined && left <= 0)) {
          await value.cancel().catch(() => {});
          return;
        }
        const tag = JSON.stringify(
          {
            tags: checkTags(meta.tags, "set a 'use cache' entry"),
            stale: meta.stale,
            timestamp: meta.timestamp,
            expire: meta.expire,
            revalidate: meta.revalidate,
          } satisfies Meta,
        );
        try {
          await cache.setStream(entryKey(cacheKey), value, { ttl: left, tag });
        } finally {
          memo?.delete(cacheKey);
        }
      } catch {
        // A pending entry that rejects or a stream that errors stores nothing (setStream
        // commits only once the stream has ended), as Next's own handler does.
      } finally {
        await unmark();
        if (pending.get(cacheKey) === promise) pending.delete(cacheKey);
        done();
      }
    },

    refreshTags(): Promise<void> {
      return Promise.resolve();
    },

    getExpiration(...args: string[] | [string[]]): Promise<number> {
      // Next 16 passes one array; Next 15 spread the tags.
      const tags = Array.isArray(args[0]) ? args[0] : args;
      return Promise.resolve().then(() => {
        const { cache, memo } = lazy.open();
        memo?.sync();
        return latestExpiry(cache, checkTags(tags, "getExpiration"), memo?.tags);
      });
    },

    expireTags(...tags: string[]): Promise<void> {
      return Promise.resolve().then(() => revalidate(checkTags(tags, "expireTags")));
    },

    receiveExpiredTags(...tags: string[]): Promise<void> {
      // Next 15.0-15.5 pass on tags revalidated elsewhere; recording them is what expireTags does.
      return Promise.resolve().then(() => revalidate(checkTags(tags, "receiveExpiredTags")));
    },

    updateTags(tags: string[], durations?: NextTagDurations): Promise<void> {
      return Promise.resolve().then(() => revalidate(checkTags(tags, "updateTags"), durations));
    },

    close(): void {
      lazy.close();
    },
  };
}
