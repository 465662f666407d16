/**
 * The name that stands for a function in cache keys (`memoize`,
 * `memoizeStampede`, `throttle`, `barrier`), and the rule for when a
 * function's own name may serve.
 *
 * @module
 */
import { describe } from "./errors.ts";

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
