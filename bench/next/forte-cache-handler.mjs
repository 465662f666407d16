// @fortedigital/nextjs-cache-handler's in-memory LRU handler, as its README sets it up,
// for bench/sections/next.mjs (NEXT_CACHE_MODE=forte in examples/next/next.config.mjs).
import { CacheHandler } from "@fortedigital/nextjs-cache-handler";
import createLruHandler from "@fortedigital/nextjs-cache-handler/local-lru";

CacheHandler.onCreation(() => ({ handlers: [createLruHandler()] }));

export default CacheHandler;
