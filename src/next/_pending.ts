/**
 * `'use cache'` sets pending in other processes: Next's contract is that a
 * `get` of a key whose `set` has started waits for that set. In one process
 * the handler's map of pending sets does it; across processes a set writes
 * a marker item (key `["next-use-cache-pending", key]`, a lease of
 * {@linkcode LEASE} ms) when it starts, renews it every third of that while
 * the entry is rendered and streamed, and deletes it once stored (or
 * failed). A `get` that goes to disk first waits, on timers, while another
 * handler's marker of its key lives: at most the cache's `timeout` (the
 * option that bounds every wait for another process, 60 s by default), and
 * no longer than the lease once the writer died (killed, crashed: nobody
 * renews its marker), after which the `get` answers what is stored.
 *
 * Cost: two small writes per `set` (the marker and its removal) and one per
 * {@linkcode LEASE}/3 ms of a long one; one read of the marker per `get`
 * that goes to disk (a hit from the handler's memory needs none: another
 * process's marker is a commit, which empties the memory).
 *
 * @module
 */
import { clearInterval, setInterval, setTimeout } from "node:timers";
import { performance } from "node:perf_hooks";
import type { DiskCache } from "../disk_cache.ts";

/** How long a marker lives unless its writer renews it (ms). */
export const LEASE = 5_000;
/** The longest pause between two looks at a marker (ms). */
const MAX_PAUSE = 50;

/** A marker's value: which handler's set it is (`<handler id>:<n>`). */
interface Marker {
  owner: string;
}

function markerKey(key: string): [string, string] {
  return ["next-use-cache-pending", key];
}

let handlers = 0;

/** The pending sets of one handler object, as other processes see them. */
export class PendingMarkers {
  /** This handler's id: its own markers are left to its map of pending sets. */
  readonly #id = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}-${handlers++}`;
  #sets = 0;

  /**
   * Marks `key` pending and keeps it marked until the returned function is
   * called (which removes the marker if it is still this set's). A marker
   * that cannot be written (the database locked past the cache's timeout)
   * is given up on: other processes then do not wait.
   */
  async mark(cache: DiskCache, key: string): Promise<() => Promise<void>> {
    const k = markerKey(key), owner = `${this.#id}:${this.#sets++}`;
    const set = (): void => void cache.set(k, { owner } satisfies Marker, { ttl: LEASE });
    // Renewed while it is still this set's: another set of the key that started since holds it now.
    const renew = (): Promise<void> =>
      cache.transactAsync(() => {
        if (cache.get<Marker>(k)?.owner === owner) set();
      }).catch(() => {});
    let last: Promise<void> = cache.transactAsync(set).catch(() => {});
    await last;
    const timer = setInterval(() => (last = last.then(renew)), LEASE / 3);
    (timer as { unref?: () => void }).unref?.();
    return async () => {
      clearInterval(timer);
      await last; // a renewal in flight must not write the marker again after its removal
      await cache.transactAsync(() => {
        if (cache.get<Marker>(k)?.owner === owner) cache.delete(k);
      }).catch(() => {});
    };
  }

  /** Waits while another handler's set of `key` is pending (see the module). */
  async wait(cache: DiskCache, key: string): Promise<void> {
    const k = markerKey(key), deadline = performance.now() + cache.timeout;
    for (let pause = 1;; pause = Math.min(pause * 2, MAX_PAUSE)) {
      const marker = cache.get<Marker>(k);
      if (typeof marker?.owner !== "string" || marker.owner.startsWith(`${this.#id}:`)) return;
      if (performance.now() >= deadline) return;
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
}
