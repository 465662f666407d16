import { DiskCache } from "../mod.ts";
const c = new DiskCache();
const keys = Array.from({ length: 1000 }, (_, i) => "key-" + i);
for (const k of keys) c.set(k, new Uint8Array(200));
const t = performance.now();
for (let i = 0; i < 1000000; i++) c.get(keys[(i * 7919) % 1000]!);
console.log(((performance.now() - t) / 1000000 * 1000).toFixed(2), "µs/get");
