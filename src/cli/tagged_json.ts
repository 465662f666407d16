/**
 * JSON for every value and key the cache stores, as the tool prints and
 * reads them: plain JSON where JSON can say it, and a one-member object
 * whose name starts with `$` where it cannot (MongoDB's Extended JSON and
 * Meteor's EJSON do the same):
 *
 * | value                          | written as                                  |
 * | ------------------------------ | ------------------------------------------- |
 * | bigint                         | `{"$bigint": "123456789012345678901"}`      |
 * | `NaN`, `Infinity`, `-0`        | `{"$float": "NaN"}`                         |
 * | `undefined`                    | `{"$undefined": null}`                      |
 * | `Uint8Array`                   | `{"$bytes": "00ff"}` (hex)                  |
 * | another typed array            | `{"$Float32Array": [1.5]}`                  |
 * | `Date`                         | `{"$date": "1970-01-01T00:00:00.000Z"}`     |
 * | `RegExp`                       | `{"$regexp": "/a+/g"}`                      |
 * | `Map`                          | `{"$map": [[key, value], ...]}`             |
 * | `Set`                          | `{"$set": [member, ...]}`                   |
 * | an object of one `$` member    | `{"$object": {"$bytes": "..."}}`            |
 *
 * So a `Map` keeps keys `1` and `"1"` apart, a bigint inside a key stays a
 * bigint, and what `get` prints, `set --value-type json` (or `--key-json`)
 * reads back as the same value.
 *
 * @module
 */
import { TYPED_ARRAYS as STORED_TYPED_ARRAYS } from "../format/codec.ts";
import { UsageError } from "./args.ts";

/** Bytes from hex digits (whitespace and a leading `0x` allowed); `what` names them in the error. */
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

/** The typed arrays the codec stores (format/codec.ts), by name. */
const TYPED_ARRAYS: Readonly<Record<string, new (values: ArrayLike<number | bigint>) => ArrayBufferView>> = Object.fromEntries(
  STORED_TYPED_ARRAYS.map((type) => [type.name, type as unknown as new (values: ArrayLike<number | bigint>) => ArrayBufferView]),
);

/** An object with `name: value` as its one own property (a `__proto__` name stays a property). */
function one(name: string, value: unknown): Record<string, unknown> {
  return Object.fromEntries([[name, value]]);
}

/** Whether `o` has exactly one own property and its name starts with `$` (reads as a tag). */
function looksTagged(o: object): boolean {
  const names = Object.keys(o);
  return names.length === 1 && names[0]!.startsWith("$");
}

/**
 * `value` as plain JSON data, with the tags above for what JSON cannot say.
 *
 * @param value A value or key the cache can store (anything else is written as its string).
 * @returns Data `JSON.stringify` writes faithfully.
 */
export function toTagged(value: unknown): unknown {
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      return Number.isFinite(value) && !Object.is(value, -0) ? value : { $float: Object.is(value, -0) ? "-0" : String(value) };
    case "bigint":
      return { $bigint: String(value) };
    case "undefined":
      return { $undefined: null };
    case "object":
      break;
    default:
      return String(value);
  }
  if (value === null) return null;
  if (Array.isArray(value)) return value.map(toTagged);
  if (value instanceof Uint8Array && value.constructor === Uint8Array) return { $bytes: toHex(value) };
  if (ArrayBuffer.isView(value) && Object.hasOwn(TYPED_ARRAYS, value.constructor.name)) {
    return one(`$${value.constructor.name}`, Array.from(value as unknown as ArrayLike<number | bigint>, toTagged));
  }
  if (value instanceof Uint8Array) return { $bytes: toHex(value) }; // a Buffer
  if (value instanceof Date) return { $date: Number.isNaN(value.getTime()) ? "Invalid Date" : value.toISOString() };
  if (value instanceof RegExp) return { $regexp: `/${value.source}/${value.flags}` };
  if (value instanceof Map) return { $map: Array.from(value, ([k, v]) => [toTagged(k), toTagged(v)]) };
  if (value instanceof Set) return { $set: Array.from(value, toTagged) };
  const out = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toTagged(v)]));
  return looksTagged(out) ? { $object: out } : out;
}

/**
 * The value `data` (parsed JSON) stands for: the inverse of {@linkcode toTagged}.
 *
 * @param data Parsed JSON.
 * @param what What is read, for errors (`"the key"`, `"VALUE"`).
 * @returns The value.
 * @throws {UsageError} When a tag is unknown or its content is not what the tag needs.
 */
export function fromTagged(data: unknown, what: string): unknown {
  if (Array.isArray(data)) return data.map((d) => fromTagged(d, what));
  if (data === null || typeof data !== "object") return data;
  if (!looksTagged(data)) return members(data, what);
  const [name, content] = Object.entries(data)[0]!;
  const bad = (expected: string): never => {
    throw new UsageError(`Cannot read ${what}: ${JSON.stringify(name)} expects ${expected}: received ${JSON.stringify(content)}`);
  };
  const text = () => (typeof content === "string" ? content : bad("a string"));
  const list = () => (Array.isArray(content) ? content : bad("an array"));
  switch (name) {
    case "$bigint":
      return /^-?\d+$/.test(text()) ? BigInt(content as string) : bad("a decimal integer in a string");
    case "$float": {
      const n = ({ NaN, Infinity, "-Infinity": -Infinity, "-0": -0 } as Record<string, number>)[text()];
      return n ?? bad(`"NaN", "Infinity", "-Infinity" or "-0"`);
    }
    case "$undefined":
      return content === null ? undefined : bad("null");
    case "$bytes":
      return fromHex(text(), what);
    case "$date": {
      const date = new Date(text());
      return Number.isNaN(date.getTime()) && content !== "Invalid Date" ? bad("an ISO 8601 date") : date;
    }
    case "$regexp": {
      const m = /^\/(.*)\/([a-z]*)$/s.exec(text()) ?? bad("a regular expression literal such as /a+/g");
      try {
        return new RegExp(m[1]!, m[2]);
      } catch (error) {
        return bad(`a valid regular expression (${(error as Error).message})`);
      }
    }
    case "$map":
      return new Map(
        list().map((pair) => {
          if (!Array.isArray(pair) || pair.length !== 2) bad("an array of [key, value] pairs");
          return [fromTagged(pair[0], what), fromTagged(pair[1], what)] as const;
        }),
      );
    case "$set":
      return new Set(list().map((d) => fromTagged(d, what)));
    case "$object":
      return content !== null && typeof content === "object" && !Array.isArray(content) ? members(content, what) : bad("an object");
  }
  const typed = TYPED_ARRAYS[name.slice(1)];
  if (typed !== undefined && Object.hasOwn(TYPED_ARRAYS, name.slice(1))) {
    const items = list().map((d) => fromTagged(d, what));
    const big = name.includes("Big");
    if (!items.every((i) => (big ? typeof i === "bigint" : typeof i === "number"))) bad(big ? "bigints" : "numbers");
    const array = new typed(items as number[]) as unknown as ArrayLike<unknown>;
    // A typed array wraps or rounds what it cannot hold (300 in an Int8Array is 44): refuse instead.
    const lost = items.findIndex((item, i) => !Object.is(array[i], item));
    if (lost >= 0) bad(`values it can hold exactly (${name.slice(1)} cannot hold ${String(items[lost])})`);
    return array;
  }
  throw new UsageError(
    `Cannot read ${what}: unknown tag ${
      JSON.stringify(name)
    }; the tags are $bigint, $float, $undefined, $bytes, $date, $regexp, $map, $set, $object and typed arrays such as $Float32Array (for an object of one member named ${
      JSON.stringify(name)
    }, write {"$object": ...})`,
  );
}

/** A plain object whose members are read with {@linkcode fromTagged}. */
function members(data: object, what: string): Record<string, unknown> {
  return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, fromTagged(v, what)]));
}

// Characters a terminal shows as nothing or as something else: control and
// format characters, separators other than the space, and lone surrogates.
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]/gu;

/** Whether `text` shows on one line, every character visible, with nothing around it to miss. */
export function showsAsIs(text: string): boolean {
  INVISIBLE.lastIndex = 0;
  return text !== "" && !INVISIBLE.test(text) && text.trim() === text;
}

/**
 * `value` as one line of tagged JSON; the characters {@linkcode showsAsIs}
 * refuses are written as `\uXXXX` escapes, so nothing in it is invisible.
 *
 * @param value The value.
 * @returns The text.
 */
export function taggedText(value: unknown): string {
  return JSON.stringify(toTagged(value)).replace(
    INVISIBLE,
    (c) => Array.from({ length: c.length }, (_, i) => `\\u${c.charCodeAt(i).toString(16).padStart(4, "0")}`).join(""),
  );
}
