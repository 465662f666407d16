// Workload 1 on keyv 5 over @keyv/sqlite (which uses the `sqlite3` package).
//   node bench/peers/keyv_sqlite.ts <dir> <ops> [--worker N] [--go FILE]
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import KeyvSqlite from "@keyv/sqlite";
import Keyv from "keyv";
import { runWorkload } from "./_workload.ts";

await runWorkload({
  keys: "string",
  values: "string",
  driver: "@keyv/sqlite",
  open(dir) {
    mkdirSync(dir, { recursive: true });
    const keyv = new Keyv({ store: new KeyvSqlite({ uri: `sqlite://${join(dir, "keyv.sqlite")}`, busyTimeout: 60_000 }) });
    return {
      get: (k) => keyv.get(k as string),
      set: (k, v) => keyv.set(k as string, v as string),
      delete: (k) => keyv.delete(k as string),
      close: () => keyv.disconnect(),
    };
  },
});
