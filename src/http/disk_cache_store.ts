/**
 * {@linkcode DiskCacheStore}: a DiskCache as the store of undici's cache
 * interceptor, so that Node's own `fetch` caches HTTP responses on disk.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { Readable, Writable } from "node:stream";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import { adoptOrOpen, DiskCache, type DiskCacheOptions } from "../disk_cache.ts";
import { FanoutCache } from "../fanout.ts";
import {
  BodySink,
  type CacheBackend,
  commitVariant,
  DEFAULT_MAX_INLINE_BODY,
  deleteUrl,
  ITEM_HEADROOM,
  openBody,
  readVariants,
  replacedBy,
  selectVariant,
  shardFor,
  type SunkBody,
  type Variant,
  type VaryMap,
} from "./_records.ts";

/** The request a cached response is looked up or stored for (undici's `CacheKey`). */
export interface CacheKey {
  /** Scheme, host and port, e.g. `"http://localhost:8080"`. */
  origin: string;
  /** The request method. */
  method: string;
  /** Path and query. */
  path: string;
  /** Request headers, names in lower case. */
  headers?: Record<string, string | string[]>;
}

/** Cache-Control directives of a stored response, as undici parses them. */
export type CacheControlDirectives = Record<string, true | number | string[] | undefined>;

/** A response to store (undici's `CacheValue`); the body arrives through the write stream. */
export interface CacheValue {
  /** The status code. */
  statusCode: number;
  /** The status text. */
  statusMessage: string;
  /** Response headers. */
  headers: Record<string, string | string[]>;
  /** Request header values the response's `Vary` selects (`null`: absent from the request). */
  vary?: VaryMap;
  /** The response's strong validator, when usable. */
  etag?: string;
  /** The response's Cache-Control directives. */
  cacheControlDirectives?: CacheControlDirectives;
  /** When it was stored (epoch ms). */
  cachedAt: number;
  /** When it turns stale (epoch ms). */
  staleAt: number;
  /** When it must be forgotten (epoch ms); kept until then for revalidation. */
  deleteAt: number;
}

/** A stored response as {@linkcode DiskCacheStore.get} answers it (undici's `GetResult`). */
export interface GetResult extends CacheValue {
  /** The body: a one-chunk array when small, else a stream from its value file. */
  body: Buffer[] | Readable;
  /** The response's Cache-Control directives. */
  cacheControlDirectives: CacheControlDirectives;
}

/** Options of {@linkcode DiskCacheStore}: the store's own, then the cache's when the store opens it. */
export interface DiskCacheStoreOptions extends DiskCacheOptions {
  /**
   * The largest body stored, in bytes; a longer one is dropped as it
   * arrives and leaves nothing behind. The cache's `sizeLimit` bounds it too.
   *
   * @default {Infinity}
   */
  maxEntrySize?: number;
  /**
   * The largest body, in bytes, stored in a row in SQLite rather than in a
   * value file of its own: the only body of a URL lives in the URL's row (a
   * hit on it is one row read, with no second lookup and no file to open);
   * with several `Vary` variants, each body past 16 KiB has a row of its own
   * (a hit reads the variants' headers, then one body). Such a body is held
   * in memory while it arrives, and read whole on a hit; so this bounds the
   * memory of one write and of one hit. Bodies below the cache's
   * `minFileSize` are always inline; larger ones than this stream into value
   * files, read whole on a hit up to 4 MiB and streamed beyond.
   *
   * @default {1048576} (1 MiB)
   */
  maxInlineBody?: number;
  /** Called with errors the store hides from undici (a body that could not be written). */
  onError?: (error: unknown) => void;
}

type Meta = Omit<CacheValue, "vary" | "deleteAt">;

/** Prefix of the URL items this store writes. */
export const STORE_PREFIX = "undici:";
const BODY_PREFIX = "undici-body:";

/**
 * undici's `CacheStore` on a {@linkcode DiskCache} (or a
 * {@linkcode FanoutCache}): responses persist across restarts, many
 * processes share one directory, the cache's `sizeLimit` and eviction
 * policy apply, and bodies at or above the cache's `minFileSize` stream
 * into and out of value files (never held in memory whole). A response
 * whose body errors, is aborted or passes `maxEntrySize` leaves nothing
 * behind. Stale responses are kept until their `deleteAt` for revalidation.
 *
 * @example Cache Node's global fetch on disk
 * ```ts ignore
 * import { Agent, interceptors, setGlobalDispatcher } from "undici";
 * import { DiskCacheStore } from "@diskcache/diskcache/http";
 * import { userCacheDirectory } from "@diskcache/diskcache";
 * setGlobalDispatcher(new Agent().compose(interceptors.cache({ store: new DiskCacheStore(userCacheDirectory("http")) })));
 * await fetch("https://example.com/"); // stored; the next call within max-age comes from disk
 * ```
 *
 * @example Store and read a response directly
 * ```ts
 * import { rmSync } from "node:fs";
 * import assert from "node:assert/strict";
 * import { DiskCacheStore } from "@diskcache/diskcache/http";
 * using store = new DiskCacheStore();
 * const key = { origin: "http://example.test", method: "GET", path: "/", headers: {} };
 * const now = Date.now();
 * const value = { statusCode: 200, statusMessage: "OK", headers: {}, cachedAt: now, staleAt: now + 60_000, deleteAt: now + 120_000 };
 * const writable = store.createWriteStream(key, value);
 * await new Promise<void>((resolve) => writable.end("hello", () => resolve()));
 * assert.equal(Buffer.concat((await store.get(key))!.body as Buffer[]).toString(), "hello");
 * rmSync(store.cache.directory, { recursive: true, force: true }); // the example's temporary directory
 * ```
 */
export class DiskCacheStore {
  #cache: CacheBackend;
  #owned: boolean;
  #maxEntrySize: number;
  #maxInlineBody: number;
  #onError: ((error: unknown) => void) | undefined;
  /** The write streams not yet committed or dropped, by URL item key. */
  #writes = new Map<string, Set<{ writable: Writable; done: Promise<void> }>>();

  /**
   * Opens the store on a cache directory, or on an open cache.
   *
   * @param dirOrCache A cache directory (omitted: a temporary one), or an
   * open `DiskCache` or `FanoutCache` to use (not closed by `close()`).
   * @param options `maxEntrySize`, `maxInlineBody`, `onError`; the other options open the cache.
   * @throws {TypeError} For a cache given together with cache options, or a bad option.
   */
  constructor(dirOrCache?: string | CacheBackend, options: DiskCacheStoreOptions = {}) {
    if (typeof options !== "object" || options === null) {
      throw new TypeError(`Cannot create DiskCacheStore: options must be an object: received ${String(options)}`);
    }
    const { maxEntrySize = Infinity, maxInlineBody = DEFAULT_MAX_INLINE_BODY, onError, ...cacheOptions } = options;
    for (const [name, n] of [["maxEntrySize", maxEntrySize], ["maxInlineBody", maxInlineBody]] as const) {
      if (typeof n !== "number" || !(n >= 0)) {
        throw new TypeError(`Cannot create DiskCacheStore: "${name}" must be a non-negative number: received ${String(n)}`);
      }
    }
    this.#maxInlineBody = maxInlineBody;
    if (onError !== undefined && typeof onError !== "function") {
      throw new TypeError(`Cannot create DiskCacheStore: "onError" must be a function: received ${typeof onError}`);
    }
    this.#maxEntrySize = maxEntrySize;
    this.#onError = onError;
    ({ cache: this.#cache, owned: this.#owned } = adoptOrOpen(dirOrCache, cacheOptions, {
      name: "DiskCacheStore",
      role: "store",
      adopts: [DiskCache, FanoutCache],
    }));
  }

  /** The cache underneath. */
  get cache(): CacheBackend {
    return this.#cache;
  }

  /**
   * Whether the store can take no more: only with the eviction policy
   * `"none"` and the cache at its `sizeLimit` (otherwise the cache evicts).
   *
   * @returns `true` when full.
   */
  isFull(): boolean {
    return this.#cache.evictionPolicy === "none" && this.#cache.volume() >= this.#cache.sizeLimit;
  }

  /**
   * The stored response for `key`: same method, not past its `deleteAt`,
   * and every request header its `Vary` names equal; the newest such one.
   * Answers synchronously, except while a response to the same URL whose
   * body has ended (its write stream's `end()` was called) is still being
   * committed by this store: then a promise of the answer once it is
   * (undici's interceptor takes either). undici ends the write stream and
   * tells its client the body ended in the same turn, and a body in a value
   * file commits once its last chunks are on disk, a moment later: so the
   * client's next request finds it, as with undici's own stores.
   *
   * @param key The request.
   * @returns The response, or `undefined` (or a promise of either).
   * @throws {TypeError} For a malformed key.
   */
  get(key: CacheKey): GetResult | undefined | Promise<GetResult | undefined> {
    assertKey(key);
    const urlKey = STORE_PREFIX + key.origin + key.path;
    const writes = this.#writes.get(urlKey);
    if (writes !== undefined) {
      const ended = [...writes].filter((w) => w.writable.writableEnded);
      if (ended.length) return Promise.all(ended.map((w) => w.done)).then(() => this.#lookup(key, urlKey));
    }
    return this.#lookup(key, urlKey);
  }

  #lookup(key: CacheKey, urlKey: string): GetResult | undefined {
    const shard = shardFor(this.#cache, urlKey);
    const v = selectVariant(readVariants<Meta>(shard, urlKey, Date.now()), key.method, key.headers);
    if (v === undefined) return undefined;
    const body = openBody(shard, v);
    if (body === undefined) return undefined;
    const result: GetResult = {
      ...v.meta,
      cacheControlDirectives: v.meta.cacheControlDirectives ?? {},
      deleteAt: v.deleteAt,
      body: body instanceof Uint8Array
        ? (body.byteLength ? [Buffer.from(body.buffer, body.byteOffset, body.byteLength)] : [])
        : Readable.fromWeb(body as NodeReadableStream<Uint8Array>, { highWaterMark: 0 }),
    };
    if (v.vary) result.vary = v.vary;
    return result;
  }

  /**
   * A stream that takes the body of the response `value` to `key`; the
   * response is readable with `get` once the stream has finished, and
   * replaces the stored one of the same method and `Vary` selection.
   *
   * @param key The request.
   * @param value The response, without its body.
   * @returns The body's writable stream.
   * @throws {TypeError} For a malformed key or value.
   */
  createWriteStream(key: CacheKey, value: CacheValue): Writable {
    assertKey(key);
    assertValue(value);
    const urlKey = STORE_PREFIX + key.origin + key.path;
    const shard = shardFor(this.#cache, urlKey);
    const sink = new BodySink(shard, {
      maxSize: this.#maxEntrySize,
      ttl: value.deleteAt - Date.now(),
      prefix: BODY_PREFIX,
      inlineUpTo: this.#maxInlineBody,
    });
    const report = (error: unknown) => this.#onError?.(error);
    const { vary, deleteAt, ...rest } = value;
    const meta: Meta = { ...rest };
    if (meta.etag === undefined) delete meta.etag;
    if (meta.cacheControlDirectives === undefined) delete meta.cacheControlDirectives;
    // The URL item (its variants' headers and inline bodies) stays in its
    // row up to one inline body and room for headers; past that (the
    // headers of many variants) it goes to a value file of its own.
    const inlineBelow = this.#maxInlineBody + ITEM_HEADROOM;
    // The commit and an abort (destroy()) agree on one outcome: the first to
    // act decides. The commit's transaction decides "commit" as it runs, and
    // skips when an abort came first; an abort after that waits for the
    // commit, and removes nothing it committed.
    let decided: "commit" | "abort" | undefined;
    let committing: Promise<unknown> = Promise.resolve();
    // Until it is committed or dropped, get() on its URL waits for it once it has ended.
    const writes = this.#writes;
    let settle!: () => void;
    const pending = { writable: undefined as unknown as Writable, done: new Promise<void>((resolve) => settle = resolve) };
    const settled = () => {
      const set = writes.get(urlKey);
      if (set?.delete(pending) && set.size === 0) writes.delete(urlKey);
      settle();
    };
    const writable = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        const room = sink.write(chunk);
        if (room === undefined) return callback();
        room.then(() => callback(), (error: unknown) => {
          if (!(error instanceof RangeError)) report(error);
          // Like undici's own stores: stop without an error event, which
          // would make undici delete the entry already stored.
          this.destroy();
          callback();
        });
      },
      final(callback) {
        const store = (stored: SunkBody) => {
          const variant: Variant<Meta> = { method: key.method, deleteAt, size: stored.size, meta };
          if (vary) variant.vary = vary;
          if ("file" in stored) variant.file = stored.file;
          else variant.body = stored.body;
          // Waits for the write lock on timers (at once when it is free): never stalls the event loop.
          committing = shard.transactAsync(() => {
            if (decided === "abort") return false; // destroyed meanwhile: its abort removes the body
            decided = "commit";
            commitVariant(shard, urlKey, variant, replacedBy(key.method, key.headers), inlineBelow);
            return true;
          });
          return committing.then((done) => {
            if (done) settled();
          });
        };
        const fail = (error: unknown) => {
          report(error);
          // A body stored before its commit failed is removed as an abort
          // removes it: waiting for the write lock on timers, never blocking
          // the thread (a body that never got stored needs no delete).
          sink.abort(error).catch(report).then(() => {
            settled();
            // No error event, as in write(): undici would delete the URL's
            // stored responses, and throw if the cache was closed meanwhile.
            this.destroy();
            callback();
          });
        };
        // A body in memory commits now, as undici's own stores do, so the
        // response is stored before the client's next request can look.
        try {
          const inline = sink.finishInline();
          if (inline) return void store(inline).then(() => callback(), fail);
        } catch (error) {
          return fail(error);
        }
        sink.finish().then(store).then(() => callback()).catch(fail);
      },
      destroy(error, callback) {
        // The commit went first: it stands, with its body (or, failing, removed what it wrote).
        if (decided === "commit") return void committing.then(() => callback(error), () => callback(error));
        decided = "abort";
        // A removal that fails (the cache closed meanwhile) is reported, never left unhandled.
        sink.abort(error ?? undefined).catch(report).then(() => {
          settled();
          callback(error);
        });
      },
    });
    pending.writable = writable;
    let set = writes.get(urlKey);
    if (set === undefined) writes.set(urlKey, set = new Set());
    set.add(pending);
    return writable;
  }

  /**
   * Removes every stored response of `key`'s origin and path (all methods
   * and variants) and their body files.
   *
   * @param key The request (its `origin` and `path` count).
   * @throws {TypeError} For a malformed key.
   */
  delete(key: CacheKey): Promise<void> {
    assertKey(key);
    const urlKey = STORE_PREFIX + key.origin + key.path;
    const shard = shardFor(this.#cache, urlKey);
    // Waits for the write lock on timers: never stalls the event loop.
    return shard.transactAsync(() => void deleteUrl(shard, urlKey));
  }

  /** Closes the cache if the store opened it. */
  close(): void {
    if (this.#owned) this.#cache.close();
  }

  /** Same as {@linkcode DiskCacheStore.close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}

function assertKey(key: CacheKey): void {
  if (typeof key !== "object" || key === null) {
    throw new TypeError(
      `Cannot use the cache key: it must be an object: received ${key === null ? "null" : typeof key}`,
    );
  }
  for (const name of ["origin", "method", "path"] as const) {
    if (typeof key[name] !== "string") {
      throw new TypeError(`Cannot use the cache key: "${name}" must be a string: received ${typeof key[name]}`);
    }
  }
  if (key.headers !== undefined && (typeof key.headers !== "object" || key.headers === null)) {
    throw new TypeError(`Cannot use the cache key: "headers" must be an object: received ${typeof key.headers}`);
  }
}

function assertValue(value: CacheValue): void {
  if (typeof value !== "object" || value === null) {
    throw new TypeError(
      `Cannot store the response: it must be an object: received ${value === null ? "null" : typeof value}`,
    );
  }
  for (const name of ["statusCode", "cachedAt", "staleAt", "deleteAt"] as const) {
    if (typeof value[name] !== "number") {
      throw new TypeError(`Cannot store the response: "${name}" must be a number: received ${typeof value[name]}`);
    }
  }
  if (typeof value.statusMessage !== "string") {
    throw new TypeError(
      `Cannot store the response: "statusMessage" must be a string: received ${typeof value.statusMessage}`,
    );
  }
  for (const name of ["headers", "vary"] as const) {
    const v = value[name];
    if (v != null && typeof v !== "object") {
      throw new TypeError(`Cannot store the response: "${name}" must be an object: received ${typeof v}`);
    }
  }
  if (value.etag !== undefined && typeof value.etag !== "string") {
    throw new TypeError(`Cannot store the response: "etag" must be a string: received ${typeof value.etag}`);
  }
}
