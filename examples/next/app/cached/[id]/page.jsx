// A dynamic page that calls a 'use cache' function tagged with cacheTag.
import { cacheLife, cacheTag } from "next/cache";
import { connection } from "next/server";
import { countRender } from "../../../lib/counter.js";

// deno-lint-ignore require-await -- a 'use cache' function must be async
async function cachedValue(id) {
  "use cache";
  cacheTag("uc", `uc-${id}`);
  cacheLife({ stale: 60, revalidate: 3600, expire: 86400 });
  countRender(`uc-${id}`);
  return `${id}@${Date.now()}`;
}

export default async function CachedPage({ params }) {
  await connection();
  const { id } = await params;
  return <p id="value">use cache {await cachedValue(id)}</p>;
}
