/**
 * The name that stands for a function in cache keys (`memoize`,
 * `memoizeStampede`, `throttle`, `barrier`), and the rule for when a
 * function's own name may serve.
 *
 * @module
 */
import { dirname, join, relative, sep } from "node:path";
import { describe } from "./errors.ts";
// Node's built-ins through process.getBuiltinModule, not `import`: see test/cold_start_test.ts (issue 25).
const { existsSync, readFileSync } = globalThis.process.getBuiltinModule("node:fs");
const { fileURLToPath } = globalThis.process.getBuiltinModule("node:url");

/** `function name(`, `async function name(`, `function* name(`: a name written in the source. */
const DECLARED = /^(?:async\s+)?function\s*\*?\s*([^\s(]+)\s*\(/;

/**
 * The name of `fn` for cache keys: `name` when given (a non-empty string),
 * else the function's own name, but only when the source declares it with
 * the `function` keyword (`function load() {}`, `async function load() {}`).
 * Every other function's `name` cannot tell it apart from others: methods
 * (`new Users().get` and `new Orders().get` are both "get"), arrow functions
 * and function expressions named after the variable or property holding
 * them (`get = async () => ...` in a class), bound functions ("bound get"),
 * `export default function () {}` ("default") and anonymous ones. Those need
 * an explicit `name`, so that two functions never silently share results.
 *
 * @param what The caller, for the error message ("memoize", "throttle", ...).
 * @param fn The function.
 * @param name The `name` option.
 * @returns The name to key on.
 * @throws {TypeError} When `name` is not a non-empty string, or is omitted
 * for a function whose own name cannot serve.
 */
export function keyName(what: string, fn: (...args: never[]) => unknown, name: unknown): string {
  if (name !== undefined) {
    if (typeof name !== "string" || name.length === 0) {
      throw new TypeError(`Cannot ${what}: "name" must be a non-empty string: received ${describe(name)}`);
    }
    return name;
  }
  const own = fn.name;
  const declared = DECLARED.exec(Function.prototype.toString.call(fn))?.[1];
  if (own && declared === own) return own;
  const why = own
    ? `its name "${own}" cannot tell it apart from other functions (a method, arrow function, bound or default-exported function; ` +
      `only a function declared as \`function ${own}() {}\` may key on its own name)`
    : "the function has no name";
  throw new TypeError(`Cannot ${what}: ${why}; pass options.name, unique to this function in the cache (e.g. { name: "Users.get" })`);
}

/**
 * The name that stands for `fn`'s results in a cache (`memoize`,
 * `memoizeStampede`), claimed for `fn` alone in this process:
 *
 * - `name` when given: the caller's promise that it is unique to `fn`;
 * - else `"<module>:<declared name>"` (python-diskcache keys on module and
 *   qualified name), where the module is the one that called `memoize`
 *   (JavaScript cannot tell where a function was defined: its caller is the
 *   nearest it can see), named as {@linkcode moduleName} does, so that
 *   `function load` of `users.ts` and of `orders.ts` never share results,
 *   and runs of the same code share them across processes and restarts.
 *
 * Two functions that still claim one name for one cache in one process (two
 * `function load` of one module, a function memoized again after being
 * created anew) are refused: nothing could tell their results apart.
 * `memoize` and `memoizeStampede` (`what`) claim names apart: their keys
 * differ.
 *
 * @param what The caller, for error messages ("memoize", ...).
 * @param fn The function.
 * @param name The `name` option.
 * @param cache The cache the results go to (its `directory`, when it has
 * one, identifies it across instances).
 * @returns The name to key on.
 * @throws {TypeError} As {@linkcode keyName} does, and when another function
 * already claimed the name for this cache.
 */
export function resultName(what: string, fn: (...args: never[]) => unknown, name: unknown, cache: object): string {
  let id = keyName(what, fn, name);
  if (name === undefined) {
    const module = callerModule();
    if (module === undefined) {
      throw new TypeError(
        `Cannot ${what}: the module calling it cannot be found on the call stack (is Error.stack disabled?), ` +
          `and "${id}" alone cannot tell this function apart from a function of the same name in another module; pass options.name`,
      );
    }
    id = `${module}:${id}`;
  }
  claim(what, cache, id, fn);
  return id;
}

/** Per cache (its directory, or the object when it has none): the function that claimed each name. */
const byDirectory = new Map<string, Map<string, WeakRef<object>>>();
const byObject = new WeakMap<object, Map<string, WeakRef<object>>>();

/**
 * Records `fn` as the function named `id` in `cache`; the same function may
 * claim it again. A weak reference: a claimed name stays claimed after its
 * function is collected (its results are still in the cache).
 */
function claim(what: string, cache: object, id: string, fn: object): void {
  const directory = (cache as { directory?: unknown }).directory;
  let names: Map<string, WeakRef<object>> | undefined;
  if (typeof directory === "string") {
    names = byDirectory.get(directory);
    if (names === undefined) byDirectory.set(directory, names = new Map());
  } else {
    names = byObject.get(cache);
    if (names === undefined) byObject.set(cache, names = new Map());
  }
  const slot = `${what}\u0000${id}`; // memoize's and memoizeStampede's keys never meet: each has its own names
  const held = names.get(slot);
  if (held === undefined) {
    names.set(slot, new WeakRef(fn));
    return;
  }
  if (held.deref() === fn) return;
  const where = typeof directory === "string" ? `the cache at ${directory}` : "this cache";
  throw new TypeError(
    `Cannot ${what}: another function is already memoized as "${id}" in ${where}, and two functions must never share results ` +
      `(two functions of one name in one module, or a function created anew and memoized again); ` +
      `memoize each function once and reuse the memoized one, or give each its own options.name`,
  );
}

/** The location part of a stack line: `at f (file:///a/b.ts:1:2)`, `at /a/b.ts:1:2`. */
const FRAME = /(?:\(|at )((?:file:\/\/|https?:\/\/|\/|[A-Za-z]:[\\/])[^()]*?):\d+:\d+\)?$/;

/** The files of the frames of `stack`, innermost first (paths, or URLs other than `file:`). */
function stackFiles(stack: unknown): string[] {
  const files: string[] = [];
  if (typeof stack !== "string") return files; // an Error.prepareStackTrace that returns something else
  for (const line of stack.split("\n")) {
    const location = FRAME.exec(line.trim())?.[1];
    if (location === undefined) continue;
    if (!location.startsWith("file://")) {
      files.push(location);
      continue;
    }
    try {
      files.push(fileURLToPath(location));
    } catch {
      // a file: URL of another platform
    }
  }
  return files;
}

/**
 * The library's folder ({@linkcode libraryFolder}), null until the first call
 * that needs it: a stack trace formatted at import cost every start (issue 25).
 */
let library: string | undefined | null = null;

/**
 * This module's folder as stack traces show it (source-mapped, when source
 * maps are on): frames in it, and below it, are the library's own.
 */
function libraryFolder(): string | undefined {
  const own = stackFiles(new Error().stack)[0];
  if (own !== undefined) return dirname(own);
  try {
    return dirname(fileURLToPath(import.meta.url));
  } catch {
    return undefined;
  }
}

/**
 * The module that called into the library: the first stack frame outside
 * this folder, named by {@linkcode moduleName}; when every frame is inside
 * it (a bundle, a documentation test), the outermost file frame.
 */
function callerModule(): string | undefined {
  const limit = Error.stackTraceLimit;
  let stack: unknown;
  try {
    Error.stackTraceLimit = 64;
    if (library === null) library = libraryFolder();
    stack = new Error().stack;
  } finally {
    Error.stackTraceLimit = limit;
  }
  const files = stackFiles(stack);
  const LIBRARY = library;
  const inside = (file: string) => LIBRARY !== undefined && (file === LIBRARY || file.startsWith(LIBRARY + sep) || file.startsWith(LIBRARY + "/"));
  const file = files.find((f) => !inside(f)) ?? files.at(-1);
  return file === undefined ? undefined : moduleName(file);
}

/** Folders dropped from the front of a module's path in its package: where source and built code live. */
const LAYOUT = new Set(["src", "dist", "build", "out", "lib", "esm", "cjs"]);
/** Extensions dropped from a module's name. */
const EXTENSION = /\.(?:[cm]?[jt]s|[jt]sx)$/;
const packages = new Map<string, { root: string; name: string } | null>();

/**
 * A module's name, the same in every process and runtime running it: its
 * path inside its package (the nearest folder with a `package.json`,
 * `deno.json` or `deno.jsonc`) after the package's name, with `/`
 * separators, without its extension and without leading `src/`, `dist/`,
 * `build/`, `out/`, `lib/`, `esm/` or `cjs/` folders (so `src/users.ts` and
 * its build `dist/users.js` are both `users`); the absolute path, without its
 * extension, for a file in no package.
 */
export function moduleName(file: string): string {
  if (/^https?:\/\//.test(file)) return file.replace(/[?#].*$/, "").replace(EXTENSION, "");
  const pkg = packageOf(dirname(file));
  if (pkg === null) return file.replaceAll(sep, "/").replace(EXTENSION, "");
  const parts = relative(pkg.root, file).split(sep);
  while (parts.length > 1 && LAYOUT.has(parts[0]!)) parts.shift();
  const path = parts.join("/").replace(EXTENSION, "");
  return pkg.name ? `${pkg.name}/${path}` : path;
}

/**
 * Whether `path` may be read without asking: Deno without read permission
 * there would prompt (or throw) at `memoize()`; its module then goes by its
 * absolute path.
 */
function mayRead(path: string): boolean {
  // Deno's arms: Node 24, the row that measures branch coverage (scripts/coverage.mjs), has no permissions to ask.
  /* node:coverage disable */
  const permissions = (globalThis as { Deno?: { permissions?: { querySync?(d: { name: "read"; path: string }): { state: string } } } })
    .Deno?.permissions;
  if (permissions?.querySync === undefined) return true;
  try {
    return permissions.querySync({ name: "read", path }).state === "granted";
  } catch {
    return false;
  }
  /* node:coverage enable */
}

/**
 * The package holding `folder`: the nearest folder above it whose manifest
 * declares a name (a nameless `package.json`, as a build folder's
 * `{ "type": "commonjs" }`, does not end a package), else the nearest with
 * any manifest, else `null`.
 */
function packageOf(folder: string): { root: string; name: string } | null {
  const known = packages.get(folder);
  if (known !== undefined) return known;
  let here: { root: string; name: string } | null = null;
  for (const manifest of ["package.json", "deno.json", "deno.jsonc"]) {
    const path = join(folder, manifest);
    if (!mayRead(path) || !existsSync(path)) continue;
    let name = "";
    try {
      const parsed = JSON.parse(readFileSync(path, "utf8")) as { name?: unknown };
      if (typeof parsed?.name === "string") name = parsed.name;
    } catch {
      // deno.jsonc with comments, or unreadable: no name from it
    }
    if (here === null || (here.name === "" && name !== "")) here = { root: folder, name };
  }
  let found = here;
  if (here === null || here.name === "") {
    const parent = dirname(folder);
    const above = parent === folder ? null : packageOf(parent);
    if (above !== null && (above.name !== "" || here === null)) found = above;
  }
  packages.set(folder, found);
  return found;
}
