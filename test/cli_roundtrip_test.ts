// The `diskcache` tool as a whole, by property: every key type `ls` lists,
// given back to `get` with the flag its TYPE column names, finds that item
// (strings with newlines, backslashes and invisible characters, ints,
// bigints, floats past 2^63, integral REAL keys as Python stores 1.0, bytes,
// structured keys with bigints, bytes, Maps inside); and every command's
// output under --json is exactly one JSON document, on success and on each
// way of failing, part way through included.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { Buffer } from "node:buffer";
import { join } from "node:path";
import { DiskCache } from "../mod.ts";
import { EXIT } from "../src/cli/main.ts";
import { COMMANDS } from "../src/cli/args.ts";
import { KEY_FLAGS, type KeyType } from "../src/cli/keys.ts";
import { fromTagged, taggedText, toTagged } from "../src/cli/tagged_json.ts";
import { UsageError } from "../src/cli/args.ts";
import { isWellFormed } from "../src/format/text.ts";
import { rawOpen, tempDir } from "./_helpers.ts";
import { cli as runCli } from "./_cli.ts";

const enc = new TextEncoder();

/** Runs main() in-process; `hook` runs at each standard-output write and each pause (a step of a removal). */
const cli = (args: string[], hook?: () => void) => runCli(args, { stdin: enc.encode("from stdin"), onStdout: hook, onPause: hook });

const flagOf = (type: KeyType) => (type === "str" ? [] : [`--${KEY_FLAGS[type]}`]);

// ---- Keys of every type ----

/** Characters that make a string hard to show: newlines, backslashes, quotes, controls, invisible ones. */
const awkward = fc.constantFrom("a", "n", "\n", "\r", "\\", '"', " ", "\t", "\u2028", "\u200b", "\x7f", "\u0085", "\u00a0", "é", "😀", "$", "{", "[", "-");
const stringKey = fc.oneof(
  fc.string({ unit: awkward, maxLength: 6 }),
  fc.string({ unit: "binary", maxLength: 6 }),
  fc.constantFrom("a\nb", "a\\nb", '"a\\nb"', "", " ", "-3", "1", "[1]", '{"$bigint":"1"}'),
);
const floatKey = fc.oneof(
  fc.double(),
  fc.constantFrom(2 ** 63, -(2 ** 63), 1e19, -1e19, 2 ** 64, 1e300, 0.1, -0, NaN, Infinity, -Infinity, 2 ** 53 + 2),
);
const intKey = fc.oneof(fc.integer(), fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }), fc.constantFrom(-(2n ** 63n), 2n ** 63n - 1n, 2n ** 63n));
/** An integral number within ±2^63 that the test stores as REAL, as python-diskcache stores `cache[1.0]`. */
const realKey = fc.oneof(fc.integer(), fc.constantFrom(0, 2 ** 53, 2 ** 60, -(2 ** 62), 2 ** 63 - 1024)).map((n) => ({ real: n }));
const leaf = fc.oneof(
  stringKey,
  fc.integer(),
  fc.double(),
  fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.uint8Array({ maxLength: 4 }),
  fc.date({ min: new Date(-1e14), max: new Date(1e14) }),
  fc.constantFrom(/a+/g, /\//, /x/u),
);
const { structured } = fc.letrec((tie) => ({
  structured: fc.oneof(
    { depthSize: "small" },
    fc.array(tie("node"), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom("a", "b", "$bytes", "$x", "__proto__", ""), tie("node"), { maxKeys: 2, noNullPrototype: true }),
    fc.array(fc.tuple(leaf, tie("node")), { maxLength: 2 }).map((pairs) => new Map(pairs)),
    fc.array(leaf, { maxLength: 3 }).map((members) => new Set(members)),
  ),
  node: fc.oneof({ depthSize: "small" }, leaf, tie("structured")),
}));
const anyKey = fc.oneof(stringKey, intKey, floatKey, realKey, fc.uint8Array({ maxLength: 6 }), structured, fc.constantFrom(true, null));

test("diskcache ls shows every key so that get, given the shown text and its TYPE flag, finds that item (property)", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(anyKey, { minLength: 1, maxLength: 8 }), async (keys) => {
      using dir = tempDir();
      {
        using cache = new DiskCache(dir.path);
        keys.forEach((key, i) => {
          if (typeof key === "string" && !isWellFormed(key)) return; // a lone surrogate: refused by set()
          if (key !== null && typeof key === "object" && "real" in key && Object.keys(key).length === 1 && typeof key.real === "number") {
            cache.set(key.real, i);
            const db = rawOpen(join(dir.path, "cache.db"));
            db.prepare("UPDATE Cache SET key = CAST(key AS REAL) WHERE key = ? AND raw = 1").run(BigInt(key.real));
            db.close();
          } else cache.set(key, i);
        });
      }
      const listed = (JSON.parse((await cli(["ls", dir.path, "--json"])).stdout) as { items: { key: string; type: KeyType }[] }).items;
      const table = (await cli(["ls", dir.path])).stdout.trimEnd().split("\n");
      const at = table[0]!.indexOf("TYPE"), keyAt = table[0]!.indexOf("KEY");
      using cache = new DiskCache(dir.path, { readonly: true });
      const entries = [...cache.entries()];
      assert.equal(listed.length, entries.length);
      assert.equal(table.length - 1, entries.length);
      // Distinct items, distinct listings: two keys never look alike.
      assert.equal(new Set(listed.map((i) => `${i.type} ${i.key}`)).size, listed.length, JSON.stringify(listed));
      for (const [n, item] of listed.entries()) {
        // The table shows what --json says, on one line.
        assert.equal(table[n + 1]!.slice(at, at + 7).trim(), item.type);
        assert.equal(table[n + 1]!.slice(keyAt), item.key);
        // `--` before the key, as the help says for a key that starts with "-" (-3, "-x").
        const got = await cli(["get", dir.path, ...flagOf(item.type), "--json", "--", item.key]);
        assert.equal(got.code, EXIT.ok, `${item.type} ${JSON.stringify(item.key)}: ${got.stdout}`);
        assert.deepEqual(JSON.parse(got.stdout).value, toTagged(entries[n]![1]), `${item.type} ${item.key}`);
      }
    }),
    { numRuns: 60 },
  );
});

test("tagged JSON gives back every value the codec stores, and refuses what it cannot stand for (property)", () => {
  const value = fc.oneof(
    structured,
    leaf,
    fc.constantFrom(-0, NaN, -Infinity, new Date(NaN), new Int8Array([-1]), new Float64Array([-0, NaN]), new BigUint64Array([2n ** 64n - 1n])),
    fc.float32Array({ maxLength: 3 }),
    fc.bigInt64Array({ maxLength: 2 }),
  );
  fc.assert(
    fc.property(value, (v) => {
      const back = fromTagged(JSON.parse(taggedText(v)), "VALUE");
      assert.equal(taggedText(back), taggedText(v));
      // Node 20's deepEqual finds two invalid Dates unequal (NaN !== NaN); the text above compares them.
      if (!taggedText(v).includes("Invalid Date")) assert.deepEqual(back, v);
    }),
    { numRuns: 500 },
  );
  for (
    const bad of [
      { $nope: 1 },
      { $bigint: "1.5" },
      { $float: "1" },
      { $undefined: 0 },
      { $bytes: "abc" },
      { $date: "yesterday" },
      { $regexp: "/(/" },
      { $regexp: "a" },
      { $map: [[1]] },
      { $set: {} },
      { $object: [] },
      { $Int8Array: [300] },
      { $Uint8ClampedArray: [1.5] },
      { $BigInt64Array: [1] },
      { $toString: [] },
    ]
  ) {
    assert.throws(() => fromTagged(bad, "VALUE"), UsageError, JSON.stringify(bad));
  }
});

test("tagged JSON: a Buffer is bytes, anything the cache cannot store is its string, and a tag that needs an array or a string says so", () => {
  assert.deepEqual(toTagged(Buffer.from([1, 0xab])), { $bytes: "01ab" });
  assert.equal(toTagged(Symbol("s")), "Symbol(s)");
  assert.throws(
    () => fromTagged({ $map: "x" }, "VALUE"),
    (e: Error) => e instanceof UsageError && e.message === 'Cannot read VALUE: "$map" expects an array: received "x"',
  );
  assert.throws(
    () => fromTagged({ $bigint: 5 }, "the key"),
    (e: Error) => e instanceof UsageError && e.message === 'Cannot read the key: "$bigint" expects a string: received 5',
  );
});

test("diskcache ls writes a tag that would not show as itself (spaces at its ends, a line break) JSON-quoted, and a plain one as it is", async () => {
  using dir = tempDir();
  {
    using cache = new DiskCache(dir.path);
    cache.set("a", 1, { tag: " padded\nline " });
    cache.set("b", 2, { tag: "plain" });
  }
  const table = (await cli(["ls", dir.path])).stdout;
  assert.ok(table.includes('" padded\\nline "'), table);
  assert.match(table, / plain\b/);
  assert.ok(!table.includes('"plain"'), table);
});

// ---- One JSON document per command ----

/** Arguments that make each command succeed on the cache `fill` made. */
function goodArgs(command: string, dir: string): string[] {
  switch (command) {
    case "get":
    case "delete":
    case "touch":
      return [dir, "k0"];
    case "set":
      return [dir, "new", "-"];
    case "evict":
      return [dir, "--tag", "t", "--batch", "100"];
    case "cull":
    case "expire":
    case "clear":
      return [dir, "--batch", "100"];
    default:
      return [dir];
  }
}

function fill(dir: string, journal: "wal" | "delete" = "wal"): void {
  using cache = new DiskCache(dir, { sqliteJournalMode: journal, cullLimit: 0 });
  cache.setMany(Array.from({ length: 1_500 }, (_, i) => [`k${i}`, i] as const), { tag: "t" });
  cache.setMany(Array.from({ length: 300 }, (_, i) => [`x${i}`, i] as const), { ttl: 0 });
}

/** Asserts that `stdout` is one JSON document; returns it. */
function oneDocument(stdout: string, what: string): Record<string, unknown> {
  let doc: unknown;
  assert.doesNotThrow(() => (doc = JSON.parse(stdout)), `${what}: not one JSON document: ${stdout.slice(0, 200)}...${stdout.slice(-200)}`);
  assert.equal(typeof doc, "object", what);
  return doc as Record<string, unknown>;
}

test("every diskcache command under --json prints exactly one JSON document: done, mistaken, missing, locked, and failing part way", async () => {
  for (const command of Object.keys(COMMANDS)) {
    // Done.
    {
      using dir = tempDir();
      fill(dir.path);
      const r = await cli([command, ...goodArgs(command, dir.path), "--json"]);
      assert.ok(r.code === EXIT.ok || (command === "check" && r.code === EXIT.notFound), `${command}: ${r.code} ${r.stdout}`);
      assert.ok(!("error" in oneDocument(r.stdout, `${command} done`)));
    }
    // A mistake on the command line, no cache there, a missing item.
    {
      using dir = tempDir();
      fill(dir.path);
      for (
        const args of [
          [command, ...goodArgs(command, dir.path), "--no-such-option"],
          [command, ...goodArgs(command, join(dir.path, "none"))],
          ...(["get", "delete", "touch"].includes(command) ? [[command, dir.path, "missing"]] : []),
        ]
      ) {
        const r = await cli([...args, "--json"]);
        const doc = oneDocument(r.stdout, args.join(" "));
        if (command === "set" && args[1]!.endsWith("none")) continue; // set creates a cache
        assert.notEqual(r.code, EXIT.ok, args.join(" "));
        if (r.code !== EXIT.notFound) assert.deepEqual([typeof doc.error, doc.exitCode], ["string", r.code], args.join(" "));
        assert.equal(r.stderr, "", `${args.join(" ")}: errors go in the document`);
      }
    }
    // Locked by another connection from the start, and from part way (after the first write or step).
    for (const when of ["start", "part way"]) {
      using dir = tempDir();
      fill(dir.path, "delete");
      const db = rawOpen(join(dir.path, "cache.db"));
      let locked = false;
      const lock = () => {
        if (!locked) db.exec("BEGIN EXCLUSIVE");
        locked = true;
      };
      try {
        if (when === "start") lock();
        const r = await cli([command, ...goodArgs(command, dir.path), "--timeout", "10", "--json"], when === "start" ? undefined : lock);
        const doc = oneDocument(r.stdout, `${command} locked at ${when}`);
        if (r.code === EXIT.ok) {
          assert.ok(when === "part way", `${command}: locked from the start, yet done`);
          continue; // done in one step: nothing was left to fail
        }
        assert.equal(r.code, EXIT.error, `${command} locked at ${when}: ${r.stdout}`);
        assert.deepEqual([typeof doc.error, doc.exitCode], ["string", EXIT.error]);
        assert.match(doc.error as string, /locked/);
        if (command === "ls" && when === "part way") assert.equal((doc.items as unknown[]).length, 1_000, "the rows written before the error");
      } finally {
        if (locked) db.exec("ROLLBACK");
        db.close();
      }
    }
  }
});
