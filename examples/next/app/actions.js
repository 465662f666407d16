"use server";
// updateTag: read-your-writes expiry, allowed only in Server Actions.
import { updateTag } from "next/cache";

// deno-lint-ignore require-await -- a Server Action must be async
export async function expireTag(tag) {
  updateTag(tag);
  return tag;
}
