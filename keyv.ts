/**
 * `@diskcache/diskcache/keyv`: {@linkcode KeyvDiskCache}, DiskCache as a Keyv
 * storage adapter. An entry point of its own, so importing only this subpath
 * chooses the runtime's SQLite driver just as the main entry does.
 *
 * @example Use DiskCache under Keyv
 * ```ts ignore
 * import Keyv from "keyv";
 * import { userCacheDirectory } from "@diskcache/diskcache";
 * import { KeyvDiskCache } from "@diskcache/diskcache/keyv";
 * const keyv = new Keyv({ store: new KeyvDiskCache(userCacheDirectory("my-app")) });
 * await keyv.set("greeting", "hello", 60_000);
 * ```
 *
 * @module
 */
import "./runtimes/auto.ts";
export * from "./src/adapters/keyv.ts";
