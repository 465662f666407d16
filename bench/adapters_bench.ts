// Each adapter against the store its users would otherwise pick, through the
// host library's own API, on workload 1's mix (90% get, 9% set, 1% delete
// over 100 keys, string values of 1 to ~500 characters, keys pre-filled, the
// first 1,000 operations untimed). Prints one JSON line.
//   node bench/adapters_bench.ts <dir> <ops>
import process from "node:process";
import { join } from "node:path";
import Keyv from "keyv";
import KeyvSqlite from "@keyv/sqlite";
import { createCache } from "cache-manager";
import { createStorage } from "unstorage";
import fsDriver from "unstorage/drivers/fs";
import { KeyvDiskCache } from "../keyv.ts";
import { diskcacheDriver } from "../unstorage.ts";

interface Store {
  get(key: string): Promise<unknown>;
  set(key: string, value: string): Promise<unknown>;
  delete(key: string): Promise<unknown>;
  close(): Promise<void>;
}

const [dir, opsArg] = process.argv.slice(2) as [string, string];
const OPS = Number(opsArg);

function keyvStore(keyv: Keyv): Store {
  return { get: (k) => keyv.get(k), set: (k, v) => keyv.set(k, v), delete: (k) => keyv.delete(k), close: () => keyv.disconnect() };
}

const systems: [string, string, () => Store][] = [
  ["Keyv", "KeyvDiskCache", () => keyvStore(new Keyv({ store: new KeyvDiskCache(join(dir, "keyv-diskcache")) }))],
  ["Keyv", "@keyv/sqlite", () => keyvStore(new Keyv({ store: new KeyvSqlite(`sqlite://${join(dir, "keyv.sqlite")}`) }))],
  ["cache-manager 7", "Keyv(KeyvDiskCache)", () => {
    const c = createCache({ stores: [new Keyv({ store: new KeyvDiskCache(join(dir, "cm-diskcache")) })] });
    return { get: (k) => c.get(k), set: (k, v) => c.set(k, v), delete: (k) => c.del(k), close: async () => void (await c.disconnect()) };
  }],
  ["cache-manager 7", "Keyv(@keyv/sqlite)", () => {
    const c = createCache({ stores: [new Keyv({ store: new KeyvSqlite(`sqlite://${join(dir, "cm.sqlite")}`) })] });
    return { get: (k) => c.get(k), set: (k, v) => c.set(k, v), delete: (k) => c.del(k), close: async () => void (await c.disconnect()) };
  }],
  ["unstorage", "diskcacheDriver", () => {
    const s = createStorage({ driver: diskcacheDriver({ base: join(dir, "unstorage-diskcache") }) });
    return { get: (k) => s.getItem(k), set: (k, v) => s.setItem(k, v), delete: (k) => s.removeItem(k), close: () => s.dispose() };
  }],
  ["unstorage", "fs driver", () => {
    const s = createStorage({ driver: fsDriver({ base: join(dir, "unstorage-fs") }) });
    return { get: (k) => s.getItem(k), set: (k, v) => s.setItem(k, v), delete: (k) => s.removeItem(k), close: () => s.dispose() };
  }],
];

const summary = (xs: number[]) => {
  xs.sort((a, b) => a - b);
  const n = xs.length;
  return { count: n, median: xs[n >> 1]!, p99: xs[Math.floor(n * 0.99)]! };
};

const results = [];
for (const [host, store, open] of systems) {
  const s = open();
  let seed = 1;
  const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000;
  const keys = Array.from({ length: 100 }, (_, i) => `key${i}`);
  for (const k of keys) await s.set(k, k);
  const timings: Record<string, number[]> = { get: [], set: [], delete: [] };
  let timedUs = 0;
  for (let i = 0; i < OPS; i++) {
    const r = random();
    const key = keys[Math.floor(random() * 100)]!;
    const value = r >= 0.9 && r < 0.99 ? String(i).repeat(1 + Math.floor(random() * 99)) : "";
    const op = r < 0.9 ? "get" : r < 0.99 ? "set" : "delete";
    const t0 = process.hrtime.bigint();
    if (op === "get") await s.get(key);
    else if (op === "set") await s.set(key, value);
    else await s.delete(key);
    const us = Number(process.hrtime.bigint() - t0) / 1000;
    if (i >= 1000) {
      timings[op]!.push(us);
      timedUs += us;
    }
  }
  await s.close();
  results.push({
    host,
    store,
    opsPerSec: (OPS - 1000) / (timedUs / 1e6),
    get: summary(timings.get!),
    set: summary(timings.set!),
    delete: summary(timings.delete!),
  });
}
console.log(JSON.stringify({ runtime: `node ${process.version}`, ops: OPS, results }));
