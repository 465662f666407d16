// Deque and Index beside python-diskcache's, differentially: the same random
// operations (fast-check, seeded) run, each through ours or through Python's
// (one long-lived Python process that reads JSON commands on stdin and answers
// JSON lines), on the SAME directories. Python also writes values this library
// cannot read (None, tuples, lists, dicts: pickles), some in value files.
//
// Before and after every operation Python reads the whole state; the state
// after must be what python-diskcache's semantics make of the state before
// (a model of positions, queues and insertion order, whoever ran the
// operation), each answer must be what that model predicts, and ours must read
// the state as Python does: the same length, keys and order, the same value at
// every position (at(i), iteration both ways, get, entries), and, where
// Python reads a pickle, an error naming that item's key.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import fc from "fast-check";
import { Deque, DiskCacheError, Index } from "../../mod.ts";
import { python, tempDir } from "../_helpers.ts";

const SERVER = `
import base64, json, sqlite3, sys
from diskcache import Deque, Index

UNREADABLE = {"none": None, "tuple": ("t", 1), "list": [1, "x"], "dict": {"k": 1}, "bigtuple": ("t" * 300, 2)}

def dec(v):
    if isinstance(v, dict):
        if "b" in v: return base64.b64decode(v["b"])
        if "py" in v: return UNREADABLE[v["py"]]
    return v

def enc(v):
    for kind, x in UNREADABLE.items():
        if type(v) is type(x) and v == x: return {"u": kind}
    if v is None or isinstance(v, (bool, tuple, list, dict)): raise ValueError("unexpected value %r" % (v,))
    if isinstance(v, bytes): return {"b": base64.b64encode(v).decode()}
    return v

deque = index = None

def dview():
    c = deque.cache
    keys, items = [], []
    for key in c.iterkeys():
        try:
            value = c[key]
        except KeyError:
            continue
        keys.append(key)
        items.append(enc(value))
    return {"len": len(deque), "keys": keys, "items": items}

def iview():
    return {"len": len(index), "items": [[key, enc(index[key])] for key in index]}

for line in sys.stdin:
    cmd = json.loads(line)
    op = cmd["op"]
    r = None
    try:
        if op == "open":
            deque = Deque(directory=cmd["deque"])
            index = Index(cmd["index"])
        elif op == "close":
            deque.cache.close()
            index.cache.close()
        elif op == "dview": r = dview()
        elif op == "iview": r = iview()
        elif op == "push":
            for v in cmd["values"]: deque.append(dec(v))
        elif op == "unshift":
            for v in reversed(cmd["values"]): deque.appendleft(dec(v))
        elif op == "pop": r = enc(deque.pop())
        elif op == "shift": r = enc(deque.popleft())
        elif op == "rotate": deque.rotate(cmd["steps"])
        elif op == "reverse": deque.reverse()
        elif op == "dclear": deque.clear()
        elif op == "other": deque.cache[cmd["key"]] = dec(cmd["value"])
        elif op == "set": index[cmd["key"]] = dec(cmd["value"])
        elif op == "delete": del index[cmd["key"]]
        elif op == "setDefault": r = enc(index.setdefault(cmd["key"], dec(cmd["value"])))
        elif op == "popItem":
            k, v = index.popitem(last=cmd["last"])
            r = [k, enc(v)]
        elif op == "ipush": r = index.push(dec(cmd["value"]), prefix=cmd["prefix"], side=cmd["side"])
        elif op == "pull":
            k, v = index.pull(prefix=cmd["prefix"], side=cmd["side"])
            r = None if k is None else [k, enc(v)]
        elif op == "iclear": index.clear()
        else: raise ValueError("unknown op " + op)
        out = {"ok": r}
    except Exception as e:
        out = {"error": type(e).__name__, "message": str(e)}
    print(json.dumps(out), flush=True)
`;

/** A value as both sides put it in JSON: strings and numbers as they are, bytes as `{ b }`, a value only Python reads as `{ u }`. */
type Enc = string | number | { b: string } | { u: string };
/** What the operations store: JSON values, bytes, or (Python only) one of the server's unreadable values. */
type Value = string | number | Uint8Array | { py: string };
type Side = "ts" | "py";
type Key = string | number;

const LAST = 999_999_999_999_999;
const FIRST = 500_000_000_000_000;
const MIN_FILE_SIZE = 64; // values from 64 bytes on go to value files, on both sides

function b64(bytes: Uint8Array): string {
  let s = "";
  for (const x of bytes) s += String.fromCharCode(x);
  return btoa(s);
}

function enc(value: unknown): Enc {
  if (value instanceof Uint8Array) return { b: b64(value) };
  if (typeof value === "string" || typeof value === "number") return value;
  throw new Error(`unexpected value read: ${String(value)}`);
}

function wire(value: Value): unknown {
  return value instanceof Uint8Array ? { b: b64(value) } : value;
}

function expected(value: Value): Enc {
  if (value instanceof Uint8Array) return { b: b64(value) };
  if (typeof value === "object") return { u: value.py };
  return value;
}

const unreadable = (e: Enc): e is { u: string } => typeof e === "object" && "u" in e;

/** The error of ours on reading an item whose value is a Python pickle. */
function isUnreadable(key: Key): (e: unknown) => boolean {
  const named = typeof key === "string" ? JSON.stringify(key) : String(key);
  return (e: unknown) => {
    assert.ok(e instanceof DiskCacheError, `expected a DiskCacheError, got ${String(e)}`);
    assert.ok(e.message.startsWith(`Cannot read key ${named}:`) && /pickle/.test(e.message), e.message);
    return true;
  };
}

/** Runs `fn`: the encoded answer, or the error it threw. */
function attempt(fn: () => unknown): { value: unknown } | { error: unknown } {
  try {
    return { value: fn() };
  } catch (error) {
    return { error };
  }
}

/** Asserts that `got` answered `want` (encoded), or threw the unreadable error naming `key` when `want` is one. */
function assertAnswer(got: { value: unknown } | { error: unknown }, want: Enc | undefined, key: Key | undefined, what: string): void {
  if (want !== undefined && unreadable(want)) {
    assert.ok("error" in got, `${what}: expected an error naming ${key}, got ${JSON.stringify("value" in got ? got.value : null)}`);
    assert.ok(isUnreadable(key!)(got.error));
    return;
  }
  if ("error" in got) throw got.error;
  assert.deepStrictEqual(got.value === undefined ? undefined : enc(got.value), want, what);
}

/** Reads an iterator to its end, or to the error it throws: the items read, and that error. */
function drain(it: Iterable<unknown>): { items: unknown[]; error?: unknown } {
  const items: unknown[] = [];
  try {
    for (const x of it) items.push(x);
    return { items };
  } catch (error) {
    return { items, error };
  }
}

/** Asserts an iteration agrees with `want`: every item, or those before the first unreadable one and then its error. */
function assertIteration(got: { items: unknown[]; error?: unknown }, want: Enc[], keys: Key[], what: string): void {
  const stop = want.findIndex(unreadable);
  if (stop === -1) {
    if (got.error !== undefined) throw got.error;
    assert.deepStrictEqual(got.items.map(enc), want, what);
  } else {
    assert.deepStrictEqual(got.items.map(enc), want.slice(0, stop), `${what}: the items before the first unreadable one`);
    assert.ok(got.error !== undefined, `${what}: expected an error at ${keys[stop]}`);
    assert.ok(isUnreadable(keys[stop]!)(got.error));
  }
}

/** The Python server: one command, one answer. */
function startPython(): { send(cmd: object): Promise<{ ok?: unknown; error?: string }>; close(): Promise<void> } {
  const child = spawn(python()!, ["-c", SERVER], { stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  let closed = false;
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  child.stdin.on("error", () => {}); // a write after the server died: its exit is reported below
  const waiting: ((line: string | undefined) => void)[] = [];
  createInterface({ input: child.stdout }).on("line", (line) => waiting.shift()?.(line));
  const exited = new Promise<void>((resolve) =>
    child.on("close", () => {
      closed = true;
      for (const w of waiting.splice(0)) w(undefined);
      resolve();
    })
  );
  return {
    async send(cmd) {
      const answer = await ask(cmd);
      // An error's name is the answer; its message only explains an unexpected one.
      if (answer.error !== undefined && !["IndexError", "KeyError", "IntegrityError"].includes(answer.error)) {
        throw new Error(`python-diskcache raised ${answer.error}: ${answer.message} (on ${JSON.stringify(cmd)})`);
      }
      return answer.error === undefined ? answer : { error: answer.error };
    },
    async close() {
      child.stdin.end();
      await exited;
    },
  };
  async function ask(cmd: object): Promise<{ ok?: unknown; error?: string; message?: string }> {
    if (closed) throw new Error(`the Python server exited: ${stderr}`);
    const answer = new Promise<string | undefined>((resolve) => waiting.push(resolve));
    child.stdin.write(`${JSON.stringify(cmd)}\n`);
    const line = await answer;
    if (line === undefined) throw new Error(`the Python server exited: ${stderr}`);
    return JSON.parse(line);
  }
}

// ---- the operations ----

const readableValue: fc.Arbitrary<Value> = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 6 }),
  fc.string({ unit: "grapheme-ascii", minLength: MIN_FILE_SIZE, maxLength: 100 }), // a text value file
  fc.integer({ min: -1_000_000, max: 1_000_000 }),
  fc.double({ min: -1e12, max: 1e12, noNaN: true }).filter((x) => !Object.is(x, -0)),
  fc.uint8Array({ maxLength: 6 }),
  fc.uint8Array({ minLength: MIN_FILE_SIZE, maxLength: 90 }), // a binary value file
);
const pythonOnly: fc.Arbitrary<Value> = fc.constantFrom("none", "tuple", "list", "dict", "bigtuple").map((py) => ({ py }));
const sideValue = (side: Side): fc.Arbitrary<Value> =>
  side === "ts" ? readableValue : fc.oneof({ weight: 3, arbitrary: readableValue }, { weight: 1, arbitrary: pythonOnly });
const side: fc.Arbitrary<Side> = fc.constantFrom("ts", "py");

type Op =
  | { on: "d"; op: "push" | "unshift"; side: Side; values: Value[] }
  | { on: "d"; op: "pop" | "shift" | "reverse" | "dclear"; side: Side }
  | { on: "d"; op: "rotate"; side: Side; steps: number }
  | { on: "d"; op: "at"; index: number }
  | { on: "d"; op: "other"; side: Side; key: string; value: Value }
  | { on: "i"; op: "set" | "setDefault"; side: Side; key: Key; value: Value }
  | { on: "i"; op: "delete" | "get"; side: Side; key: Key }
  | { on: "i"; op: "popItem"; side: Side; last: boolean }
  | { on: "i"; op: "ipush"; side: Side; value: Value; prefix: string | null; back: boolean }
  | { on: "i"; op: "pull"; side: Side; prefix: string | null; back: boolean }
  | { on: "i"; op: "iclear"; side: Side };

const indexKey: fc.Arbitrary<Key> = fc.oneof(fc.constantFrom("a", "b", "c", "d"), fc.integer({ min: -2, max: 1 }));
const withSide = <T>(make: (s: Side) => fc.Arbitrary<T>): fc.Arbitrary<T> => side.chain(make);

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: withSide((s) =>
      fc.record({
        on: fc.constant("d" as const),
        op: fc.constantFrom("push" as const, "unshift" as const),
        side: fc.constant(s),
        values: fc.array(sideValue(s), { minLength: 1, maxLength: 3 }),
      })
    ),
  },
  { weight: 3, arbitrary: fc.record({ on: fc.constant("d" as const), op: fc.constantFrom("pop" as const, "shift" as const), side }) },
  { weight: 1, arbitrary: fc.record({ on: fc.constant("d" as const), op: fc.constant("reverse" as const), side }) },
  { weight: 2, arbitrary: fc.record({ on: fc.constant("d" as const), op: fc.constant("rotate" as const), side, steps: fc.integer({ min: -9, max: 9 }) }) },
  { weight: 2, arbitrary: fc.record({ on: fc.constant("d" as const), op: fc.constant("at" as const), index: fc.integer({ min: -12, max: 12 }) }) },
  {
    weight: 1,
    arbitrary: withSide((s) =>
      fc.record({ on: fc.constant("d" as const), op: fc.constant("other" as const), side: fc.constant(s), key: fc.constantFrom("x", "y"), value: sideValue(s) })
    ),
  },
  { weight: 1, arbitrary: fc.record({ on: fc.constant("d" as const), op: fc.constant("dclear" as const), side }).filter(() => true) },
  {
    weight: 4,
    arbitrary: withSide((s) =>
      fc.record({
        on: fc.constant("i" as const),
        op: fc.constantFrom("set" as const, "setDefault" as const),
        side: fc.constant(s),
        key: indexKey,
        value: sideValue(s),
      })
    ),
  },
  { weight: 3, arbitrary: fc.record({ on: fc.constant("i" as const), op: fc.constantFrom("delete" as const, "get" as const), side, key: indexKey }) },
  { weight: 1, arbitrary: fc.record({ on: fc.constant("i" as const), op: fc.constant("popItem" as const), side, last: fc.boolean() }) },
  {
    weight: 2,
    arbitrary: withSide((s) =>
      fc.record({
        on: fc.constant("i" as const),
        op: fc.constant("ipush" as const),
        side: fc.constant(s),
        value: sideValue(s),
        prefix: fc.constantFrom(null, "q"),
        back: fc.boolean(),
      })
    ),
  },
  {
    weight: 2,
    arbitrary: fc.record({ on: fc.constant("i" as const), op: fc.constant("pull" as const), side, prefix: fc.constantFrom(null, "q"), back: fc.boolean() }),
  },
  { weight: 1, arbitrary: fc.record({ on: fc.constant("i" as const), op: fc.constant("iclear" as const), side }) },
);

// ---- python-diskcache's semantics, as a model of the states Python reads ----

interface DView {
  len: number;
  keys: Key[];
  items: Enc[];
}
type IView = { len: number; items: [Key, Enc][] };

/**
 * Whether `key` is in the queue of `prefix` (null: the integer queue).
 * python-diskcache's queue operations see the keys strictly between the
 * bounds (`exclusive`); ours see the bounds too, which pushes make (the README
 * lists the difference: Python's next front push after key 0 made 0 again and
 * replaced that item).
 */
function isQueueKey(key: Key, prefix: string | null, exclusive = false): boolean {
  const [lo, hi]: [Key, Key] = prefix === null ? [0, LAST] : [`${prefix}-000000000000000`, `${prefix}-999999999999999`];
  if (prefix === null ? typeof key !== "number" || !Number.isInteger(key) : typeof key !== "string") return false;
  return exclusive ? lo < key && key < hi : lo <= key && key <= hi;
}

/** Positions of a Deque's queue items (integer keys) in its view. */
function queuePositions(v: DView): number[] {
  return v.keys.flatMap((k, i) => (isQueueKey(k, null) ? [i] : []));
}

/** The Deque's items after a rotation, as python-diskcache rotates: steps modulo the length, one queue item per step. */
function rotated(v: DView, steps: number): Enc[] {
  const at = queuePositions(v), m = at.length;
  if (v.len === 0 || m === 0) return v.items;
  const r = (Math.abs(steps) % v.len) % m;
  const right = steps < 0 ? (m - r) % m : r;
  const q = at.map((i) => v.items[i]!);
  const turned = q.map((_, j) => q[(j - right + m) % m]!);
  const items = [...v.items];
  at.forEach((i, j) => (items[i] = turned[j]!));
  return items;
}

/** The queue key `push` gives next at one end, as python-diskcache numbers them. */
function nextQueueKey(keys: Key[], prefix: string | null, back: boolean, exclusive: boolean): Key | undefined {
  const nums = keys.filter((k) => isQueueKey(k, prefix, exclusive)).map((k) => (typeof k === "number" ? k : Number(k.slice(prefix!.length + 1))));
  const num = nums.length === 0 ? FIRST : back ? Math.max(...nums) + 1 : Math.min(...nums) - 1;
  if (num < 0 || num > LAST) return undefined;
  return prefix === null ? num : `${prefix}-${String(num).padStart(15, "0")}`;
}

/** The queue item `pull` takes at one end: its index in the view's items, or -1. */
function queueEnd(items: [Key, Enc][], prefix: string | null, back: boolean, exclusive: boolean): number {
  let best = -1;
  items.forEach(([k], i) => {
    if (!isQueueKey(k, prefix, exclusive)) return;
    if (best === -1) best = i;
    else {
      const b = items[best]![0];
      if (back ? k > b : k < b) best = i;
    }
  });
  return best;
}

// ---- reading the state through ours, against Python's reading ----

function compareDeque(deque: Deque<unknown>, v: DView): void {
  assert.equal(deque.length, v.len, "length");
  assert.equal(v.items.length, v.len, "Python's view holds every key");
  for (let i = 0; i < v.len; i++) {
    assertAnswer(attempt(() => deque.at(i)), v.items[i], v.keys[i], `at(${i})`);
    assertAnswer(attempt(() => deque.at(-1 - i)), v.items[v.len - 1 - i], v.keys[v.len - 1 - i], `at(${-1 - i})`);
  }
  assert.equal(deque.at(v.len), undefined, "at(length)");
  assert.equal(deque.at(-1 - v.len), undefined, "at(-length - 1)");
  assertIteration(drain(deque), v.items, v.keys, "iteration");
  assertIteration(drain(deque.reversed()), [...v.items].reverse(), [...v.keys].reverse(), "reversed()");
}

function compareIndex(index: Index<Key, unknown>, v: IView): void {
  const keys = v.items.map(([k]) => k), values = v.items.map(([, e]) => e);
  assert.equal(index.size, v.len, "size");
  assert.deepStrictEqual([...index.keys()], keys, "keys()");
  for (const [k, e] of v.items) {
    assertAnswer(attempt(() => index.get(k)), e, k, `get(${JSON.stringify(k)})`);
    assert.equal(index.has(k), true);
  }
  assertIteration(drain(index.values()), values, keys, "values()");
  const entries = drain(index.entries());
  assertIteration({ items: entries.items.map((x) => (x as [Key, unknown])[1]), error: entries.error }, values, keys, "entries()");
  assert.deepStrictEqual(entries.items.map((x) => (x as [Key, unknown])[0]), keys.slice(0, entries.items.length), "entries() keys");
}

// ---- one step ----

interface World {
  py: ReturnType<typeof startPython>;
  deque: Deque<unknown>;
  index: Index<Key, unknown>;
}

async function dview(w: World): Promise<DView> {
  return (await w.py.send({ op: "dview" })).ok as DView;
}
async function iview(w: World): Promise<IView> {
  return (await w.py.send({ op: "iview" })).ok as IView;
}

/** Runs one Deque operation through the side it names; checks its answer; returns the items python-diskcache's semantics give. */
async function dequeStep(w: World, op: Extract<Op, { on: "d" }>, before: DView): Promise<Enc[]> {
  const q = queuePositions(before);
  if (op.op === "at") {
    const i = op.index < 0 ? before.len + op.index : op.index;
    const inRange = i >= 0 && i < before.len;
    assertAnswer(attempt(() => w.deque.at(op.index)), inRange ? before.items[i] : undefined, inRange ? before.keys[i] : undefined, `at(${op.index})`);
    return before.items;
  }
  if (op.op === "push" || op.op === "unshift") {
    const added = op.values.map(expected);
    const items = op.op === "push" ? [...q.map((i) => before.items[i]!), ...added] : [...added, ...q.map((i) => before.items[i]!)];
    const rest = before.items.filter((_, i) => !q.includes(i));
    if (op.side === "ts") {
      const n = op.op === "push" ? w.deque.push(...op.values) : w.deque.unshift(...op.values);
      assert.equal(n, before.len + op.values.length, `${op.op}() answers the new length`);
    } else assert.deepEqual(await w.py.send({ op: op.op, values: op.values.map(wire) }), { ok: null });
    return [...items, ...rest];
  }
  if (op.op === "pop" || op.op === "shift") {
    const at = op.op === "pop" ? q.at(-1) : q[0];
    const want = at === undefined ? undefined : before.items[at];
    if (op.side === "ts") {
      const got = attempt(() => (op.op === "pop" ? w.deque.pop() : w.deque.shift()));
      assertAnswer(got, want, at === undefined ? undefined : before.keys[at], `${op.op}()`);
      if ("error" in got) return before.items; // refused: nothing taken
    } else {
      const got = await w.py.send({ op: op.op });
      assert.deepEqual(got, at === undefined ? { error: "IndexError" } : { ok: want });
    }
    return before.items.filter((_, i) => i !== at);
  }
  if (op.op === "rotate") {
    if (op.side === "ts") w.deque.rotate(op.steps);
    else assert.deepEqual(await w.py.send({ op: "rotate", steps: op.steps }), { ok: null });
    return rotated(before, op.steps);
  }
  if (op.op === "reverse") {
    if (op.side === "ts") w.deque.reverse();
    else assert.deepEqual(await w.py.send({ op: "reverse" }), { ok: null });
    return [...before.items].reverse();
  }
  if (op.op === "dclear") {
    if (op.side === "ts") w.deque.clear();
    else await w.py.send({ op: "dclear" });
    return [];
  }
  if (op.op !== "other") throw new Error(`unknown operation ${op.op}`);
  // A key that is no queue item, in the deque's cache: it counts, and sorts after every queue key.
  if (op.side === "ts") w.deque.cache.set(op.key, op.value);
  else await w.py.send({ op: "other", key: op.key, value: wire(op.value) });
  const at = before.keys.indexOf(op.key);
  const items = [...before.items];
  if (at !== -1) items[at] = expected(op.value);
  else {
    const keys = [...before.keys, op.key].sort((a, b) => (typeof a === typeof b ? (a < b ? -1 : a > b ? 1 : 0) : typeof a === "number" ? -1 : 1));
    items.splice(keys.indexOf(op.key), 0, expected(op.value));
  }
  return items;
}

/** Runs one Index operation through the side it names; checks its answer; returns the entries python-diskcache's semantics give. */
async function indexStep(w: World, op: Extract<Op, { on: "i" }>, before: IView): Promise<[Key, Enc][]> {
  const items = before.items;
  const at = "key" in op ? items.findIndex(([k]) => k === op.key) : -1;
  const tsSide = op.side === "ts";
  switch (op.op) {
    case "get": {
      assertAnswer(attempt(() => w.index.get(op.key)), at === -1 ? undefined : items[at]![1], op.key, `get(${op.key})`);
      return items;
    }
    case "set": {
      if (tsSide) assert.equal(w.index.set(op.key, op.value), w.index);
      else await w.py.send({ op: "set", key: op.key, value: wire(op.value) });
      return at === -1 ? [...items, [op.key, expected(op.value)]] : items.map((e, i) => (i === at ? [op.key, expected(op.value)] : e));
    }
    case "setDefault": {
      const want = at === -1 ? expected(op.value) : items[at]![1];
      if (tsSide) {
        const got = attempt(() => w.index.setDefault(op.key, op.value));
        assertAnswer(got, want, op.key, `setDefault(${op.key})`);
      } else assert.deepEqual(await w.py.send({ op: "setDefault", key: op.key, value: wire(op.value) }), { ok: want });
      return at === -1 ? [...items, [op.key, expected(op.value)]] : items;
    }
    case "delete": {
      if (tsSide) assert.equal(w.index.delete(op.key), at !== -1, `delete(${op.key})`);
      else assert.deepEqual(await w.py.send({ op: "delete", key: op.key }), at === -1 ? { error: "KeyError" } : { ok: null });
      return items.filter((_, i) => i !== at);
    }
    case "popItem": {
      const end = items.length === 0 ? -1 : op.last ? items.length - 1 : 0;
      const want = end === -1 ? undefined : items[end]!;
      if (tsSide) {
        const got = attempt(() => w.index.popItem({ last: op.last }));
        if (want !== undefined && unreadable(want[1])) {
          assert.ok("error" in got && isUnreadable(want[0])(got.error), "popItem() of an unreadable entry is refused");
          return items;
        }
        if ("error" in got) throw got.error;
        const value = got.value as [Key, unknown] | undefined;
        assert.deepStrictEqual(value && [value[0], enc(value[1])], want, "popItem()");
      } else assert.deepEqual(await w.py.send({ op: "popItem", last: op.last }), want === undefined ? { error: "KeyError" } : { ok: want });
      return items.filter((_, i) => i !== end);
    }
    case "ipush": {
      const key = nextQueueKey(items.map(([k]) => k), op.prefix, op.back, !tsSide);
      const options = { ...(op.prefix === null ? {} : { prefix: op.prefix }), side: op.back ? "back" as const : "front" as const };
      if (tsSide) {
        const got = attempt(() => w.index.push(op.value, options));
        if (key === undefined) {
          // Ours never wraps or replaces: past 0 (front) or 999999999999999 (back) a push is refused.
          assert.ok(
            "error" in got && got.error instanceof DiskCacheError && /keys reached/.test(got.error.message),
            "push() past the queue's bound is refused",
          );
          return items;
        }
        if ("error" in got) throw got.error;
        assert.equal(got.value, key, "push() answers the new key");
      } else {
        const got = await w.py.send({ op: "ipush", value: wire(op.value), prefix: op.prefix, side: options.side });
        if (items.some(([k]) => k === key)) {
          // python-diskcache's bounds are exclusive (see isQueueKey): after key 0 its front push
          // makes 0 again, which its insert refuses (the row stays as it was).
          assert.equal((got as { error?: string }).error, "IntegrityError", JSON.stringify(got));
          return items;
        }
        assert.deepEqual(got, { ok: key });
      }
      return [...items, [key!, expected(op.value)]];
    }
    case "pull": {
      const end = queueEnd(items, op.prefix, op.back, !tsSide);
      const want = end === -1 ? undefined : items[end]!;
      const options = { ...(op.prefix === null ? {} : { prefix: op.prefix }), side: op.back ? "back" as const : "front" as const };
      if (tsSide) {
        const got = attempt(() => w.index.pull(options));
        if (want !== undefined && unreadable(want[1])) {
          assert.ok("error" in got && isUnreadable(want[0])(got.error), "pull() of an unreadable item is refused");
          return items;
        }
        if ("error" in got) throw got.error;
        const value = got.value as [Key, unknown] | undefined;
        assert.deepStrictEqual(value && [value[0], enc(value[1])], want, "pull()");
      } else assert.deepEqual(await w.py.send({ op: "pull", prefix: op.prefix, side: options.side }), { ok: want ?? null });
      return items.filter((_, i) => i !== end);
    }
    case "iclear": {
      if (tsSide) w.index.clear();
      else await w.py.send({ op: "iclear" });
      return [];
    }
  }
}

test("Deque and Index agree with python-diskcache's on one directory, over seeded random operations from both sides, with values only Python reads", async (t) => {
  if (python() === undefined) return t.skip("python3 with diskcache is not installed (apt-get install python3-diskcache)");
  using dir = tempDir();
  const py = startPython();
  let run = 0;
  try {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 40 }), async (ops) => {
        const deque = new Deque<unknown>(mkdtempSync(join(dir.path, `d${run}-`)), { minFileSize: MIN_FILE_SIZE });
        const index = new Index<Key, unknown>(mkdtempSync(join(dir.path, `i${run++}-`)), { minFileSize: MIN_FILE_SIZE });
        const w: World = { py, deque, index };
        try {
          assert.deepEqual(await py.send({ op: "open", deque: deque.directory, index: index.directory }), { ok: null });
          for (const [n, op] of ops.entries()) {
            const step = `step ${n}: ${JSON.stringify(op, (_, v) => (v instanceof Uint8Array ? `bytes(${v.length})` : v))}`;
            try {
              if (op.on === "d") {
                const want = await dequeStep(w, op, await dview(w));
                const after = await dview(w);
                assert.deepStrictEqual(after.items, want, "the state python-diskcache's semantics give");
                compareDeque(deque, after);
              } else {
                const want = await indexStep(w, op, await iview(w));
                const after = await iview(w);
                assert.deepStrictEqual(after.items, want, "the state python-diskcache's semantics give");
                compareIndex(index, after);
              }
            } catch (error) {
              throw new Error(`${step}: ${(error as Error).message}`, { cause: error });
            }
          }
        } finally {
          await py.send({ op: "close" });
          deque.close();
          index.close();
        }
      }),
      { seed: 28, numRuns: 25 },
    );
  } finally {
    await py.close();
  }
});
