/**
 * Step 6 of `cachedFetch`: storing a response (RFC 9111 section 3) as the
 * caller reads it, and storing a stored response's update (section 3.2).
 *
 * @module
 */
import CachePolicy from "http-cache-semantics";
import type { DiskCache } from "../disk_cache.ts";
import { BODY_PREFIX, cacheUrl, type FetchContext, headerObject, type Meta, plain, policyResponse, type StoredVariant } from "./_fetch_context.ts";
import { BodySink, commitVariant, replacedBy, shardFor, type SunkBody, type Variant, type VaryMap } from "./_records.ts";
import { buildable, forward } from "./_answer.ts";

/** Statuses whose responses have no body: stored at once. */
const NULL_BODY = new Set([204, 205]);

/**
 * Answers `res` (the network's answer to the GET `request`), storing it
 * as the caller reads its body when the policy allows: the body streams
 * into the cache, and is committed once the caller has read the last byte
 * (a body never read to the end is not stored). `Cache-Status` says
 * `stored` only for a response stored before the answer (one without a body).
 */
export async function storeResponse(ctx: FetchContext, request: Request, req: CachePolicy.Request, res: Response, detail: string): Promise<Response> {
  if (!buildable(res.status)) return res;
  // http-cache-semantics stores only the statuses it understands: never a 206 or a 304.
  const policy = new CachePolicy(req, policyResponse(res), ctx.policyOptions);
  const vary = varyOf(res.headers, request.headers);
  const storable = request.method === "GET" && policy.storable() && !res.redirected && vary !== undefined;
  const ttl = lifetime(ctx, policy, res.headers.has("etag") || res.headers.has("last-modified"));
  if (!storable || ttl <= 0) return forward(ctx, res, res.body, detail);
  const url = cacheUrl(request.url);
  const shard = shardFor(ctx.store, url);
  const meta: Meta = { policy: plain(policy.toObject()), status: res.status, statusText: res.statusText, url: res.url };
  const selected = headerObject(request.headers);
  const commit = (stored: SunkBody, go: () => boolean = () => true) => {
    const variant: Variant<Meta> = { method: "GET", deleteAt: Date.now() + ttl, size: stored.size, meta };
    if (vary) variant.vary = vary;
    if ("file" in stored) variant.file = stored.file;
    else variant.body = stored.body;
    // Waits for the write lock on timers: another process's transaction never stalls the event loop.
    return shard.transactAsync(() => go() && commitVariant(shard, url, variant, replacedBy("GET", selected), ctx.inlineBelow));
  };
  if (res.body === null || NULL_BODY.has(res.status)) {
    void res.body?.cancel();
    await commit({ size: 0, body: new Uint8Array(0) });
    return forward(ctx, res, null, `${detail}; stored`);
  }
  const sink = new BodySink(shard, { maxSize: ctx.maxEntrySize, ttl, prefix: BODY_PREFIX, inlineUpTo: ctx.maxInlineBody });
  return forward(ctx, res, teeInto(res.body, sink, commit), detail);
}

/**
 * Stores `variant` with the policy `next` (its freshness and header fields
 * updated by a 304 or a HEAD), in place of the variant `request` selects,
 * and keeps its body file at least as long; answers the stored variant.
 */
export async function storeUpdate(
  ctx: FetchContext,
  shard: DiskCache,
  request: Request,
  variant: StoredVariant,
  next: CachePolicy,
): Promise<StoredVariant> {
  const now = Date.now();
  const fields = next.responseHeaders();
  // As long as a new response would be kept (a 304 renews the life of one kept for revalidation), never shorter than before.
  const ttl = Math.max(lifetime(ctx, next, fields["etag"] !== undefined || fields["last-modified"] !== undefined), variant.deleteAt - now);
  const selected = headerObject(request.headers);
  const updated = { ...variant, deleteAt: now + ttl, meta: { ...variant.meta, policy: plain(next.toObject()) } };
  await shard.transactAsync(() => {
    commitVariant(shard, cacheUrl(request.url), updated, replacedBy("GET", selected), ctx.inlineBelow);
    // The body file expires on its own: it must live as long as the response it belongs to.
    if (variant.file !== undefined) shard.touch(variant.file, Math.max(1, ttl));
  });
  return updated;
}

/**
 * How long a response with the policy `policy` is kept: while fresh, and at
 * least `keepForRevalidation` when it has a validator (`ETag` or
 * `Last-Modified`) to be revalidated with. The rule of a new response and of
 * one updated by a 304 alike.
 */
function lifetime(ctx: FetchContext, policy: CachePolicy, hasValidator: boolean): number {
  return Math.max(policy.timeToLive(), hasValidator ? ctx.keepForRevalidation : 0);
}

/** The request header values the response's `Vary` names; `undefined` for `Vary: *` (never reusable), `null` without `Vary`. */
function varyOf(res: Headers, req: Headers): VaryMap | undefined | null {
  const vary = res.get("vary");
  if (!vary) return null;
  const out: VaryMap = {};
  for (const raw of vary.split(",")) {
    const name = raw.trim().toLowerCase();
    if (name === "*") return undefined;
    if (name) out[name] = req.get(name);
  }
  return out;
}

/**
 * The body of a response as the caller reads it, written into `sink` on
 * the way: `commit` runs once the last byte is stored, before the caller
 * sees the end. The sink gets its own copy of each chunk (the caller owns
 * the chunks it reads, and may reuse them). A failure to store only stops
 * storing; an error of the source, or the caller cancelling, stores nothing.
 * The commit and a cancel agree on one outcome: the commit's transaction
 * asks `go()`, which says no once the caller cancelled; a cancel after that
 * waits for the commit and removes nothing it committed.
 */
function teeInto(
  source: ReadableStream<Uint8Array>,
  sink: BodySink,
  commit: (stored: SunkBody, go: () => boolean) => Promise<unknown>,
): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  let storing = true;
  let decided: "commit" | "cancel" | undefined;
  let committing: Promise<unknown> = Promise.resolve();
  const go = (): boolean => {
    if (decided === "cancel") return false;
    decided = "commit";
    return true;
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (error) {
        if (storing) await sink.abort(error);
        controller.error(error);
        return;
      }
      if (chunk.done) {
        if (storing) {
          try {
            await (committing = commit(await sink.finish(), go));
          } catch {
            await sink.abort();
          }
        }
        controller.close();
        return;
      }
      if (storing) {
        try {
          await sink.write(chunk.value.slice());
        } catch {
          storing = false;
        }
      }
      controller.enqueue(chunk.value);
    },
    async cancel(reason) {
      if (decided === "commit") await committing.catch(() => {}); // it stands, with its body
      else {
        decided = "cancel";
        if (storing) await sink.abort(reason);
      }
      await reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
}
