/**
 * The storage layout shared by {@linkcode DiskCacheStore} and `cachedFetch`.
 *
 * One cache item per URL (origin + path) holds the list of its stored
 * responses (variants: one per method and per set of `Vary`-selected request
 * header values, at most {@linkcode MAX_VARIANTS}; see `_variants.ts` for
 * which one a request selects). A lookup reads that item, then one body:
 *
 * - A URL with one variant keeps its body in the item when it is smaller
 *   than the cache's `minFileSize` (or, for the front ends, up to their
 *   `maxInlineBody`): a hit on it costs one lookup.
 * - A URL with several variants keeps at most {@linkcode ITEM_BODIES} bytes
 *   of (the newest) small bodies in the item; every other body is an item
 *   of its own under a random body key (still in its row up to
 *   `maxInlineBody`), so that a hit on one variant never reads the others'
 *   bodies.
 * - A larger body is streamed into a value file of its own under a body key.
 *
 * Body items live in the same shard as their URL item, so that one
 * transaction of that shard replaces or removes a URL's variants and bodies
 * together. Items expire at the latest `deleteAt` of their variants, body
 * items at their variant's.
 *
 * A URL item is stored as raw bytes (see {@linkcode encodeItem}): a JSON
 * header with the variants, then their inline bodies. A hit then costs one
 * `JSON.parse` of a few hundred bytes per variant, and its body is a view
 * into the row's bytes, never a copy.
 *
 * @module
 */
import { type DiskCache, setInline } from "../disk_cache.ts";
import type { FanoutCache } from "../fanout.ts";
import { MAX_VARIANTS, type VaryMap } from "./_variants.ts";

/** The caches a `DiskCacheStore` or `cachedFetch` can live in: a DiskCache, or a FanoutCache (each URL in one shard). */
export type CacheBackend = DiskCache | FanoutCache;

export { replacedBy, selectVariant, type VaryMap, varyMatches } from "./_variants.ts";

/** One stored response: what every layout user keeps, plus its own `meta`. */
export interface Variant<M> {
  method: string;
  vary?: VaryMap;
  /** Epoch ms after which the variant is gone. */
  deleteAt: number;
  /** Body size in bytes. */
  size: number;
  /** The body, when stored in the URL item. */
  body?: Uint8Array;
  /** The body key, when the body is an item of its own (in its row or a value file). */
  file?: string;
  meta: M;
}

/** The cache a URL's items live in: the shard of a FanoutCache, or the cache itself. */
export function shardFor(cache: CacheBackend, urlKey: string): DiskCache {
  return "shardOf" in cache ? cache.shardOf(urlKey) : cache;
}

/** First byte of a URL item: the version of its encoding. */
const ITEM_V1 = 1;
/** The latest time a Date can hold (JSON has no Infinity). */
const MAX_TIME = 8.64e15;
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/**
 * A URL item as bytes: the version byte {@linkcode ITEM_V1}, the byte length
 * of a JSON header (4 bytes, big-endian), the header (the variants without
 * their bodies), then the bodies of the inline variants (those without a
 * `file`), `size` bytes each, in the order of the header.
 */
export function encodeItem<M>(variants: Variant<M>[]): Uint8Array {
  const bodies: Uint8Array[] = [];
  const head = variants.map(({ body, ...rest }) => {
    if (rest.file === undefined) {
      // Every variant without a file has its body (possibly empty).
      bodies.push(body!);
      rest.size = body!.byteLength;
    }
    rest.deleteAt = Math.min(rest.deleteAt, MAX_TIME);
    return rest;
  });
  const json = utf8.encode(JSON.stringify(head));
  const out = new Uint8Array(5 + json.byteLength + bodies.reduce((n, b) => n + b.byteLength, 0));
  out[0] = ITEM_V1;
  new DataView(out.buffer).setUint32(1, json.byteLength);
  out.set(json, 5);
  let at = 5 + json.byteLength;
  for (const b of bodies) {
    out.set(b, at);
    at += b.byteLength;
  }
  return out;
}

/**
 * The variants of an item {@linkcode encodeItem} wrote, their bodies views
 * into `item`; none for anything else (an item of another layout or
 * version, or damaged bytes: a miss, replaced by the next store).
 */
export function decodeItem<M>(item: unknown): Variant<M>[] {
  if (!(item instanceof Uint8Array) || item[0] !== ITEM_V1) return [];
  try {
    const length = new DataView(item.buffer, item.byteOffset, item.byteLength).getUint32(1);
    const variants = JSON.parse(fromUtf8.decode(item.subarray(5, 5 + length))) as Variant<M>[];
    let at = 5 + length;
    for (const v of variants) {
      if (v.file !== undefined) continue;
      v.body = item.subarray(at, at + v.size);
      at += v.size;
    }
    if (at !== item.byteLength) return [];
    return variants;
  } catch {
    return [];
  }
}

/** The live variants of `urlKey` (those whose `deleteAt` is still ahead). */
export function readVariants<M>(shard: DiskCache, urlKey: string, now: number): Variant<M>[] {
  return decodeItem<M>(shard.get(urlKey)).filter((v) => v.deleteAt > now);
}

/** Default `maxInlineBody` of `DiskCacheStore` and `cachedFetch`: bodies up to 1 MiB stay in their URL's row. */
export const DEFAULT_MAX_INLINE_BODY = 1024 * 1024;
/** Room for a URL item's headers beyond its inline body, in the row. */
export const ITEM_HEADROOM = 64 * 1024;

/**
 * The most bytes of bodies a URL item with several variants holds: a hit on
 * one variant reads at most this much of the others' bodies.
 */
export const ITEM_BODIES = 16 * 1024;

/**
 * The prefix of the body keys of the URL item `urlKey`: its front end's
 * prefix (`fetch:`, `undici:`) with `-body:` (`fetch-body:`, `undici-body:`).
 */
export function bodyKeyPrefix(urlKey: string): string {
  return `${urlKey.slice(0, urlKey.indexOf(":"))}-body:`;
}

/**
 * Stores `variant` for `urlKey` in one transaction, replacing the variants
 * `replaces` picks and dropping expired ones (their body files go too), and
 * the oldest past {@linkcode MAX_VARIANTS}. An item smaller than
 * `inlineBelow` bytes stays in its row even at or above the cache's
 * `minFileSize` (a hit reads it with one lookup, no file). With several
 * variants, bodies past {@linkcode ITEM_BODIES} move to items of their own
 * (see the module's doc). A body item's expiry follows its variant's
 * `deleteAt` (a 304 that extends the variant extends its body); a variant
 * whose body item is gone (evicted) is not stored: `false`.
 */
export function commitVariant<M>(
  shard: DiskCache,
  urlKey: string,
  variant: Variant<M>,
  replaces: (old: Variant<M>) => boolean,
  inlineBelow?: number,
): boolean {
  return shard.transact(() => {
    const now = Date.now();
    let kept: Variant<M>[] = [];
    const dropped: string[] = [];
    const drop = (old: Variant<M>) => {
      if (old.file !== undefined && old.file !== variant.file) dropped.push(old.file);
    };
    for (const old of decodeItem<M>(shard.get(urlKey))) {
      if (old.deleteAt <= now || replaces(old)) drop(old);
      else kept.push(old);
    }
    let stored = true;
    if (variant.file !== undefined && !shard.touch(variant.file, Math.max(1, Math.min(variant.deleteAt, MAX_TIME) - now))) {
      stored = false;
    } else kept.push(variant);
    if (kept.length > MAX_VARIANTS) {
      for (const old of kept.slice(0, kept.length - MAX_VARIANTS)) drop(old);
      kept = kept.slice(kept.length - MAX_VARIANTS);
    }
    if (kept.length > 1) {
      // Newest first: the bodies that fit ITEM_BODIES stay, the others move out.
      let room = ITEM_BODIES;
      for (let i = kept.length - 1; i >= 0; i--) {
        const v = kept[i]!;
        if (v.file !== undefined) continue;
        const body = v.body ?? new Uint8Array(0);
        if (body.byteLength <= room) {
          room -= body.byteLength;
          continue;
        }
        const key = newBodyKey(bodyKeyPrefix(urlKey));
        const ttl = Math.max(1, Math.min(v.deleteAt, MAX_TIME) - now);
        if (inlineBelow === undefined) shard.set(key, body, { ttl });
        else setInline(shard, key, body, { ttl, inlineBelow: body.byteLength + 1 });
        const { body: _moved, ...rest } = v;
        kept[i] = { ...rest, file: key, size: body.byteLength };
      }
    }
    if (kept.length === 0) {
      shard.delete(urlKey);
    } else {
      const until = Math.max(...kept.map((v) => v.deleteAt));
      const item = encodeItem(kept), ttl = Math.max(1, Math.min(until, MAX_TIME) - now);
      if (inlineBelow === undefined) shard.set(urlKey, item, { ttl });
      else setInline(shard, urlKey, item, { ttl, inlineBelow });
    }
    if (dropped.length) shard.deleteMany(dropped);
    return stored;
  });
}

/** Removes every variant of `urlKey` and their body files; `true` when there were any. */
export function deleteUrl(shard: DiskCache, urlKey: string): boolean {
  return shard.transact(() => {
    const item = shard.get(urlKey);
    if (item === undefined) return false;
    const files = decodeItem(item).flatMap((v) => v.file === undefined ? [] : [v.file]);
    if (files.length) shard.deleteMany(files);
    return shard.delete(urlKey);
  });
}

/**
 * Bodies in value files up to this size are read whole, in one synchronous
 * read, rather than streamed. A value file streams in 4 MiB chunks (and
 * reads one ahead), so one read holds no more in memory than the stream
 * would; a hit skips the stream's setup, its trips through the thread pool
 * and Readable.fromWeb (a 100 KiB hit through undici's interceptor took
 * twice as long streamed, and so did a 2 MiB one). The read blocks
 * for as long as reading the file takes (about a millisecond for 4 MiB in
 * the page cache); SqliteCacheStore reads every body whole.
 */
export const READ_WHOLE_UP_TO = 4 << 20;

/**
 * The body of `variant`: its inline bytes, its value file read whole when it
 * is at most {@linkcode READ_WHOLE_UP_TO} bytes, else a stream of its value
 * file (opened now, so it reads the body as it was), or `undefined` when the
 * file is gone (evicted: treat the variant as a miss).
 */
export function openBody<M>(
  shard: DiskCache,
  variant: Variant<M>,
): Uint8Array | ReadableStream<Uint8Array> | undefined {
  if (variant.file === undefined) return variant.body ?? new Uint8Array(0);
  if (variant.size <= READ_WHOLE_UP_TO) {
    const bytes = shard.get(variant.file);
    return bytes instanceof Uint8Array ? bytes : undefined;
  }
  return shard.getStream(variant.file);
}

/** A fresh random body key. */
export function newBodyKey(prefix: string): string {
  return `${prefix}${globalThis.crypto.randomUUID()}`; // not node:crypto, whose import costs Node ~6 ms at start
}

/** What a finished {@linkcode BodySink} holds: inline bytes or a body key. */
export type SunkBody = { size: number; body: Uint8Array } | { size: number; file: string };

/** Thrown into a body stream that passed its size limit. */
export class TooLarge extends RangeError {
  override name = "RangeError";
}

/**
 * Receives a response body chunk by chunk: keeps it in memory while it is
 * smaller than `minFileSize` (or at most `inlineUpTo` bytes), then streams it
 * (buffered chunks first) into a value file with `setStream`, with
 * backpressure: `write` resolves when the file has room for more. `abort` or an error stores nothing (the file is
 * removed by `setStream`); passing `maxSize` aborts.
 */
export class BodySink {
  #shard: DiskCache;
  #inlineUpTo: number;
  #maxSize: number;
  #ttl: number;
  #key: string;
  #chunks: Uint8Array[] = [];
  #size = 0;
  #controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  #stored: Promise<boolean> | undefined;
  #failure: unknown;
  #waiter: { resolve: () => void; reject: (e: unknown) => void } | undefined;
  #ended = false;

  /**
   * `inlineUpTo`: the largest body kept in memory and stored inline (default:
   * below the cache's `minFileSize`); never less than that.
   */
  constructor(shard: DiskCache, options: { maxSize: number; ttl: number; prefix: string; inlineUpTo?: number }) {
    this.#shard = shard;
    this.#inlineUpTo = Math.max(shard.minFileSize - 1, options.inlineUpTo ?? 0);
    this.#maxSize = options.maxSize;
    this.#ttl = Math.max(1, options.ttl);
    this.#key = newBodyKey(options.prefix);
  }

  /**
   * Takes one chunk. Resolves (or returns) when more may be written; rejects
   * with a {@linkcode TooLarge} past `maxSize`, or with the storage error.
   */
  write(chunk: Uint8Array): Promise<void> | void {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    if (this.#ended) return Promise.reject(new TypeError("Cannot write a response body: it has already ended"));
    this.#size += chunk.byteLength;
    if (this.#size > this.#maxSize) {
      const error = new TooLarge(`Cannot cache the response: its body passed maxEntrySize (${this.#maxSize} bytes)`);
      return this.abort(error).then(() => Promise.reject(error));
    }
    if (this.#controller === undefined) {
      this.#chunks.push(chunk);
      if (this.#size <= this.#inlineUpTo) return;
      this.#startFile();
      return this.#room();
    }
    this.#controller.enqueue(chunk);
    return this.#room();
  }

  #startFile(): void {
    const stream = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#controller = controller;
        for (const c of this.#chunks) controller.enqueue(c);
        this.#chunks = [];
      },
      pull: () => {
        const w = this.#waiter;
        this.#waiter = undefined;
        w?.resolve();
      },
      cancel: (reason) => {
        // setStream stopped reading (the cache was closed): nothing more is stored.
        this.#failure ??= reason ?? new Error("Cannot store the response body: the cache stopped reading it");
        const w = this.#waiter;
        this.#waiter = undefined;
        w?.reject(this.#failure);
      },
    }, new CountQueuingStrategy({ highWaterMark: 8 }));
    this.#stored = this.#shard.setStream(this.#key, stream, { ttl: this.#ttl });
    this.#stored.catch((error: unknown) => {
      this.#failure ??= error;
      const w = this.#waiter;
      this.#waiter = undefined;
      w?.reject(error);
    });
  }

  #room(): Promise<void> | void {
    if ((this.#controller?.desiredSize ?? 1) > 0) return;
    return new Promise((resolve, reject) => this.#waiter = { resolve, reject });
  }

  /**
   * Ends a body still held in memory, at once (so that a store can commit
   * it before anyone else gets a turn); `undefined` when it went to a file.
   */
  finishInline(): SunkBody | undefined {
    if (this.#failure !== undefined) throw this.#failure;
    if (this.#controller !== undefined) return undefined;
    this.#ended = true;
    const body = concat(this.#chunks, this.#size);
    this.#chunks = [];
    return { size: this.#size, body };
  }

  /** Ends the body: answers where it is stored (the file is complete on disk). */
  async finish(): Promise<SunkBody> {
    const inline = this.finishInline();
    if (inline) return inline;
    this.#ended = true;
    this.#controller!.close();
    await this.#stored;
    return { size: this.#size, file: this.#key };
  }

  /** The body key of a body that went to a file (to remove it if the commit fails). */
  get fileKey(): string | undefined {
    return this.#controller === undefined ? undefined : this.#key;
  }

  /** Stops and stores nothing; resolves once a started value file is removed. */
  async abort(reason?: unknown): Promise<void> {
    this.#failure ??= reason ?? new Error("The response body was aborted");
    this.#ended = true;
    this.#chunks = [];
    if (this.#controller === undefined) return;
    // After finish() closed the stream this does nothing (error() never
    // throws): the file is complete, and removed below.
    this.#controller.error(this.#failure);
    const stored = await this.#stored!.then(() => true, () => false);
    if (stored) await this.#shard.deleteAsync(this.#key); // waits for the write lock on timers
  }
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}
