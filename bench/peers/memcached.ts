// Workload 1 on memcached through memjs (binary protocol), one connection.
//   node bench/peers/memcached.ts <host:port> <ops> [--worker N] [--go FILE]
import { createRequire } from "node:module";
import { runWorkload } from "./_workload.ts";

interface MemjsClient {
  get(key: string): Promise<{ value: Uint8Array | null }>;
  set(key: string, value: Uint8Array, options: { expires?: number }): Promise<boolean>;
  delete(key: string): Promise<boolean>;
  quit(): void;
}
// memjs ships no type declarations; this is the part of its API used here.
const memjs = createRequire(import.meta.url)("memjs") as { Client: { create(servers: string, options?: object): MemjsClient } };

await runWorkload({
  keys: "string",
  values: "bytes",
  driver: "memjs",
  open(target) {
    const client = memjs.Client.create(target, { retries: 0, logger: { log() {} } });
    return {
      get: async (k) => (await client.get(k as string)).value ?? undefined,
      set: (k, v) => client.set(k as string, v as Uint8Array, { expires: 0 }),
      delete: (k) => client.delete(k as string),
      close: () => client.quit(),
    };
  },
});
