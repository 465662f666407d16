/**
 * The few Python pickles the recipes share with python-diskcache's: tuples of
 * str, int, float (an `RLock`'s `("pid-tid", count)`, a throttle's
 * `(time, tally)`). {@linkcode unpickle} reads only data opcodes (no global,
 * no call: nothing is ever run), and answers `undefined` for anything else;
 * {@linkcode pickle} writes protocol 3, which every Python 3 reads. `get()`
 * still never unpickles: a pickled value throws `UnreadableValue` carrying
 * its bytes, which only the recipes decode.
 *
 * @module
 */
/** What these pickles hold: None, bool, int, float, str, bytes, and tuples or lists of them (both arrays here). */
export type PythonValue = null | boolean | number | bigint | string | Uint8Array | PythonValue[];

/** A value stored as a Python pickle (mode 4) by `set()`, for a reader that is python-diskcache. */
export class Pickled {
  /** The pickle's bytes. */
  readonly bytes: Uint8Array;
  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }
}

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const MARK = Symbol("mark");

/** Python's int from little-endian two's complement bytes (LONG1, LONG4). */
function long(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!);
  if (bytes.length > 0 && bytes.at(-1)! >= 0x80) n -= 1n << BigInt(8 * bytes.length);
  return n;
}

/** A bigint as a number when it is safe, as `get()` gives integers. */
function int(n: bigint): number | bigint {
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}

/**
 * Reads a pickle made only of data opcodes (protocols 2 to 5: None, bools,
 * ints, floats, str, bytes, tuples, lists, the memo); `undefined` for any
 * other pickle (a class, a dict, protocol 0's text opcodes) or damaged bytes.
 */
export function unpickle(bytes: Uint8Array): PythonValue | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: (PythonValue | typeof MARK)[] = [];
  const memo = new Map<number, PythonValue>();
  let at = 0;
  const take = (n: number): Uint8Array => {
    if (n < 0 || at + n > bytes.length) throw new RangeError("truncated");
    return bytes.subarray(at, at += n);
  };
  const u8 = () => take(1)[0]!;
  const u32 = () => (at += 4, view.getUint32(at - 4, true));
  const u64 = () => (at += 8, Number(view.getBigUint64(at - 8, true)));
  const pop = (): PythonValue => {
    const v = stack.pop();
    if (v === undefined || v === MARK) throw new RangeError("stack");
    return v;
  };
  const toMark = (): PythonValue[] => {
    const i = stack.lastIndexOf(MARK);
    if (i < 0) throw new RangeError("no mark");
    return stack.splice(i).slice(1) as PythonValue[];
  };
  const top = (): PythonValue => {
    const v = stack.at(-1);
    if (v === undefined || v === MARK) throw new RangeError("stack");
    return v;
  };
  try {
    for (;;) {
      if (at + 1 > bytes.length) return undefined;
      const op = bytes[at++]!;
      switch (op) {
        case 0x80: // PROTO
          if (u8() > 5) return undefined;
          break;
        case 0x95: // FRAME
          u64();
          break;
        case 0x2e: // STOP
          return stack.length === 1 && at === bytes.length ? pop() : undefined;
        case 0x28: // MARK
          stack.push(MARK);
          break;
        case 0x4e: // NONE
          stack.push(null);
          break;
        case 0x88:
          stack.push(true);
          break;
        case 0x89:
          stack.push(false);
          break;
        case 0x4a: // BININT
          take(4);
          stack.push(view.getInt32(at - 4, true));
          break;
        case 0x4b: // BININT1
          stack.push(u8());
          break;
        case 0x4d: // BININT2
          take(2);
          stack.push(view.getUint16(at - 2, true));
          break;
        case 0x8a: // LONG1
          stack.push(int(long(take(u8()))));
          break;
        case 0x8b: // LONG4
          stack.push(int(long(take(u32()))));
          break;
        case 0x47: // BINFLOAT
          take(8);
          stack.push(view.getFloat64(at - 8, false));
          break;
        case 0x8c: // SHORT_BINUNICODE
          stack.push(utf8Strict.decode(take(u8())));
          break;
        case 0x58: // BINUNICODE
          stack.push(utf8Strict.decode(take(u32())));
          break;
        case 0x8d: // BINUNICODE8
          stack.push(utf8Strict.decode(take(u64())));
          break;
        case 0x43: // SHORT_BINBYTES
          stack.push(new Uint8Array(take(u8())));
          break;
        case 0x42: // BINBYTES
          stack.push(new Uint8Array(take(u32())));
          break;
        case 0x8e: // BINBYTES8
          stack.push(new Uint8Array(take(u64())));
          break;
        case 0x29: // EMPTY_TUPLE
          stack.push([]);
          break;
        case 0x85: // TUPLE1
          stack.push([pop()]);
          break;
        case 0x86: { // TUPLE2
          const b = pop(), a = pop();
          stack.push([a, b]);
          break;
        }
        case 0x87: { // TUPLE3
          const c = pop(), b = pop(), a = pop();
          stack.push([a, b, c]);
          break;
        }
        case 0x74: // TUPLE
        case 0x6c: // LIST
          stack.push(toMark());
          break;
        case 0x5d: // EMPTY_LIST
          stack.push([]);
          break;
        case 0x61: { // APPEND
          const v = pop(), list = top();
          if (!Array.isArray(list)) return undefined;
          list.push(v);
          break;
        }
        case 0x65: { // APPENDS
          const items = toMark(), list = top();
          if (!Array.isArray(list)) return undefined;
          list.push(...items);
          break;
        }
        case 0x94: // MEMOIZE
          memo.set(memo.size, top());
          break;
        case 0x71: // BINPUT
          memo.set(u8(), top());
          break;
        case 0x72: // LONG_BINPUT
          memo.set(u32(), top());
          break;
        case 0x68: // BINGET
        case 0x6a: { // LONG_BINGET
          const v = memo.get(op === 0x68 ? u8() : u32());
          if (v === undefined) return undefined;
          stack.push(v);
          break;
        }
        default: // a global, a call, a dict, a text opcode: not data we read
          return undefined;
      }
    }
  } catch {
    return undefined; // truncated, bad UTF-8, an empty stack
  }
}

/** Python's int opcodes for `n`. */
function pickleInt(n: bigint, out: number[]): void {
  if (n >= 0n && n < 256n) return void out.push(0x4b, Number(n));
  if (n >= 0n && n < 65536n) return void out.push(0x4d, Number(n & 0xffn), Number(n >> 8n));
  if (n >= -(2n ** 31n) && n < 2n ** 31n) {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setInt32(0, Number(n), true);
    return void out.push(0x4a, ...b);
  }
  const le: number[] = [];
  for (let v = n;;) {
    le.push(Number(v & 0xffn));
    v >>= 8n;
    // Enough bytes when what is left is the sign extension of the last byte.
    if ((v === 0n && le.at(-1)! < 0x80) || (v === -1n && le.at(-1)! >= 0x80)) break;
  }
  out.push(0x8a, le.length, ...le);
}

function pickleInto(value: PythonValue, out: number[]): void {
  if (value === null) return void out.push(0x4e);
  if (typeof value === "boolean") return void out.push(value ? 0x88 : 0x89);
  if (typeof value === "bigint") return pickleInt(value, out);
  if (typeof value === "number") {
    if (Number.isSafeInteger(value) && !Object.is(value, -0)) return pickleInt(BigInt(value), out);
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, value, false);
    return void out.push(0x47, ...b);
  }
  if (typeof value === "string") {
    const b = utf8.encode(value);
    const n = new Uint8Array(4);
    new DataView(n.buffer).setUint32(0, b.length, true);
    out.push(0x58, ...n);
    for (const x of b) out.push(x);
    return;
  }
  if (value instanceof Uint8Array) {
    const n = new Uint8Array(4);
    new DataView(n.buffer).setUint32(0, value.length, true);
    out.push(0x42, ...n);
    for (const x of value) out.push(x);
    return;
  }
  if (value.length > 0 && value.length <= 3) {
    for (const v of value) pickleInto(v, out);
    return void out.push(0x84 + value.length);
  }
  out.push(0x28);
  for (const v of value) pickleInto(v, out);
  out.push(0x74);
}

/** A pickle (protocol 3) of `value`, arrays as tuples, an integral number as an int. */
export function pickle(value: PythonValue): Pickled {
  const out: number[] = [0x80, 3];
  pickleInto(value, out);
  out.push(0x2e);
  return new Pickled(Uint8Array.from(out));
}
