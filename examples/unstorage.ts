// DiskCache as an unstorage driver: `@diskcache/diskcache/unstorage`. Items
// with a ttl in seconds, keys listed under a base, bytes kept as bytes, and
// the driver mounted at a prefix next to an in-memory one.
//   node examples/unstorage.ts [directory]      (also: deno run -A examples/unstorage.ts, bun examples/unstorage.ts)
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createStorage } from "unstorage";
import memory from "unstorage/drivers/memory";
import { diskcacheDriver } from "../unstorage.ts"; // in your project: from "@diskcache/diskcache/unstorage"

const directory = process.argv[2] ?? mkdtempSync(join(tmpdir(), "diskcache-unstorage-"));

const storage = createStorage({ driver: memory() });
storage.mount("cache", diskcacheDriver({ base: directory, ttl: 3600, sizeLimit: 2 ** 30 }));

await storage.setItem("cache:users:ada", { name: "Ada", admin: true });
await storage.setItem("cache:users:alan", { name: "Alan" }, { ttl: 60 }); // seconds
await storage.setItemRaw("cache:blobs:logo", new Uint8Array([0x89, 0x50, 0x4e, 0x47]));
await storage.setItem("scratch:note", "in memory only");

console.log(`keys under cache:users = ${JSON.stringify(await storage.getKeys("cache:users"))}`);
console.log(`getItem("cache:users:ada") = ${JSON.stringify(await storage.getItem("cache:users:ada"))}`);
const logo = await storage.getItemRaw<Uint8Array>("cache:blobs:logo");
console.log(
  `getItemRaw("cache:blobs:logo") = ${logo instanceof Uint8Array ? "Uint8Array" : typeof logo} [${[...(logo ?? [])].join(", ")}]`,
);
const meta = await storage.getMeta("cache:users:alan");
console.log(`getMeta("cache:users:alan").ttl = ${meta.ttl} seconds`);

await storage.unmount("cache"); // disposes the driver, which closes the cache
if (process.argv[2] === undefined) rmSync(directory, { recursive: true, force: true });
