// Cold start, ours: import the package, open a cache in a fresh temporary
// directory, set, get, close. Run as a whole process by bench/sections/cold_start.mjs.
// Usage: <runtime> ours.mjs <entry: mod.ts, or the packed build's mod.js>
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const { DiskCache } = await import(pathToFileURL(resolve(process.argv[2])).href);
const dir = mkdtempSync(join(tmpdir(), "cold-start-"));
const cache = new DiskCache(dir);
cache.set("key", "value");
if (cache.get("key") !== "value") throw new Error("cold start: get did not return what set stored");
cache.close();
rmSync(dir, { recursive: true, force: true });
