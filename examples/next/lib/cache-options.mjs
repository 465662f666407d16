// One directory for both handlers, shared by every `next start` of the host.
import { join } from "node:path";

export const options = {
  directory: process.env.NEXT_DISKCACHE_DIR ?? join(process.cwd(), ".next", "diskcache"),
  sizeLimit: Number(process.env.NEXT_DISKCACHE_SIZE_LIMIT ?? 2 ** 30),
  ...(process.env.NEXT_DISKCACHE_EVICTION ? { evictionPolicy: process.env.NEXT_DISKCACHE_EVICTION } : {}),
};
