// next.config's cacheHandler. In an app of your own:
//   import { createIncrementalCacheHandler } from "@diskcache/diskcache/next";
import { createIncrementalCacheHandler } from "../../dist/next.js";
import { options } from "./lib/cache-options.mjs";

export default createIncrementalCacheHandler(options);
