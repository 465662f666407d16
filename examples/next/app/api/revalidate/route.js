// POST /api/revalidate?tag=t[&profile=max] or ?path=/isr/1: revalidateTag / revalidatePath.
// (updateTag works only in a Server Action: see app/actions.js.)
import { revalidatePath, revalidateTag } from "next/cache";

export const dynamic = "force-dynamic";

// deno-lint-ignore require-await -- Next awaits route handlers
export async function POST(request) {
  const url = new URL(request.url);
  const tag = url.searchParams.get("tag");
  const path = url.searchParams.get("path");
  if (tag) revalidateTag(tag, url.searchParams.get("profile") === "max" ? "max" : { expire: 0 });
  if (path) revalidatePath(path);
  return Response.json({ revalidated: true, tag, path });
}
