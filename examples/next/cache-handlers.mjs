// next.config's cacheHandlers.default, for both caches: the 'use cache'
// handler, and the incremental one (ISR pages, route handlers, fetch results)
// installed as Next's FetchCache. In an app of your own:
//   import { createCacheHandlers } from "@diskcache/diskcache/next";
import { createCacheHandlers } from "../../dist/next.js";
import { options } from "./lib/cache-options.mjs";

export default createCacheHandlers(options);
