/**
 * The variant rules shared by `cachedFetch` and `DiskCacheStore` (RFC 9111
 * section 4.1): which stored response a request selects, which stored
 * responses a new one replaces, and how many one URL keeps.
 *
 * @module
 */

/** Request header values a stored response's `Vary` selects, by lower-case name (`null`: absent). */
export type VaryMap = Record<string, string | string[] | null>;

/** What the rules look at in a stored response. */
export interface Selectable {
  method: string;
  vary?: VaryMap;
}

/**
 * The most stored responses (variants: one per method and `Vary`
 * selection) one URL keeps. Storing one more drops the least recently
 * stored or refreshed, so that `Vary: User-Agent` cannot make a URL's
 * lookups and stores grow without bound: a lookup reads every variant's
 * headers (never their bodies, past a few KiB).
 */
export const MAX_VARIANTS = 32;

/** Whether the request headers `headers` select a variant stored with `vary`. */
export function varyMatches(
  vary: VaryMap | undefined,
  headers: Record<string, string | string[]> | undefined,
): boolean {
  if (!vary) return true;
  for (const name of Object.keys(vary)) {
    if (!sameHeader(headers?.[name], vary[name])) return false;
  }
  return true;
}

function sameHeader(a: string | string[] | null | undefined, b: string | string[] | null | undefined): boolean {
  if (a == null || b == null) return a == null && b == null;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => v === b[i]);
  return a === b;
}

/**
 * The stored response a request (`method`, `headers`) selects among
 * `variants` (oldest first): the newest of its method whose `Vary`
 * selection its headers match.
 */
export function selectVariant<V extends Selectable>(
  variants: readonly V[],
  method: string,
  headers: Record<string, string | string[]> | undefined,
): V | undefined {
  for (let i = variants.length - 1; i >= 0; i--) {
    const v = variants[i]!;
    if (v.method === method && varyMatches(v.vary, headers)) return v;
  }
  return undefined;
}

/**
 * Which stored responses a new response to (`method`, `headers`) replaces:
 * those of its method that the same request would have selected.
 */
export function replacedBy(
  method: string,
  headers: Record<string, string | string[]> | undefined,
): (old: Selectable) => boolean {
  return (old) => old.method === method && varyMatches(old.vary, headers);
}
