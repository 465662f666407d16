// A page whose data comes from a tagged fetch: revalidateTag("data") renders it fresh.
import { countRender } from "../../../lib/counter.js";

export const revalidate = 3600;
export const dynamicParams = true;
export function generateStaticParams() {
  return [];
}

export default async function FetchPage({ params }) {
  const { id } = await params;
  countRender(`fetch-${id}`);
  const res = await fetch(`${process.env.DATA_URL}/data?id=${id}`, { cache: "force-cache", next: { tags: ["data", `data-${id}`] } });
  const data = await res.text();
  return <p id="data">fetch {id} data {data}</p>;
}
