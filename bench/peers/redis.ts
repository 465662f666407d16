// Workload 1 on Redis through node-redis (`redis` v5), one connection.
//   node bench/peers/redis.ts <host:port> <ops> [--worker N] [--go FILE]
import { createClient } from "redis";
import { runWorkload } from "./_workload.ts";

await runWorkload({
  keys: "string",
  values: "string",
  driver: "redis",
  async open(target) {
    const client = createClient({ url: `redis://${target}` });
    await client.connect();
    return {
      get: async (k) => (await client.get(k as string)) ?? undefined,
      set: (k, v) => client.set(k as string, v as string),
      delete: (k) => client.del(k as string),
      close: () => client.quit(),
    };
  },
});
