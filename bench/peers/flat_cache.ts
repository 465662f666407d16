// Workload 1 on flat-cache 6: the cache lives in memory and in one JSON file;
// set and delete call save() after each change so that each write is on disk
// (without it they would be memory-only). One process only (see the notes).
//   node bench/peers/flat_cache.ts <dir> <ops> [--worker N] [--go FILE]
import { FlatCache } from "flat-cache";
import { runWorkload } from "./_workload.ts";

await runWorkload({
  keys: "string",
  values: "string",
  driver: "flat-cache",
  open(dir) {
    const cache = new FlatCache({ cacheDir: dir, cacheId: "workload1" });
    cache.load();
    return {
      get: (k) => cache.getKey(k as string),
      set: (k, v) => {
        cache.setKey(k as string, v);
        cache.save();
      },
      delete: (k) => {
        cache.removeKey(k as string);
        cache.save();
      },
    };
  },
});
