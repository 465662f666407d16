// The recipes' pickle reader (src/format/pickle.ts) on what Python writes
// besides the common opcodes, and on damaged pickles: each comes back as its
// value, or as undefined, never as an exception. (test/system/
// python_recipes_test.ts checks both directions against a live Python.)
import { test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { pickle, unpickle } from "../src/format/pickle.ts";

const hex = (h: string) => Uint8Array.from(Buffer.from(h.replaceAll(" ", ""), "hex"));
/** A little-endian unsigned integer of `width` bytes, as hex. */
const le = (n: number, width: number) => Buffer.from(Array.from({ length: width }, (_, i) => Math.floor(n / 256 ** i) % 256)).toString("hex");

test("unpickle() reads Python's APPEND, BINGET/BINPUT memo references, LONG4 and BINBYTES", () => {
  // pickle.dumps([7], protocol=2): EMPTY_LIST BINPUT BININT1 APPEND
  assert.deepEqual(unpickle(hex("80025d71004b07612e")), [7]);
  // x = ("a",); pickle.dumps((x, x), protocol=3): the second x is a BINGET of the first
  assert.deepEqual(unpickle(hex("8003580100000061710085710168018671022e")), [["a"], ["a"]]);
  // pickle.dumps(-2**2047, protocol=3): 256 bytes are past LONG1's 255, so LONG4
  const big = -(2n ** 2047n);
  assert.equal(unpickle(hex(`80038b${le(256, 4)}${"00".repeat(255)}80 2e`)), big);
  // pickle.dumps(bytes(range(256)) + b"!", protocol=3): BINBYTES (a 4-byte length)
  const bytes = Uint8Array.from([...Array(256).keys(), 0x21]);
  assert.deepEqual(unpickle(hex(`800342${le(257, 4)}${Buffer.from(bytes).toString("hex")}71002e`)), bytes);
});

test("unpickle() reads the 8-byte-length opcodes (BINUNICODE8, BINBYTES8) and LONG_BINPUT/LONG_BINGET", () => {
  // Protocol 4 writes these for values past 4 GiB; Python reads them at any length.
  assert.deepEqual(unpickle(hex(`80048d${le(2, 8)}c3a98e${le(2, 8)}00ff862e`)), ["é", new Uint8Array([0, 0xff])]);
  // A memo index past 255: LONG_BINPUT 300, then LONG_BINGET 300.
  assert.deepEqual(unpickle(hex(`80034b0572${le(300, 4)}6a${le(300, 4)}862e`)), [5, 5]);
  // A memo reference to nothing memoized is damage, not a value.
  assert.equal(unpickle(hex(`80034b056a${le(300, 4)}862e`)), undefined);
  assert.equal(unpickle(hex("80034b0568 07 862e")), undefined);
});

test("unpickle() answers undefined for a damaged stack: a mark where a value belongs, no mark, nothing to memoize, values left over, bytes after STOP", () => {
  assert.equal(unpickle(hex("8003 28 85 2e")), undefined, "TUPLE1 over a MARK");
  assert.equal(unpickle(hex("8003 4b01 74 2e")), undefined, "TUPLE with no MARK");
  assert.equal(unpickle(hex("8003 94 2e")), undefined, "MEMOIZE on an empty stack");
  assert.equal(unpickle(hex("8003 28 94 2e")), undefined, "MEMOIZE of a MARK");
  assert.equal(unpickle(hex("8003 4b01 4b02 2e")), undefined, "two values at STOP");
  assert.equal(unpickle(hex("8003 2e")), undefined, "no value at STOP");
  assert.equal(unpickle(hex("8003 4b01 61 2e")), undefined, "APPEND with nothing under it");
  assert.equal(unpickle(hex("8003 4b01 4b02 61 2e")), undefined, "APPEND to an int");
  const good = pickle(["123-456", 1]).bytes;
  assert.deepEqual(unpickle(good), ["123-456", 1]);
  assert.equal(unpickle(Uint8Array.from([...good, 0x2e])), undefined, "a byte after STOP");
  assert.equal(unpickle(hex(`80038d${le(2 ** 40, 8)}61`)), undefined, "a length past the end");
});
