// Workload 1 on file-system-cache 2: one JSON file per key. One process only.
//   node bench/peers/file_system_cache.ts <dir> <ops> [--worker N] [--go FILE]
import { createRequire } from "node:module";
import { runWorkload } from "./_workload.ts";

// Loaded through require: its CommonJS default export has no ESM interop types.
interface FileSystemCache {
  get(key: string, defaultValue?: unknown): Promise<unknown>;
  set(key: string, value: unknown): Promise<unknown>;
  remove(key: string): Promise<void>;
}
const fsc = createRequire(import.meta.url)("file-system-cache") as { default: (options: { basePath: string }) => FileSystemCache };

await runWorkload({
  keys: "string",
  values: "string",
  driver: "file-system-cache",
  open(dir) {
    const cache = fsc.default({ basePath: dir });
    return {
      get: (k) => cache.get(k as string),
      set: (k, v) => cache.set(k as string, v),
      delete: (k) => cache.remove(k as string),
    };
  },
});
