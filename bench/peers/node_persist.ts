// Workload 1 on node-persist 4 with its defaults (one file per key, its write
// queue on); every getItem reads the key's file. One process only.
//   node bench/peers/node_persist.ts <dir> <ops> [--worker N] [--go FILE]
import { createRequire } from "node:module";
import { runWorkload } from "./_workload.ts";

// node-persist ships no type declarations; this is the part of its API used here.
interface LocalStorage {
  init(options: { dir: string }): Promise<unknown>;
  getItem(key: string): Promise<unknown>;
  setItem(key: string, value: unknown): Promise<unknown>;
  removeItem(key: string): Promise<{ existed: boolean }>;
}
const nodePersist = createRequire(import.meta.url)("node-persist") as { create(): LocalStorage };

await runWorkload({
  keys: "string",
  values: "string",
  driver: "node-persist",
  async open(dir) {
    const storage = nodePersist.create();
    await storage.init({ dir });
    return {
      get: (k) => storage.getItem(k as string),
      set: (k, v) => storage.setItem(k as string, v),
      delete: async (k) => (await storage.removeItem(k as string)).existed,
    };
  },
});
