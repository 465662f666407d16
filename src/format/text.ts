/**
 * Well-formed UTF-16: every string the cache stores must be, since SQLite
 * and the codec keep text as UTF-8, where a lone surrogate (half of a pair)
 * has no encoding and turns into U+FFFD, merging distinct strings.
 *
 * @module
 */

const LONE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Whether `s` has no lone surrogate (`String.prototype.isWellFormed`: Node 20, Deno and Bun have it). */
export function isWellFormed(s: string): boolean {
  return (s as unknown as { isWellFormed(): boolean }).isWellFormed();
}

/**
 * Throws a `TypeError` naming `path` when `s` holds a lone surrogate.
 *
 * @param s The string.
 * @param what What is being stored, e.g. `"key"` or `"value"`.
 * @param path Where the string sits, e.g. `value.name`.
 */
export function checkText(s: string, what: string, path: string): void {
  if (isWellFormed(s)) return;
  const at = s.search(LONE);
  const unit = s.charCodeAt(at).toString(16).toUpperCase();
  throw new TypeError(
    `Cannot store ${what}: ${path} is a string with a lone surrogate (U+${unit} at index ${at}), which UTF-8 cannot represent and would turn into U+FFFD; pair it, remove it, or store the text as bytes`,
  );
}
