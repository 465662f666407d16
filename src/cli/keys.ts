/**
 * Keys on the command line: how a typed argument becomes a key, and how a
 * stored key is shown so that it can be typed back. Each key has a type,
 * and each type one flag: `str` (none), `int` (`--int`), `float`
 * (`--float`), `bytes` (`--hex`), `json` (`--key-json`), and `foreign`
 * (`--foreign`, the stored bytes of a key this library cannot decode, such
 * as a tuple python-diskcache pickled).
 *
 * @module
 */
import { ForeignKey } from "../format/undecodable_key.ts";
import { UsageError } from "./args.ts";
import { fromHex, fromTagged, showsAsIs, taggedText, toHex } from "./tagged_json.ts";

export { fromHex, toHex };

/** The type of a key as the command line names it. */
export type KeyType = "str" | "int" | "float" | "bytes" | "json" | "foreign";

/** The flag that types a key argument, by key type (`str` has none). */
export const KEY_FLAGS: Readonly<Record<Exclude<KeyType, "str">, string>> = {
  int: "int",
  float: "float",
  bytes: "hex",
  json: "key-json",
  foreign: "foreign",
};

/** An integer from decimal text: a number when safe, else a bigint. */
export function parseInteger(text: string, what: string): number | bigint {
  if (!/^[-+]?\d+$/.test(text.trim())) throw new UsageError(`Cannot read ${what}: expected an integer: received ${JSON.stringify(text)}`);
  const big = BigInt(text.trim());
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}

/** A float from text (`1.5`, `1e3`, `inf`, `-inf`, `nan`). */
export function parseFloat_(text: string, what: string): number {
  const t = text.trim().toLowerCase().replace(/^([-+]?)inf(inity)?$/, "$1Infinity");
  if (t === "nan") return NaN;
  const n = Number(t);
  if (!/^[-+]?(?:\d+\.?\d*(?:e[-+]?\d+)?|\.\d+(?:e[-+]?\d+)?|infinity)$/i.test(t) || Number.isNaN(n)) {
    throw new UsageError(`Cannot read ${what}: expected a number such as 1.5: received ${JSON.stringify(text)}`);
  }
  return n;
}

/** JSON text, parsed, with the tags of `tagged_json.ts` read as the values they stand for. */
export function parseJson(text: string, what: string): unknown {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`Cannot read ${what}: not valid JSON (${(error as Error).message}): received ${JSON.stringify(text)}`);
  }
  return fromTagged(data, what);
}

/** The key named by `text` typed as `type`. */
export function parseKey(text: string, type: KeyType): unknown {
  switch (type) {
    case "int":
      return parseInteger(text, "the key");
    case "float":
      return parseFloat_(text, "the key");
    case "bytes":
      return fromHex(text, "the key");
    case "json":
      return parseJson(text, "the key");
    case "foreign":
      return new ForeignKey(fromHex(text, "the key"));
    default:
      return text;
  }
}

/**
 * A stored key as shown (`text`) and its type, so that `text` typed with the
 * type's flag names the same item again:
 * - a string as it is, unless it would not show as itself on one line (empty,
 *   spaces around it, a newline, a control, format or unusual space
 *   character): then as a JSON string (type `json`), those characters escaped;
 * - an integral number stored as SQLite INTEGER (within ±2^63) as `int`, and
 *   past it (stored as REAL, as Python's `1e19`) as `float`;
 * - a structured key as tagged JSON (see `tagged_json.ts`), so a bigint
 *   inside it stays one.
 */
export function showKey(key: unknown): { text: string; type: KeyType } {
  if (typeof key === "string") return showsAsIs(key) ? { text: key, type: "str" } : { text: taggedText(key), type: "json" };
  if (typeof key === "bigint") return { text: String(key), type: "int" };
  if (typeof key === "number") {
    // The range rawKeyValue (format/row_values.ts) stores as INTEGER.
    const integer = Number.isInteger(key) && key >= -(2 ** 63) && key < 2 ** 63;
    return integer ? { text: BigInt(key).toString(), type: "int" } : { text: Number.isNaN(key) ? "nan" : String(key), type: "float" };
  }
  if (key instanceof Uint8Array) return { text: toHex(key), type: "bytes" };
  if (key instanceof ForeignKey) return { text: toHex(key.bytes), type: "foreign" };
  return { text: taggedText(key), type: "json" };
}
