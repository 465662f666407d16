// Minimal types for the bun:sqlite import in runtimes/bun.ts, so tsc can
// build that file without Bun's type package.
declare module "bun:sqlite" {
  // deno-lint-ignore no-explicit-any
  export const Database: new (path: string, options?: any) => any;
  export const constants: { SQLITE_OPEN_READONLY: number; SQLITE_OPEN_URI: number };
}
