/**
 * Step 5 of `cachedFetch`: a 304 (or a 200 to a HEAD) and the stored
 * response it may update (RFC 9111 sections 4.3.4, 4.3.5 and 3.2).
 *
 * @module
 */
import type CachePolicy from "http-cache-semantics";
import { weakTag } from "./_preconditions.ts";

/** Fields of the stored body that a 304 or a HEAD does not replace (RFC 9111 section 3.2; as http-cache-semantics). */
const KEEP_ON_UPDATE = new Set(["content-length", "content-encoding", "transfer-encoding", "content-range"]);

/**
 * Whether a 304 with header fields `fields` validates the stored response
 * with fields `stored` (RFC 9111 section 4.3.4): a strong entity tag must be
 * the stored one, a weak one must match it weakly; without an entity tag, a
 * `Last-Modified` must be the stored one. A 304 with no validator at all
 * (RFC 9110 section 15.4.5 requires none but the entity tag the 200 would
 * have had) validates it only when every validator the conditional request
 * carried was the stored response's (`onlyOurs`): a 304 to a client's own
 * validators is the client's, and updates nothing.
 */
export function validates(stored: CachePolicy.Headers, fields: Record<string, string | string[]>, onlyOurs: boolean): boolean {
  const etag = fields["etag"], storedTag = stored["etag"];
  if (typeof etag === "string") {
    if (typeof storedTag !== "string") return false;
    return etag.trim().startsWith("W/") ? weakTag(etag) === weakTag(storedTag) : etag.trim() === storedTag.trim();
  }
  const lastModified = fields["last-modified"];
  if (typeof lastModified === "string" && typeof stored["last-modified"] === "string") {
    return lastModified === stored["last-modified"];
  }
  return onlyOurs;
}

/**
 * The stored response's header fields updated by those of a 304 or HEAD
 * response that validated it (RFC 9111 section 3.2): each field it carries
 * replaces the stored one, except those that describe the stored body.
 */
export function updatedFields(stored: CachePolicy.Headers, fields: Record<string, string | string[]>): CachePolicy.Headers {
  const merged: CachePolicy.Headers = { ...stored };
  for (const [name, value] of Object.entries(fields)) if (!KEEP_ON_UPDATE.has(name)) merged[name] = value;
  return merged;
}

/**
 * Whether a 200 to a HEAD describes the stored response (RFC 9111 section
 * 4.3.5): its validators and length, where it has them, are the stored ones.
 */
export function sameRepresentation(stored: CachePolicy.Headers, head: Record<string, string | string[]>, size: number): boolean {
  for (const name of ["etag", "last-modified"]) {
    if (head[name] !== undefined && head[name] !== stored[name]) return false;
  }
  return head["content-length"] === undefined || Number(head["content-length"]) === size;
}
