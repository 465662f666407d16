// Workload 1 on lmdb-js: synchronous get; put and remove are its asynchronous
// (batched) writes, each awaited before the next operation.
//   node bench/peers/lmdb.ts <dir> <ops> [--worker N] [--go FILE]
import { open } from "lmdb";
import { runWorkload } from "./_workload.ts";

await runWorkload({
  keys: "string",
  values: "bytes",
  driver: "lmdb",
  open(dir) {
    const db = open<Uint8Array, string>({ path: dir, encoding: "binary" });
    return {
      get: (k) => db.get(k as string),
      set: (k, v) => db.put(k as string, v as Uint8Array),
      delete: (k) => db.remove(k as string),
      close: () => db.close(),
    };
  },
});
