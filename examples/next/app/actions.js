"use server";
// updateTag: read-your-writes expiry, allowed only in Server Actions.
import { updateTag } from "next/cache";

export async function expireTag(tag) {
  updateTag(tag);
  return tag;
}
