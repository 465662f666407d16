/**
 * `diskcache ls`: the live items of a cache, as a table or one JSON
 * document, written as they are read at the pace of the reader.
 *
 * @module
 */
import { duration } from "./format.ts";
import { showKey } from "./keys.ts";
import { EXIT, positiveInteger, type Run } from "./run.ts";
import { UsageError } from "./args.ts";
import { showsAsIs, taggedText, toHex, toTagged } from "./tagged_json.ts";

/** A tag as `ls` writes it: as it is, or JSON-quoted when it would not show as itself on one line. */
function tagText(tag: unknown): string {
  if (tag === null) return "-";
  if (tag instanceof Uint8Array) return toHex(tag);
  return typeof tag === "string" && !showsAsIs(tag) ? taggedText(tag) : String(tag);
}

/**
 * Lists live items: a table, or under `--json` one document
 * `{"items": [...]}` (with `"error"` and `"exitCode"` after the items when
 * the listing fails part way). Written every 1,000 items, waiting for a slow
 * reader, so memory stays flat whatever the cache's size.
 */
export async function ls(r: Run): Promise<number> {
  const { cache, io, p, json } = r;
  const order = p.values.order ?? "insertion";
  if (order !== "insertion" && order !== "key") throw new UsageError(`Cannot use --order: expected insertion or key: received ${JSON.stringify(order)}`);
  const limit = positiveInteger(p.values.limit, "limit", Infinity);
  const prefix = p.values.prefix as string | undefined, tag = p.values.tag as string | undefined;
  const now = io.now();
  let n = 0;
  let out = json ? '{"items":[\n' : `${"SIZE".padStart(10)}  ${"TTL".padStart(6)}  WHERE   TYPE     ${"TAG".padEnd(10)}  KEY\n`;
  const flush = async () => {
    const text = out;
    out = "";
    if (text !== "") await io.stdout(text);
  };
  if (json) r.unclosed = "]";
  try {
    for (const info of cache.inspectAll({ order, reverse: p.values.reverse === true })) {
      if (prefix !== undefined && !(typeof info.key === "string" && info.key.startsWith(prefix))) continue;
      if (tag !== undefined && info.tag !== tag) continue;
      if (n === limit) break;
      const key = showKey(info.key);
      const ttl = info.expireTime === null ? null : Math.max(0, info.expireTime - now);
      out += json
        ? (n === 0 ? "" : ",") + JSON.stringify(toTagged({
          key: key.text,
          type: key.type,
          size: info.size,
          storage: info.storage,
          ttl,
          expireTime: info.expireTime,
          tag: info.tag,
          mode: info.mode,
          filename: info.filename,
          storeTime: info.storeTime,
        })) + "\n"
        : `${String(info.size).padStart(10)}  ${duration(ttl).padStart(6)}  ${info.storage.padEnd(6)}  ${key.type.padEnd(7)}  ${
          tagText(info.tag).padEnd(10)
        }  ${key.text}\n`;
      if (++n % 1000 === 0) await flush();
    }
  } catch (error) {
    await flush(); // the rows read before the error are complete: keep them
    throw error;
  }
  if (json) {
    out += "]}\n";
    r.unclosed = undefined;
  }
  await flush();
  return EXIT.ok;
}
