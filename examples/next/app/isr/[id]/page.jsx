// An ISR page: rendered on its first request, then served from the cache for an hour.
import { countRender } from "../../../lib/counter.js";

export const revalidate = 3600;
export const dynamicParams = true;
export function generateStaticParams() {
  return [];
}

export default async function IsrPage({ params }) {
  const { id } = await params;
  countRender(`isr-${id}`);
  // Pages named big-N carry 40 kB, for the size-limit test.
  const padding = id.startsWith("big") ? `${id}:`.repeat(40_000 / (id.length + 1)) : "";
  return (
    <main>
      <p id="render">isr {id} rendered at {Date.now()}</p>
      <p id="check">check:{id}:{padding.length}</p>
      {padding && <p hidden>{padding}</p>}
    </main>
  );
}
