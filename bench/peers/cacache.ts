// Workload 1 on cacache (npm's content-addressed cache). get throws on a miss
// (caught: a miss); delete is rm.entry, which drops the index entry only.
//   node bench/peers/cacache.ts <dir> <ops> [--worker N] [--go FILE]
import { createRequire } from "node:module";
import { runWorkload } from "./_workload.ts";

// cacache ships no type declarations; this is the part of its API used here.
interface Cacache {
  get(cache: string, key: string): Promise<{ data: Uint8Array }>;
  put(cache: string, key: string, data: Uint8Array): Promise<string>;
  rm: { entry(cache: string, key: string): Promise<unknown> };
}
const cacache = createRequire(import.meta.url)("cacache") as Cacache;

await runWorkload({
  keys: "string",
  values: "bytes",
  driver: "cacache",
  open(dir) {
    return {
      async get(k) {
        try {
          return (await cacache.get(dir, k as string)).data;
        } catch (error) {
          if ((error as { code?: string }).code === "ENOENT") return undefined;
          throw error;
        }
      },
      set: (k, v) => cacache.put(dir, k as string, v as Uint8Array),
      delete: async (k) => void (await cacache.rm.entry(dir, k as string)),
    };
  },
});
