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

/** Bytes from hex digits (whitespace and a leading `0x` allowed). */
export function fromHex(text: string, what: string): Uint8Array {
  const digits = text.replace(/\s+/g, "").replace(/^0x/i, "");
  if (!/^(?:[0-9a-f]{2})*$/i.test(digits)) {
    throw new UsageError(`Cannot read ${what}: expected an even number of hex digits (such as 00ff10): received ${JSON.stringify(text)}`);
  }
  return Uint8Array.from(digits.match(/../g) ?? [], (h) => parseInt(h, 16));
}

/** Hex digits of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** An integer from decimal text: a number when safe, else a bigint. */
export function parseInteger(text: string, what: string): number | bigint {
  if (!/^[-+]?\d+$/.test(text.trim())) throw new UsageError(`Cannot read ${what}: expected an integer: received ${JSON.stringify(text)}`);
  const big = BigInt(text.trim());
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}

/** A finite or infinite float from text (`1.5`, `1e3`, `inf`, `-inf`). */
export function parseFloat_(text: string, what: string): number {
  const t = text.trim().toLowerCase().replace(/^(-?)inf(inity)?$/, "$1Infinity");
  const n = Number(t);
  if (t === "" || Number.isNaN(n)) throw new UsageError(`Cannot read ${what}: expected a number such as 1.5: received ${JSON.stringify(text)}`);
  return n;
}

/** JSON text, parsed. */
export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`Cannot read ${what}: not valid JSON (${(error as Error).message}): received ${JSON.stringify(text)}`);
  }
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

/** Replaces what JSON cannot say (bigint, bytes, Map, Set, undefined) by readable stand-ins. */
export function jsonSafe(value: unknown): unknown {
  if (typeof value === "bigint") return Number.isSafeInteger(Number(value)) ? Number(value) : String(value);
  if (value instanceof Uint8Array) return toHex(value);
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), jsonSafe(v)]));
  if (value instanceof Set || Array.isArray(value)) return [...value].map(jsonSafe);
  if (value instanceof Date || value === null || typeof value !== "object") return value === undefined ? null : value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonSafe(v)]));
}

/** A stored key as shown (`text`) and its type, so `text` typed with the type's flag names it again. */
export function showKey(key: unknown): { text: string; type: KeyType } {
  if (typeof key === "string") return { text: key, type: "str" };
  if (typeof key === "bigint" || (typeof key === "number" && Number.isInteger(key))) return { text: String(key), type: "int" };
  if (typeof key === "number") return { text: String(key), type: "float" };
  if (key instanceof Uint8Array) return { text: toHex(key), type: "bytes" };
  if (key instanceof ForeignKey) return { text: toHex(key.bytes), type: "foreign" };
  return { text: JSON.stringify(jsonSafe(key)), type: "json" };
}
