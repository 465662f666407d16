/**
 * The shared record of tag revalidations: one item per tag in the cache
 * itself (key `["next-tag", tag]`, value `{ stale?, expired? }` in epoch
 * ms), written by `revalidateTag`/`updateTags` in any process and read by
 * every `get`, as Next's in-memory tags manifest is but on disk.
 *
 * Eviction: a tag's item is read whenever an entry carrying the tag is
 * read, and is stored after every entry it makes stale, so under the
 * least-recently-used and least-recently-stored policies the entries it
 * affects go before it does.
 *
 * @module
 */
import type { DiskCache } from "../disk_cache.ts";
import type { NextTagDurations } from "./types.ts";

/** When a tag was made stale and when entries with it stop being served (epoch ms). */
export interface TagRecord {
  stale?: number;
  expired?: number;
}

/** What the tags say about an entry stored at a given time. */
export type TagState = "fresh" | "stale" | "expired";

/** The key of a tag's record in the cache. */
export function tagKey(tag: string): [string, string] {
  return ["next-tag", tag];
}

/** Records a revalidation of `tags` now, as Next's own manifest does. */
export function revalidateTags(cache: DiskCache, tags: readonly string[], durations?: NextTagDurations): void {
  if (tags.length === 0) return;
  cache.transact(() => {
    const now = Math.floor(cache.now);
    for (const tag of new Set(tags)) {
      cache.set(tagKey(tag), revalidated(cache.get<TagRecord>(tagKey(tag)), now, durations));
    }
  });
}

/** `record` after a revalidation at `now` (epoch ms): stale with `durations`, else expired. */
export function revalidated(record: TagRecord | undefined, now: number, durations?: NextTagDurations): TagRecord {
  const out: TagRecord = { ...record };
  if (durations) {
    out.stale = now;
    if (typeof durations.expire === "number") out.expired = now + durations.expire * 1000;
  } else {
    out.expired = now;
  }
  return out;
}

/**
 * The records of `tags` (absent ones omitted), in one read of those not in
 * `known` (a handler's memory of records, see `_memo.ts`), which learns them.
 */
export function readTags(cache: DiskCache, tags: readonly string[], known?: Map<string, TagRecord | null>): TagRecord[] {
  const records: TagRecord[] = [];
  let missing: Set<string> | undefined;
  for (const tag of tags) {
    const record = known?.get(tag);
    if (record === undefined) (missing ??= new Set()).add(tag);
    else if (record !== null) records.push(record);
  }
  if (missing === undefined) return records;
  const unique = [...missing];
  const read = cache.getMany<TagRecord>(unique.map(tagKey));
  for (let i = 0; i < unique.length; i++) {
    const record = read[i];
    known?.set(unique[i]!, record ?? null);
    if (record !== undefined) records.push(record);
  }
  return records;
}

/**
 * Whether an entry stored at `timestamp` with `tags` is still served:
 * `expired` when a tag's expiry has come and is later than the entry,
 * `stale` when a tag was made stale after it.
 */
export function tagState(cache: DiskCache, tags: readonly string[], timestamp: number, known?: Map<string, TagRecord | null>): TagState {
  const now = cache.now;
  let state: TagState = "fresh";
  for (const record of readTags(cache, tags, known)) {
    if (typeof record.expired === "number" && record.expired <= now && record.expired > timestamp) return "expired";
    if (typeof record.stale === "number" && record.stale > timestamp) state = "stale";
  }
  return state;
}

/** The latest expiry already reached among `tags`, or 0. */
export function latestExpiry(cache: DiskCache, tags: readonly string[], known?: Map<string, TagRecord | null>): number {
  const now = cache.now;
  let latest = 0;
  for (const record of readTags(cache, tags, known)) {
    if (typeof record.expired === "number" && record.expired <= now && record.expired > latest) latest = record.expired;
  }
  return latest;
}
