/**
 * The incremental cache handler beyond one host: the local DiskCache as a
 * bounded tier in front of a store every host shares (Redis through Keyv or
 * cache-manager), which is also the record of tag revalidations.
 *
 * - `set` writes the entry to both, with the same stored time.
 * - `get` answers a local hit only after reading the remote records of the
 *   entry's tags (one `getMany`): a revalidation made on another host is
 *   copied into the local record, and the local entry then misses (or is
 *   served stale, for Next 16's `revalidateTag(tag, profile)`). A local miss
 *   reads the remote entry, checks its tags the same way, and keeps a local
 *   copy with the time it was first stored (so its revalidate period and
 *   later revalidations count from then, not from the copy).
 * - `revalidateTag` records locally and remotely.
 * - A remote that fails or does not answer within `remoteTimeout` is left
 *   out for {@linkcode RETRY_AFTER_MS} (one warning): local hits answer,
 *   writes go to the local tier, and the request never fails for it.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import type { DiskCache } from "../disk_cache.ts";
import { describe } from "../errors.ts";
import { decodeStructured, encodeStructured } from "../format/codec.ts";
import { revalidated, tagKey, type TagRecord, tagState } from "./_tags.ts";
import { decodeValue, encodeValue, type StoredValue } from "./_values.ts";
import type { NextCacheOptions } from "./next_cache_options.ts";
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

/**
 * The shared store behind the local cache: a Keyv instance (for example
 * `new Keyv(new KeyvRedis(url))`), a cache-manager cache, or anything with
 * these methods. Values written are strings and small plain objects; `ttl`
 * is in milliseconds, as Keyv and cache-manager take it.
 *
 * @example Redis through Keyv
 * ```ts ignore
 * import Keyv from "keyv";
 * import KeyvRedis from "@keyv/redis";
 * import type { NextRemoteStore } from "@diskcache/diskcache/next";
 * const remote: NextRemoteStore = new Keyv(new KeyvRedis("redis://127.0.0.1:6379"));
 * ```
 */
export interface NextRemoteStore {
  /** The value under `key`, or `undefined`. */
  get(key: string): Promise<unknown>;
  /** Stores `value` under `key`, for `ttl` milliseconds when given. */
  set(key: string, value: unknown, ttl?: number): Promise<unknown>;
  /** The values under `keys`, in order (Keyv's `getMany`); else one `get` per key. */
  getMany?(keys: string[]): Promise<unknown[]>;
  /** Closes the connection (called by the handler class's `close()`). */
  disconnect?(): Promise<unknown> | void;
}

/**
 * Options of {@linkcode createIncrementalCacheHandler}: the local cache's
 * ({@linkcode NextCacheOptions}) and, for a site on several hosts, the
 * shared store the local cache sits in front of.
 *
 * @example Two lines more than one host's handler module
 * ```ts ignore
 * import Keyv from "keyv";
 * import KeyvRedis from "@keyv/redis";
 * import { userCacheDirectory } from "@diskcache/diskcache";
 * import { createIncrementalCacheHandler } from "@diskcache/diskcache/next";
 * export default createIncrementalCacheHandler({
 *   directory: userCacheDirectory("my-app-next"),
 *   sizeLimit: 2 ** 30,
 *   remote: new Keyv(new KeyvRedis(process.env.REDIS_URL)),
 * });
 * ```
 */
export interface NextIncrementalCacheOptions extends NextCacheOptions {
  /**
   * The store every host shares (Redis through Keyv, ...): entries are
   * written to it and read from it on a local miss, and it holds the record
   * of tag revalidations that every `get` consults.
   */
  remote?: NextRemoteStore | undefined;
  /**
   * Milliseconds to wait for the remote store before answering from the
   * local tier alone (and leaving the remote out for a few seconds).
   *
   * @default {500}
   */
  remoteTimeout?: number | undefined;
}

/** How long a remote that failed is left out before it is tried again. */
export const RETRY_AFTER_MS = 5000;

/** The ctx field through which the remote tier gives the local `set` the entry's first stored time. */
export const STORED_AT: unique symbol = Symbol("diskcache.next.storedAt");

/** The stored time the remote tier passed in `ctx`, if any. */
export function storedAt(ctx: NextSetContext | undefined): number | undefined {
  const at = (ctx as Record<symbol, unknown> | undefined)?.[STORED_AT];
  return typeof at === "number" ? at : undefined;
}

/** An entry as the remote store keeps it. */
interface RemoteEntry {
  /** When it was first stored, epoch ms. */
  m: number;
  /** Its tags. */
  t: string[];
  /** The lifetimes `set` was given. */
  c: NextCacheControl | null;
  /** The value, `Buffer`s marked. */
  s: StoredValue;
}

/** The prefix of an encoded remote entry: the format's version. */
const ENTRY_PREFIX = "diskcache-next-1:";

/** Splits the local cache's options from the remote tier's; `undefined` without `remote`. */
export function splitRemoteOptions(options: NextIncrementalCacheOptions): [NextCacheOptions, RemoteTier | undefined] {
  if (options === null || typeof options !== "object") return [options, undefined];
  const { remote, remoteTimeout, ...local } = options;
  if (remote === undefined) {
    if (remoteTimeout !== undefined) throw optionError(`"remoteTimeout" is given without "remote"`);
    return [local, undefined];
  }
  if (remote === null || typeof remote !== "object" || typeof remote.get !== "function" || typeof remote.set !== "function") {
    throw optionError(`"remote" must be a store with get and set methods (a Keyv instance, a cache-manager cache): received ${describe(remote)}`);
  }
  const timeout = remoteTimeout ?? 500;
  if (typeof timeout !== "number" || !(timeout > 0) || !Number.isFinite(timeout)) {
    throw optionError(`"remoteTimeout" must be a positive number of milliseconds: received ${describe(remoteTimeout)}`);
  }
  return [local, new RemoteTier(remote, timeout)];
}

function optionError(message: string): TypeError {
  return new TypeError(`Cannot create the Next.js incremental cache handler: ${message}`);
}

/** The shared store, each call bounded by the timeout and left out for a while after a failure. */
export class RemoteTier {
  #downUntil = 0;
  readonly store: NextRemoteStore;
  readonly timeout: number;
  constructor(store: NextRemoteStore, timeout: number) {
    this.store = store;
    this.timeout = timeout;
  }

  async #call<T>(what: string, fn: () => Promise<T>): Promise<T | undefined> {
    if (Date.now() < this.#downUntil) return undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${this.timeout} ms`)), this.timeout);
      });
      return await Promise.race([fn(), late]);
    } catch (error) {
      this.#downUntil = Date.now() + RETRY_AFTER_MS;
      console.warn(
        `DiskCache Next.js handler: the remote store could not ${what} (${error}); answering from the local cache alone for the next ${
          RETRY_AFTER_MS / 1000
        } s (revalidations made on other hosts in that time are not seen)`,
      );
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  #getMany(keys: string[]): Promise<unknown[]> {
    const store = this.store;
    return typeof store.getMany === "function" ? store.getMany(keys) : Promise.all(keys.map((k) => store.get(k)));
  }

  /** The remote records of `tags` (absent ones omitted), or `undefined` when the remote did not answer. */
  tags(tags: readonly string[]): Promise<Map<string, TagRecord> | undefined> {
    const unique = [...new Set(tags)];
    if (unique.length === 0) return Promise.resolve(new Map());
    return this.#call("read tag revalidations", async () => {
      const values = await this.#getMany(unique.map(remoteTagKey));
      const out = new Map<string, TagRecord>();
      unique.forEach((tag, i) => {
        const record = asTagRecord(values[i]);
        if (record !== undefined) out.set(tag, record);
      });
      return out;
    });
  }

  /** Records a revalidation of `tags` at `now` in the remote store. */
  async revalidate(tags: readonly string[], now: number, durations: NextTagDurations | undefined): Promise<void> {
    const unique = [...new Set(tags)];
    if (unique.length === 0) return;
    await this.#call("record a tag revalidation", async () => {
      const old = await this.#getMany(unique.map(remoteTagKey));
      await Promise.all(unique.map((tag, i) => this.store.set(remoteTagKey(tag), revalidated(asTagRecord(old[i]), now, durations))));
    });
  }

  /** The remote entry under `key`, or `undefined` (a miss, an unreadable value, a remote that did not answer). */
  async entry(key: string): Promise<RemoteEntry | undefined> {
    const raw = await this.#call("read an entry", () => this.store.get(remoteEntryKey(key)));
    if (typeof raw !== "string" || !raw.startsWith(ENTRY_PREFIX)) return undefined;
    try {
      const entry = decodeStructured(Buffer.from(raw.slice(ENTRY_PREFIX.length), "base64")) as RemoteEntry;
      return typeof entry?.m === "number" && Array.isArray(entry.t) && entry.s !== undefined ? entry : undefined;
    } catch {
      return undefined; // not ours, or damaged: a miss
    }
  }

  /** Writes an entry, for `ttl` ms when given. */
  async setEntry(key: string, entry: RemoteEntry, ttl: number | undefined): Promise<void> {
    const raw = ENTRY_PREFIX + Buffer.from(encodeStructured(entry, "value", false)).toString("base64");
    await this.#call("store an entry", () => this.store.set(remoteEntryKey(key), raw, ttl));
  }

  disconnect(): void {
    Promise.resolve().then(() => this.store.disconnect?.()).catch(() => {});
  }
}

function remoteEntryKey(key: string): string {
  return `next:${key}`;
}

function remoteTagKey(tag: string): string {
  return `next-tag:${tag}`;
}

function asTagRecord(value: unknown): TagRecord | undefined {
  if (value === null || typeof value !== "object") return undefined;
  const { stale, expired } = value as Record<string, unknown>;
  const record: TagRecord = {};
  if (typeof stale === "number") record.stale = stale;
  if (typeof expired === "number") record.expired = expired;
  return record;
}

/**
 * Copies the remote records into the local record where they are later
 * (each field the later of the two); answers whether anything changed.
 */
function mergeTags(cache: DiskCache, remote: Map<string, TagRecord>): boolean {
  if (remote.size === 0) return false;
  const tags = [...remote.keys()];
  const local = cache.getMany<TagRecord>(tags.map(tagKey));
  const changes: [string, TagRecord][] = [];
  tags.forEach((tag, i) => {
    const mine = local[i] ?? {}, theirs = remote.get(tag)!;
    const merged: TagRecord = { ...mine };
    let changed = false;
    for (const field of ["stale", "expired"] as const) {
      const value = theirs[field];
      if (value !== undefined && !(mine[field]! >= value)) {
        merged[field] = value;
        changed = true;
      }
    }
    if (changed) changes.push([tag, merged]);
  });
  if (changes.length === 0) return false;
  cache.transact(() => {
    for (const [tag, record] of changes) cache.set(tagKey(tag), record);
  });
  return true;
}

/** The tags an entry is checked against on `get`: its own, and a fetch's tags and soft tags from `ctx`. */
function getTags(own: string[], ctx: NextGetContext | undefined): string[] {
  return ctx?.kind === "FETCH" ? [...own, ...(ctx.tags ?? []), ...(ctx.softTags ?? [])] : own;
}

/** Next's "never expires" in seconds (`INFINITE_CACHE`); past it no ttl is set. */
const NEVER = 0xfffffffe;

/**
 * The handler class of the local tier `Local` in front of `tier`.
 * `tagsOf` gives the tags the local handler stores with a value;
 * `tagsWritten` is called after this tier wrote tag records into the local
 * cache (the local handler's memory of records does not see its own
 * connection's writes, so it must forget them).
 */
export function withRemoteTier(
  Local: NextIncrementalCacheHandlerClass,
  open: () => DiskCache,
  tier: RemoteTier,
  tagsOf: (value: NextIncrementalCacheValue | null, ctx: NextSetContext | undefined) => string[],
  tagsWritten: () => void = () => {},
): NextIncrementalCacheHandlerClass {
  return class DiskCacheTieredIncrementalHandler implements NextIncrementalCacheHandler {
    readonly #local: NextIncrementalCacheHandler;

    /** Closes the local cache and the remote store's connection. */
    static close(): void {
      Local.close();
      tier.disconnect();
    }

    constructor(ctx?: { revalidatedTags?: string[] | undefined; [field: string]: unknown }) {
      this.#local = new Local(ctx);
    }

    async get(key: string, ctx?: NextGetContext): Promise<NextCacheHandlerValue | null> {
      const hit = await this.#local.get(key, ctx);
      if (hit !== null) {
        // The remote holds the revalidations made on every host: one read of the entry's tags.
        const records = await tier.tags(getTags(tagsOf(hit.value, undefined), ctx));
        if (records === undefined) return hit; // the remote did not answer: this host's record alone
        const merged = this.#merge(records);
        // Not recorded locally (the disk locked past its timeout): a miss, never an entry revalidated elsewhere.
        if (merged === "failed") return null;
        return merged === "changed" ? this.#local.get(key, ctx) : hit;
      }
      const entry = await tier.entry(key);
      if (entry === undefined) return null;
      const tags = getTags(entry.t, ctx);
      const records = await tier.tags(tags);
      if (records !== undefined) this.#merge(records);
      if (records?.size && tagState(open(), tags, entry.m) === "expired") return null; // revalidated since: no copy
      const value = decodeValue(entry.s) as NextIncrementalCacheValue | null;
      try {
        // Kept locally with its first stored time: its revalidate period and later revalidations count from then.
        const copy: NextSetContext = { fetchCache: value?.kind === "FETCH", tags: entry.t, [STORED_AT]: entry.m };
        if (entry.c !== null) copy.cacheControl = entry.c;
        await this.#local.set(key, value, copy);
      } catch (error) {
        console.warn(`DiskCache Next.js handler: Cannot keep a local copy of ${JSON.stringify(key)}, answering a miss: ${error}`);
        return null;
      }
      return this.#local.get(key, ctx);
    }

    #merge(records: Map<string, TagRecord>): "changed" | "unchanged" | "failed" {
      try {
        if (!mergeTags(open(), records)) return "unchanged";
        tagsWritten();
        return "changed";
      } catch (error) {
        console.warn(`DiskCache Next.js handler: Cannot record other hosts' tag revalidations locally, answering a miss: ${error}`);
        return "failed";
      }
    }

    async set(key: string, data: NextIncrementalCacheValue | null, ctx?: NextSetContext): Promise<void> {
      const m = Math.floor(open().now);
      await this.#local.set(key, data, { ...ctx, [STORED_AT]: m });
      const control = ctx?.fetchCache ? null : (ctx?.cacheControl ?? null);
      const expire = control?.expire;
      const ttl = typeof expire === "number" && expire > 0 && expire < NEVER ? expire * 1000 : undefined;
      await tier.setEntry(key, { m, t: tagsOf(data, ctx), c: control, s: encodeValue(data) }, ttl);
    }

    async revalidateTag(tags: string | string[], durations?: NextTagDurations): Promise<void> {
      await this.#local.revalidateTag(tags, durations);
      await tier.revalidate(typeof tags === "string" ? [tags] : tags, Math.floor(open().now), durations);
    }

    resetRequestCache(): void {
      this.#local.resetRequestCache();
    }
  };
}
