/**
 * `@diskcache/diskcache/unstorage`: {@linkcode diskcacheDriver}, DiskCache as
 * an unstorage driver. An entry point of its own, so importing only this
 * subpath chooses the runtime's SQLite driver just as the main entry does.
 *
 * @example Mount DiskCache in unstorage
 * ```ts ignore
 * import { createStorage } from "unstorage";
 * import { userCacheDirectory } from "@diskcache/diskcache";
 * import { diskcacheDriver } from "@diskcache/diskcache/unstorage";
 * const storage = createStorage({ driver: diskcacheDriver({ base: userCacheDirectory("my-app") }) });
 * await storage.setItem("greeting", "hello");
 * ```
 *
 * @module
 */
import "./runtimes/auto.ts";
export * from "./src/adapters/unstorage.ts";
