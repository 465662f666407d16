// A package of two modules that each memoize a `function load`, for the
// memoize tests of test/memoize_test.ts and test/system/memoize_test.ts.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Writes a package "app" with `function load` in two modules, src/users.mjs
 * and src/orders.mjs, and the same users module built into dist/users.mjs.
 * Each memoizes its own `load` at its top level, as an application would,
 * with the `memoize` and cache found in `globalThis.memoizeTest`, and exports
 * the memoized function and how many times `load` ran.
 */
export function twoModules(root: string): { users: string; orders: string; builtUsers: string } {
  mkdirSync(join(root, "src"), { recursive: true });
  mkdirSync(join(root, "dist"), { recursive: true });
  writeFileSync(join(root, "package.json"), JSON.stringify({ name: "app", type: "module" }));
  const module = (what: string) =>
    `const { memoize, memoizeStampede, cache } = globalThis.memoizeTest;\nlet calls = 0;\n` +
    `function load(id) {\n  calls++;\n  return { ${what}: id };\n}\n` +
    `export const loader = memoize(cache, load);\nexport const stampeded = memoizeStampede(cache, load, { ttl: 60000 });\n` +
    `export const count = () => calls;\n`;
  writeFileSync(join(root, "src", "users.mjs"), module("user"));
  writeFileSync(join(root, "src", "orders.mjs"), module("order"));
  writeFileSync(join(root, "dist", "users.mjs"), module("user"));
  return { users: join(root, "src", "users.mjs"), orders: join(root, "src", "orders.mjs"), builtUsers: join(root, "dist", "users.mjs") };
}
