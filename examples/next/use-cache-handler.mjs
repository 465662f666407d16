// next.config's cacheHandlers.default. In an app of your own:
//   import { createUseCacheHandler } from "@diskcache/diskcache/next";
import { createUseCacheHandler } from "../../dist/next.js";
import { options } from "./lib/cache-options.mjs";

export default createUseCacheHandler(options);
