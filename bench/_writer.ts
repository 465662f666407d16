// Background load for bench/policy_bench.ts: sets random keys in a loop until
// killed or `seconds` pass.
import process from "node:process";
import { DiskCache } from "../mod.ts";

const [dir, seconds = "30"] = process.argv.slice(2) as [string, string?];
const cache = new DiskCache(dir);
const until = Date.now() + Number(seconds) * 1000;
const value = new Uint8Array(200);
let i = 0;
while (Date.now() < until) cache.set(`w-${i++ % 5000}`, value);
cache.close();
