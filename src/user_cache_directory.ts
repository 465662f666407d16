/**
 * `userCacheDirectory(name)`: where a named, long-lived cache belongs on this
 * machine, in the current user's own cache directory (never a shared path
 * such as `/tmp/name`, which a second user cannot open and anyone can fill).
 *
 * @module
 */
import { isAbsolute, join } from "node:path";
import { describe } from "./errors.ts";
// Node's built-ins through process.getBuiltinModule, not `import`: see test/cold_start_test.ts (issue 25).
/** node:os, loaded on the first call: Node loads the module for `getBuiltinModule` (issue 25). */
const homedir = (): string => globalThis.process.getBuiltinModule("node:os").homedir();

/**
 * Options of {@linkcode userCacheDirectory}: the facts it reads from the
 * process, given explicitly (for tests and tools that ask for another
 * platform's answer).
 *
 * @example Ask for the macOS answer anywhere
 * ```ts
 * import assert from "node:assert/strict";
 * import { userCacheDirectory, type UserCacheDirectoryOptions } from "@diskcache/diskcache";
 * const mac: UserCacheDirectoryOptions = { platform: "darwin", home: "/Users/ada", env: {} };
 * assert.equal(userCacheDirectory("my-app", mac), "/Users/ada/Library/Caches/my-app");
 * ```
 */
export interface UserCacheDirectoryOptions {
  /**
   * The platform, as `process.platform` names it.
   *
   * @default {process.platform}
   */
  platform?: string;
  /**
   * The environment variables read (`XDG_CACHE_HOME`, `LOCALAPPDATA`, `HOME`, `USERPROFILE`).
   *
   * @default {process.env}
   */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * The user's home directory, when the environment does not name it.
   *
   * @default {os.homedir()}
   */
  home?: string;
}

/**
 * The directory for a cache named `name` in the current user's cache
 * directory: `$XDG_CACHE_HOME/name` (or `~/.cache/name`) on Linux and other
 * Unix systems, `~/Library/Caches/name` on macOS, `%LOCALAPPDATA%\name` on
 * Windows. Nothing is created: `new DiskCache(dir)` creates it, readable by
 * this user only. On Deno this reads the environment (`--allow-env`).
 *
 * @param name One path segment naming the cache, such as your application's
 * name: no `/` or `\`, not `.` or `..`.
 * @param options Another platform, environment or home directory than this
 * process's (for tests and tools).
 * @returns An absolute path.
 * @throws {TypeError} When `name` is not one plain path segment.
 * @throws {Error} When no home or cache directory can be found.
 *
 * @example Keep a named cache where the platform keeps caches
 * ```ts
 * import assert from "node:assert/strict";
 * import { rmSync } from "node:fs";
 * import { DiskCache, userCacheDirectory } from "@diskcache/diskcache";
 * const directory = userCacheDirectory("diskcache-doc-example");
 * assert.match(directory, /diskcache-doc-example$/);
 * {
 *   using cache = new DiskCache(directory);
 *   cache.set("greeting", "hello");
 * }
 * rmSync(directory, { recursive: true, force: true }); // an example: leave nothing behind
 * ```
 */
export function userCacheDirectory(name: string, options: UserCacheDirectoryOptions = {}): string {
  if (typeof name !== "string" || name === "" || name === "." || name === ".." || /[/\\\0]/.test(name)) {
    throw new TypeError(
      `Cannot find a user cache directory: "name" must be one path segment such as "my-app" (no "/" or "\\", not "." or ".."): received ${describe(name)}`,
    );
  }
  // The global process, not `import ... from "node:process"` (whose module facade costs Node ~7 ms at start).
  const platform = options.platform ?? globalThis.process.platform;
  const env = options.env ?? globalThis.process.env;
  const absolute = (path: string | undefined) => path !== undefined && path !== "" && isAbsolute(path) ? path : undefined;
  const home = () => {
    const found = absolute(options.home) ??
      absolute(platform === "win32" ? env.USERPROFILE : env.HOME) ?? (options.home === undefined ? absolute(homedir()) : undefined);
    if (found === undefined) {
      throw new Error(
        `Cannot find a user cache directory: no home directory (${
          platform === "win32" ? "USERPROFILE" : "HOME"
        } is unset); pass a directory to DiskCache yourself`,
      );
    }
    return found;
  };
  if (platform === "win32") return join(absolute(env.LOCALAPPDATA) ?? join(home(), "AppData", "Local"), name);
  if (platform === "darwin") return join(home(), "Library", "Caches", name);
  return join(absolute(env.XDG_CACHE_HOME) ?? join(home(), ".cache"), name);
}
