// The `diskcache` command-line tool (cli.ts, src/cli/): every command run
// in-process through main() with strings for streams (each branch, fast),
// and the real binary run in subprocesses on this row's runtime: exit codes,
// --json shapes, standard input, a directory Python wrote, a read-only
// mount, a progress run over 1e5 items with output not a terminal, and
// Ctrl-C (SIGINT) in the middle of `clear`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DiskCache, FanoutCache, ForeignKey } from "../mod.ts";
import { EXIT } from "../src/cli/main.ts";
import { COMMANDS } from "../src/cli/args.ts";
import { Progress } from "../src/cli/progress.ts";
import { bytes, duration } from "../src/cli/format.ts";
import { fromHex, showKey } from "../src/cli/keys.ts";
import { toTagged } from "../src/cli/tagged_json.ts";
import { detectDriver } from "../runtimes/auto.ts";
import { tempDir, unmount } from "./_helpers.ts";
import { binary, cli, diskcache, type Ran } from "./_cli.ts";

const enc = new TextEncoder();

const json = <T = Record<string, unknown>>(r: Ran): T => JSON.parse(r.stdout) as T;

test("diskcache --help lists every command and the exit codes; each command has --help", async () => {
  for (const args of [["--help"], ["help"], ["-h"]]) {
    const r = await cli(args);
    assert.equal(r.code, EXIT.ok);
    for (const name of Object.keys(COMMANDS)) assert.match(r.stdout, new RegExp(`^  ${name} `, "m"));
    assert.match(r.stdout, /130 interrupted/);
  }
  for (const name of Object.keys(COMMANDS)) {
    const r = await cli([name, "--help"]);
    assert.equal(r.code, EXIT.ok, name);
    assert.match(r.stdout, new RegExp(`^Usage: diskcache ${name} DIR`), name);
    assert.match(r.stdout, /--json/);
  }
  assert.match((await cli(["set", "-h"])).stdout, /\[VALUE\]/);
});

test("diskcache reports usage errors with exit code 2, as text or JSON", async () => {
  using dir = tempDir();
  new DiskCache(dir.path).close();
  const cases: [string[], RegExp][] = [
    [["bogus"], /Unknown command "bogus"/],
    [["toString", dir.path], /Unknown command/],
    [["get", dir.path], /expected DIR KEY/],
    [["stats", dir.path, "extra"], /received 2 argument/],
    [["stats", dir.path, "--nope"], /Unknown option '--nope'/],
    [["get", dir.path, "k", "--int", "--hex"], /at most one of --int, --hex/],
    [["get", dir.path, "x", "--int"], /expected an integer/],
    [["get", dir.path, "x", "--float"], /expected a number/],
    [["get", dir.path, "abc", "--hex"], /even number of hex digits/],
    [["get", dir.path, "{", "--key-json"], /not valid JSON/],
    [["ls", dir.path, "--order", "size"], /expected insertion or key/],
    [["ls", dir.path, "--limit", "0"], /positive integer/],
    [["set", dir.path, "k"], /exactly one of VALUE/],
    [["set", dir.path, "k", "v", "--file", "f"], /exactly one of VALUE/],
    [["set", dir.path, "k", "v", "--value-type", "date"], /--value-type/],
    [["set", dir.path, "k", "v", "--ttl=-1"], /"ttl" must be a finite, non-negative/],
    [["evict", dir.path], /--tag T is required/],
    [["clear", dir.path, "--batch", "x"], /--batch: expected a positive integer/],
  ];
  for (const [args, message] of cases) {
    const r = await cli(args);
    assert.equal(r.code, EXIT.usage, args.join(" "));
    assert.match(r.stderr, message, args.join(" "));
    assert.match(r.stderr, /--help` for the usage/);
    const j = await cli([...args, "--json"]);
    assert.equal(j.code, EXIT.usage);
    assert.equal(json(j).exitCode, EXIT.usage);
    assert.equal(j.stderr, "");
  }
});

test("diskcache reports a missing cache and a read-only write with exit code 3", async () => {
  using dir = tempDir();
  for (const command of ["stats", "ls", "clear", "delete"]) {
    const r = await cli([command, join(dir.path, "none"), ...(command === "delete" ? ["k"] : [])]);
    assert.equal(r.code, EXIT.error);
    assert.match(r.stderr, /there is no cache there \(no cache.db\)/);
  }
  new FanoutCache(join(dir.path, "fanout"), { shards: 2 }).close();
  assert.match((await cli(["ls", join(dir.path, "fanout")])).stderr, /looks like a FanoutCache, whose shards are caches: give .*fanout\/000/);
  assert.equal((await cli(["ls", join(dir.path, "fanout", "000")])).code, EXIT.ok);
  const j = await cli(["stats", join(dir.path, "none"), "--json"]);
  assert.deepEqual(Object.keys(json(j)), ["error", "exitCode"]);
  assert.equal(json(j).exitCode, EXIT.error);
});

test("diskcache set, get, touch and delete typed keys, with exit code 1 for a missing item", async () => {
  using dir = tempDir();
  const d = dir.path;
  assert.equal((await cli(["set", d, "greeting", "hello", "--ttl", "60000", "--tag", "t"])).code, 0);
  assert.equal((await cli(["get", d, "greeting"])).stdout, "hello");
  assert.equal((await cli(["get", d, "greeting"], { tty: true })).stdout, "hello\n");
  assert.match((await cli(["set", d, "7", "42", "--int", "--value-type", "int"])).stdout, /stored "7" \(int\)/);
  assert.equal((await cli(["get", d, "7", "--int"])).stdout, "42\n");
  assert.equal((await cli(["get", d, "7"])).code, EXIT.notFound);
  await cli(["set", d, "1.5", "2.5", "--float", "--value-type", "float"]);
  assert.equal((await cli(["get", d, "1.5", "--float"])).stdout, "2.5\n");
  await cli(["set", d, "00ff", "0102", "--hex", "--value-type", "hex"]);
  assert.deepEqual([...(await cli(["get", d, "00ff", "--hex"])).bytes], [1, 2]);
  await cli(["set", d, '["user",1]', '{"name":"Ada","n":[1,2]}', "--key-json", "--value-type", "json"]);
  assert.equal((await cli(["get", d, '["user", 1]', "--key-json"])).stdout, '{"name":"Ada","n":[1,2]}\n');
  await cli(["set", d, "big", "123456789012345678901", "--value-type", "int"]);
  assert.equal((await cli(["get", d, "big"])).stdout, "123456789012345678901\n");
  await cli(["set", d, "stdin", "-"], { stdin: new Uint8Array([0, 1, 2, 255]) });
  assert.deepEqual([...(await cli(["get", d, "stdin"])).bytes], [0, 1, 2, 255]);

  const got = json(await cli(["get", d, "greeting", "--json"]));
  assert.deepEqual({ ...got, expireTime: typeof got.expireTime }, {
    found: true,
    key: "greeting",
    type: "str",
    valueType: "str",
    value: "hello",
    expireTime: "number",
    tag: "t",
  });
  assert.deepEqual(json(await cli(["get", d, "00ff", "--hex", "--json"])).value, { $bytes: "0102" });
  assert.equal(json(await cli(["get", d, "7", "--int", "--json"])).valueType, "int");
  assert.equal(json(await cli(["get", d, "1.5", "--float", "--json"])).valueType, "float");
  assert.equal(json(await cli(["get", d, '["user",1]', "--key-json", "--json"])).valueType, "json");
  assert.equal(json(await cli(["get", d, "00ff", "--hex", "--json"])).valueType, "bytes");
  const miss = await cli(["get", d, "nope", "--json"]);
  assert.equal(miss.code, EXIT.notFound);
  assert.deepEqual(json(miss), { found: false, key: "nope", type: "str" });
  const missText = await cli(["get", d, "nope"]);
  assert.match(missText.stderr, /no live item with key "nope" \(str\)/);

  assert.match((await cli(["touch", d, "greeting"])).stdout, /now expires never/);
  assert.equal(json(await cli(["get", d, "greeting", "--json"])).expireTime, null);
  assert.match((await cli(["touch", d, "greeting", "--ttl", "90000"])).stdout, /expires in 1m30s/);
  assert.deepEqual(json(await cli(["touch", d, "7", "--int", "--json"])), { touched: true, key: "7", type: "int", ttl: null });
  assert.equal((await cli(["touch", d, "nope"])).code, EXIT.notFound);
  assert.deepEqual(json(await cli(["delete", d, "7", "--int", "--json"])), { deleted: true, key: "7", type: "int" });
  assert.match((await cli(["delete", d, "greeting"])).stdout, /deleted "greeting"/);
  assert.equal((await cli(["delete", d, "greeting"])).code, EXIT.notFound);
  assert.deepEqual(json(await cli(["set", d, "k", "v", "--json"])), { stored: true, key: "k", type: "str" });
});

test("diskcache set --file and get --out copy files; an unreadable value is a cache error", async () => {
  using dir = tempDir();
  const d = join(dir.path, "c");
  const src = join(dir.path, "in.bin"), dst = join(dir.path, "out.bin");
  writeFileSync(src, "file contents");
  assert.equal((await cli(["set", d, "f", "--file", src])).code, 0);
  assert.match((await cli(["get", d, "f", "--out", dst])).stdout, /wrote the value of "f"/);
  assert.equal(readFileSync(dst, "utf8"), "file contents");
  assert.deepEqual(json(await cli(["get", d, "f", "--out", dst, "--json"])), { found: true, key: "f", type: "str", out: dst });
  assert.equal((await cli(["get", d, "nope", "--out", dst])).code, EXIT.notFound);
  // A value stored as a Python pickle (mode 4) cannot be read here.
  {
    using cache = new DiskCache(d);
    cache.set("p", 1);
  }
  const db = detectDriver().open(join(d, "cache.db"));
  db.prepare("UPDATE Cache SET mode = 4, value = x'80' WHERE key = 'p'").run();
  db.close();
  const r = await cli(["get", d, "p"]);
  assert.equal(r.code, EXIT.error);
  assert.match(r.stderr, /Python pickle/);
});

test("diskcache stats shows counts, volume and settings; hits and misses when statistics are on", async () => {
  using dir = tempDir();
  {
    using cache = new DiskCache(dir.path, { statistics: true });
    cache.set("a", 1);
    cache.get("a");
    cache.get("b");
  }
  const r = await cli(["stats", dir.path]);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^count +1$/m);
  assert.match(r.stdout, /^hits +1$/m);
  assert.match(r.stdout, /^setting evictionPolicy +least-recently-stored$/m);
  const s = json(await cli(["stats", dir.path, "--json"]));
  assert.deepEqual(Object.keys(s), ["directory", "driver", "count", "volume", "sizeLimit", "hits", "misses", "evictions", "settings"]);
  assert.deepEqual([s.count, s.hits, s.misses], [1, 1, 1]);
  {
    using cache = new DiskCache(dir.path);
    cache.updateSettings({ statistics: false });
  }
  assert.match((await cli(["stats", dir.path])).stdout, /^hits +1 \(statistics off: not counted\)$/m);
});

test("diskcache ls shows readable keys with size, ttl, storage and tag; filters and orders them", async () => {
  using dir = tempDir();
  {
    using cache = new DiskCache(dir.path, { minFileSize: 100 });
    cache.set("b-text", "x".repeat(500), { tag: "big" });
    cache.set("a-line\nbreak", "v", { ttl: 3_600_000 });
    cache.set(7, 1, { tag: 5 });
    cache.set(2.5, 1, { tag: new Uint8Array([0xab]) });
    cache.set(new Uint8Array([1, 2]), "bytes key");
    cache.set(["user", 1n, new Uint8Array([9])], { nested: new Map([["m", new Set([1])]]) });
    cache.set("expired", 1, { ttl: 0 });
  }
  const text = await cli(["ls", dir.path]);
  const lines = text.stdout.trimEnd().split("\n");
  assert.match(lines[0]!, /SIZE +TTL +WHERE +TYPE +TAG +KEY/);
  assert.equal(lines.length, 7);
  assert.match(lines[1]!, /^ +500 +- +file +str +big +b-text$/);
  assert.match(lines[2]!, /^ +1 +1h00m +inline +json +- +"a-line\\nbreak"$/);
  assert.match(lines[3]!, /^ +8 +- +inline +int +5 +7$/);
  assert.match(lines[4]!, /^ +8 +- +inline +float +ab +2\.5$/);
  assert.match(lines[5]!, /bytes +- +0102$/);
  assert.match(lines[6]!, /json +- +\["user",1,\{"\$bytes":"09"\}\]$/);
  const all = json<{ items: Record<string, unknown>[] }>(await cli(["ls", dir.path, "--json"])).items;
  assert.deepEqual(all.map((i) => [i.key, i.type]), [
    ["b-text", "str"],
    ['"a-line\\nbreak"', "json"],
    ["7", "int"],
    ["2.5", "float"],
    ["0102", "bytes"],
    ['["user",1,{"$bytes":"09"}]', "json"],
  ]);
  assert.deepEqual(Object.keys(all[0]!), ["key", "type", "size", "storage", "ttl", "expireTime", "tag", "mode", "filename", "storeTime"]);
  assert.equal(all[0]!.storage, "file");
  assert.equal(typeof all[1]!.ttl, "number");
  const keys = async (...args: string[]) => json<{ items: { key: string }[] }>(await cli(["ls", dir.path, "--json", ...args])).items.map((i) => i.key);
  assert.deepEqual(await keys("--prefix", "a-"), ['"a-line\\nbreak"']);
  assert.deepEqual(await keys("--tag", "big"), ["b-text"]);
  assert.deepEqual(await keys("--limit", "2"), ["b-text", '"a-line\\nbreak"']);
  assert.deepEqual(await keys("--order", "key", "--limit", "2"), ["2.5", "7"]);
  assert.deepEqual(await keys("--reverse", "--limit", "1"), ['["user",1,{"$bytes":"09"}]']);
  assert.deepEqual(json(await cli(["ls", dir.path, "--json", "--prefix", "zzz"])), { items: [] });
  // Many items: written in chunks of 1,000 lines.
  {
    using cache = new DiskCache(dir.path);
    cache.setMany(Array.from({ length: 2_500 }, (_, i) => [`k${i}`, i] as const));
  }
  assert.equal(json<{ items: unknown[] }>(await cli(["ls", dir.path, "--json"])).items.length, 2_506);
});

test("diskcache check reports damage with exit code 1 and repairs it with --fix", async () => {
  using dir = tempDir();
  {
    using cache = new DiskCache(dir.path);
    cache.set("a", 1);
  }
  assert.deepEqual(json(await cli(["check", dir.path, "--json"])), { ok: true, fixed: false, warnings: [] });
  assert.match((await cli(["check", dir.path])).stdout, /no problems found/);
  mkdirSync(join(dir.path, "ab"));
  const found = await cli(["check", dir.path]);
  assert.equal(found.code, EXIT.notFound);
  assert.match(found.stdout, /empty-directory: directory ab is empty\n1 problem\(s\) found; run again with --fix/);
  const fixed = await cli(["check", dir.path, "--fix", "--json"]);
  assert.equal(fixed.code, EXIT.notFound);
  assert.equal(json(fixed).fixed, true);
  assert.match((await cli(["check", dir.path, "--fix"])).stdout, /no problems found/);
  mkdirSync(join(dir.path, "cd"));
  assert.match((await cli(["check", dir.path, "--fix"])).stdout, /1 problem\(s\) found, 1 repaired\n/);
});

test("diskcache clear, expire, evict and cull remove in batches, with progress on standard error", async () => {
  using dir = tempDir();
  const fill = () => {
    using cache = new DiskCache(dir.path, { cullLimit: 0 });
    cache.setMany(Array.from({ length: 2_500 }, (_, i) => [i, "v"] as const));
  };
  fill();
  const r = await cli(["clear", dir.path, "--batch", "100"]);
  assert.equal(r.code, 0);
  assert.equal(r.stdout, "clear: removed 2,500 item(s)\n");
  const steps = r.stderr.trimEnd().split("\n");
  assert.equal(steps.length, 10);
  assert.match(steps[0]!, /^clear: 300 of 2,500 \(12%\) items, [\d,]+\/s, \d+s left$/);
  assert.match(steps[9]!, /^clear: 2,500 of 2,500 \(100%\) items/);
  // On a terminal: one line redrawn in place, then cleared.
  fill();
  const tty = await cli(["clear", dir.path, "--batch", "100"], { tty: true });
  assert.ok(tty.stderr.startsWith("\r\x1b[Kclear: 100 of 2,500"), tty.stderr.slice(0, 80));
  assert.ok(tty.stderr.endsWith("\r\x1b[K"));

  {
    using cache = new DiskCache(dir.path, { cullLimit: 0 });
    cache.setMany(Array.from({ length: 30 }, (_, i) => [i, "v"] as const), { tag: "t" });
    cache.setMany(Array.from({ length: 20 }, (_, i) => [100 + i, "v"] as const), { ttl: 0 });
  }
  assert.deepEqual(json(await cli(["expire", dir.path, "--json", "--batch", "7"])), { removed: 20, interrupted: false, count: 30 });
  assert.deepEqual(json(await cli(["evict", dir.path, "--tag", "t", "--json"])), { removed: 30, interrupted: false, count: 0 });
  {
    using cache = new DiskCache(dir.path, { cullLimit: 0, minFileSize: 1000 });
    cache.setMany(Array.from({ length: 40 }, (_, i) => [i, new Uint8Array(10_000)] as const));
    cache.updateSettings({ sizeLimit: 200_000 });
  }
  const culled = json(await cli(["cull", dir.path, "--json", "--batch", "5"]));
  assert.ok((culled.removed as number) > 0);
  using cache = new DiskCache(dir.path);
  assert.ok(cache.volume() <= 200_000);
  // Nothing to remove: one plain line-free run.
  const none = await cli(["expire", dir.path]);
  assert.deepEqual([none.code, none.stdout, none.stderr], [0, "expire: removed 0 item(s)\n", ""]);
});

test("diskcache clear stops at Ctrl-C between two batches and reports what was done (exit 130)", async () => {
  using dir = tempDir();
  {
    using cache = new DiskCache(dir.path);
    cache.setMany(Array.from({ length: 1_000 }, (_, i) => [i, i] as const));
  }
  const r = await cli(["clear", dir.path, "--batch", "100"], { abortAfter: 3 });
  assert.equal(r.code, EXIT.interrupted);
  assert.equal(r.stdout, "clear: removed 300 item(s); interrupted, 700 item(s) left\n");
  const j = await cli(["clear", dir.path, "--batch", "100", "--json"], { abortAfter: 1 });
  assert.deepEqual(json(j), { removed: 100, interrupted: true, count: 600 });
  using cache = new DiskCache(dir.path);
  assert.equal(cache.length, 600);
  assert.deepEqual(cache.check(), []);
});

test("diskcache clear gives up after --timeout when another process holds the lock, saying what it removed", async () => {
  using dir = tempDir();
  {
    using cache = new DiskCache(dir.path);
    cache.setMany(Array.from({ length: 300 }, (_, i) => [i, i] as const));
  }
  const db = detectDriver().open(join(dir.path, "cache.db"));
  try {
    db.exec("BEGIN IMMEDIATE");
    const r = await cli(["clear", dir.path, "--timeout", "50"]);
    assert.equal(r.code, EXIT.error);
    assert.match(r.stderr, /locked.*; clear removed 0 item\(s\) before that/s);
  } finally {
    db.exec("ROLLBACK");
    db.close();
  }
  assert.equal((await cli(["stats", dir.path, "--timeout", "soon"])).code, EXIT.usage);
});

test("diskcache vacuum shrinks the database after a clear", async () => {
  using dir = tempDir();
  {
    using cache = new DiskCache(dir.path, { sqliteAutoVacuum: 0 });
    cache.setMany(Array.from({ length: 2_000 }, (_, i) => [i, "x".repeat(200)] as const));
    cache.clear();
  }
  const r = json(await cli(["vacuum", dir.path, "--json"]));
  assert.ok((r.freed as number) > 100_000);
  assert.match((await cli(["vacuum", dir.path])).stdout, /^vacuum: the database shrank by 0 B\n$/);
});

test("the cli's key helpers: empty bytes, JSON stand-ins for what JSON cannot say", () => {
  assert.deepEqual(fromHex("", "KEY"), new Uint8Array());
  assert.deepEqual(fromHex("0x00 FF", "KEY"), new Uint8Array([0, 255]));
  assert.deepEqual(toTagged({ m: new Map([[1, new Set([2n, 2n ** 70n])]]), d: new Date(0), u: undefined, b: new Uint8Array([10]) }), {
    m: { $map: [[1, { $set: [{ $bigint: "2" }, { $bigint: "1180591620717411303424" }] }]] },
    d: { $date: "1970-01-01T00:00:00.000Z" },
    u: { $undefined: null },
    b: { $bytes: "0a" },
  });
  assert.deepEqual(showKey(new ForeignKey(new Uint8Array([0x80, 4]))), { text: "8004", type: "foreign" });
});

test("the cli's formatting helpers: sizes, durations, progress without a known total", () => {
  assert.deepEqual([bytes(0), bytes(1536), bytes(3 * 2 ** 40), bytes(2 ** 52)], ["0 B", "1.5 KiB", "3.0 TiB", "4096.0 TiB"]);
  assert.deepEqual([duration(null), duration(5_000), duration(65_000), duration(3_720_000), duration(90_000_000)], ["-", "5s", "1m05s", "1h02m", "1d01h"]);
  let text = "", now = 0;
  const p = new Progress({ write: (t) => void (text += t), tty: false, now: () => (now += 1000) }, "expire", undefined);
  p.update(50_000);
  p.update(250_000);
  p.done();
  assert.equal(text, "expire: 250,000 items, 250,000/s\n");
  // On a terminal: redrawn at most every 100 ms.
  text = "";
  now = 0;
  const tty = new Progress({ write: (t) => void (text += t), tty: true, now: () => (now += 10) }, "clear", 100);
  for (let i = 1; i <= 5; i++) tty.update(i * 10);
  tty.done();
  assert.equal(text.split("\r\x1b[K").length, 3, JSON.stringify(text));
  assert.match(new Progress({ write: () => {}, tty: false, now: () => 0 }, "clear", 10).line(0), /^clear: 0 of 10 \(0%\) items, 0\/s$/);
});

test("bare diskcache is a usage error: the usage on standard error, exit code 2", async () => {
  const r = await cli([]);
  assert.equal(r.code, EXIT.usage);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, /^Usage: diskcache COMMAND DIR/);
  assert.match(r.stderr, /^ {2}ls /m);
  const j = await cli(["--json"]);
  assert.equal(j.code, EXIT.usage);
  assert.equal(json(j).exitCode, EXIT.usage);
  assert.match(json(j).error as string, /give a command/);
});

test("diskcache takes a key that looks like an option after --, --json included", async () => {
  using dir = tempDir();
  assert.equal((await cli(["set", dir.path, "--", "--json", "v"])).stdout, 'stored "--json" (str)\n');
  assert.equal((await cli(["get", dir.path, "--", "--json"])).stdout, "v");
  assert.equal((await cli(["get", dir.path, "--int", "--", "-3"])).code, EXIT.notFound);
  assert.deepEqual(json(await cli(["get", dir.path, "--json", "--", "--json"])).value, "v");
});

test("diskcache get ends a value with a newline on a terminal, bytes included, and never in a pipe", async () => {
  using dir = tempDir();
  await cli(["set", dir.path, "b", "-"], { stdin: enc.encode("no newline") });
  await cli(["set", dir.path, "nl", "-"], { stdin: enc.encode("line\n") });
  await cli(["set", dir.path, "empty", ""]);
  assert.equal((await cli(["get", dir.path, "b"], { tty: true })).stdout, "no newline\n");
  assert.equal((await cli(["get", dir.path, "b"])).stdout, "no newline");
  assert.equal((await cli(["get", dir.path, "nl"], { tty: true })).stdout, "line\n");
  assert.equal((await cli(["get", dir.path, "empty"], { tty: true })).stdout, "\n");
  assert.equal((await cli(["get", dir.path, "empty"])).stdout, "");
});

test("diskcache set and touch refuse a --ttl or --timeout that is not a number (an unset shell variable is not 0)", async () => {
  using dir = tempDir();
  await cli(["set", dir.path, "k", "v"]);
  for (
    const args of [
      ["set", dir.path, "k2", "v", "--ttl", ""],
      ["set", dir.path, "k2", "v", "--ttl="],
      ["set", dir.path, "k2", "v", "--ttl", " "],
      ["set", dir.path, "k2", "v", "--ttl", "abc"],
      ["set", dir.path, "k2", "v", "--ttl", "0x10"],
      ["touch", dir.path, "k", "--ttl", ""],
      ["touch", dir.path, "k", "--ttl", "abc"],
      ["stats", dir.path, "--timeout", ""],
    ]
  ) {
    const r = await cli(args);
    assert.equal(r.code, EXIT.usage, args.join(" "));
    assert.match(r.stderr, /Cannot use --(ttl|timeout): expected a number of milliseconds/, args.join(" "));
    assert.doesNotMatch(r.stderr, /NaN/);
  }
  assert.equal((await cli(["get", dir.path, "k2"])).code, EXIT.notFound, "nothing was stored");
  assert.equal(json(await cli(["get", dir.path, "k", "--json"])).expireTime, null, "nothing was touched");
  assert.equal((await cli(["set", dir.path, "k3", "v", "--ttl", "1.5e3"])).code, EXIT.ok);
});

test('diskcache get shows every value type faithfully: RegExp, Map with keys 1 and "1", bigint, bytes, Date, NaN', async () => {
  using dir = tempDir();
  const value = {
    re: /a+\/b/giu,
    m: new Map<unknown, unknown>([[1, "int"], ["1", "str"]]),
    big: 2n ** 70n,
    bytes: new Uint8Array([0, 255]),
    when: new Date(1_000),
    nan: NaN,
    neg0: -0,
    s: new Set([1]),
    u: undefined,
    f32: new Float32Array([1.5]),
    odd: { $bytes: "not a tag" },
  };
  {
    using cache = new DiskCache(dir.path);
    cache.set("v", value);
  }
  const expected = {
    re: { $regexp: "/a+\\/b/giu" },
    m: { $map: [[1, "int"], ["1", "str"]] },
    big: { $bigint: "1180591620717411303424" },
    bytes: { $bytes: "00ff" },
    when: { $date: "1970-01-01T00:00:01.000Z" },
    nan: { $float: "NaN" },
    neg0: { $float: "-0" },
    s: { $set: [1] },
    u: { $undefined: null },
    f32: { $Float32Array: [1.5] },
    odd: { $object: { $bytes: "not a tag" } },
  };
  assert.deepEqual(JSON.parse((await cli(["get", dir.path, "v"])).stdout), expected);
  assert.deepEqual(json(await cli(["get", dir.path, "v", "--json"])).value, expected);
  // What get prints, set --value-type json stores back as the same value.
  const text = (await cli(["get", dir.path, "v"])).stdout;
  assert.equal((await cli(["set", dir.path, "copy", text.trimEnd(), "--value-type", "json"])).code, EXIT.ok);
  using cache = new DiskCache(dir.path);
  assert.deepEqual(cache.get("copy"), value);
});

test("diskcache ls lists a key holding a newline and the literal key a\\\\nb differently, each found again by get", async () => {
  using dir = tempDir();
  const keys = ["a\nb", "a\\nb", '"a\\nb"', "trailing ", "", "a\u2028b", "zero\u200bwidth", "tab\tkey"];
  {
    using cache = new DiskCache(dir.path);
    keys.forEach((k, i) => cache.set(k, i));
  }
  const lines = (await cli(["ls", dir.path])).stdout.trimEnd().split("\n");
  const at = lines[0]!.indexOf("TYPE"), keyAt = lines[0]!.indexOf("KEY");
  const shown = lines.slice(1).map((l) => [l.slice(at, at + 7).trim(), l.slice(keyAt)]);
  assert.equal(new Set(shown.map((s) => s.join(" "))).size, keys.length, JSON.stringify(shown));
  assert.deepEqual(shown[0], ["json", '"a\\nb"']);
  assert.deepEqual(shown[1], ["str", "a\\nb"]);
  for (const [i, [type, text]] of shown.entries()) {
    // deno-lint-ignore no-control-regex
    assert.ok(!/[\x00-\x1f\u2028\u200b]/.test(text!), `shown on one line, visibly: ${JSON.stringify(text)}`);
    const flag = type === "json" ? ["--key-json"] : [];
    assert.equal((await cli(["get", dir.path, text!, ...flag])).stdout, `${i}\n`, `${type} ${text}`);
  }
});

test("diskcache ls --json that fails after its first rows still prints one JSON document, with the error", async () => {
  using dir = tempDir();
  {
    using cache = new DiskCache(dir.path, { sqliteJournalMode: "delete" });
    cache.setMany(Array.from({ length: 2_500 }, (_, i) => [i, "v"] as const));
  }
  const db = detectDriver().open(join(dir.path, "cache.db"));
  try {
    // The listing writes its first 1,000 rows; then another connection locks the database.
    let locked = false;
    const r = await cli(["ls", dir.path, "--json", "--timeout", "20"], {
      onStdout: () => {
        if (!locked) {
          db.exec("BEGIN EXCLUSIVE");
          locked = true;
        }
      },
    });
    assert.equal(r.code, EXIT.error);
    const doc = JSON.parse(r.stdout) as { items: unknown[]; error: string; exitCode: number };
    assert.equal(doc.items.length, 1_000);
    assert.match(doc.error, /locked/);
    assert.equal(doc.exitCode, EXIT.error);
  } finally {
    db.close();
  }
});

// ---- The real binary, in subprocesses on this row's runtime ----

test("the diskcache binary: exit codes, standard input, JSON output", async () => {
  using dir = tempDir();
  const d = join(dir.path, "c");
  const help = await diskcache(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Usage: diskcache COMMAND DIR/);
  assert.equal((await diskcache(["bogus"])).code, 2);
  assert.equal((await diskcache(["stats", d])).code, 3);
  const set = await diskcache(["set", d, "k", "-", "--tag", "t", "--json"], "from stdin");
  assert.deepEqual([set.code, JSON.parse(set.stdout)], [0, { stored: true, key: "k", type: "str" }]);
  const got = await diskcache(["get", d, "k"]);
  assert.deepEqual([got.code, got.stdout], [0, "from stdin"]);
  assert.equal((await diskcache(["get", d, "missing"])).code, 1);
  const ls = await diskcache(["ls", d, "--json"]);
  assert.equal(JSON.parse(ls.stdout).items[0].size, 10);
  const stats = JSON.parse((await diskcache(["stats", d, "--json"])).stdout);
  assert.equal(stats.count, 1);
});

test("the diskcache binary's read commands work on a read-only mount; writes exit 3", async (t) => {
  using dir = tempDir();
  const src = join(dir.path, "src"), ro = join(dir.path, "ro");
  mkdirSync(ro);
  {
    using cache = new DiskCache(src, { minFileSize: 10 });
    cache.set("k", "a value long enough for a file");
  }
  if (spawnSync("mount", ["--bind", src, ro]).status !== 0) return t.skip("cannot bind-mount here (needs root)");
  try {
    if (spawnSync("mount", ["-o", "remount,ro,bind", ro]).status !== 0) return t.skip("cannot remount read-only");
    if (detectDriver().name === "better-sqlite3") {
      const r = await diskcache(["stats", ro]);
      assert.equal(r.code, 3);
      assert.match(r.stderr, /better-sqlite3 does not/);
      return;
    }
    for (const args of [["stats", ro], ["ls", ro], ["get", ro, "k"], ["check", ro]]) {
      const r = await diskcache(args);
      assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
    }
    assert.equal((await diskcache(["get", ro, "k"])).stdout, "a value long enough for a file");
    const write = await diskcache(["delete", ro, "k"]);
    assert.equal(write.code, 3);
    assert.match(write.stderr, /read-only|cannot be written/);
  } finally {
    unmount(ro);
  }
});

/** A cache of `n` items in `dir`. */
function fillMany(dir: string, n: number): void {
  using cache = new DiskCache(dir);
  for (let i = 0; i < n; i += 10_000) cache.setMany(Array.from({ length: Math.min(10_000, n - i) }, (_, j) => [i + j, "v"] as const));
}

test("the diskcache binary clears 1e5 items with plain progress lines when standard error is not a terminal", async () => {
  using dir = tempDir();
  fillMany(dir.path, 100_000);
  const r = await diskcache(["clear", dir.path]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "clear: removed 100,000 item(s)\n");
  const lines = r.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 10, r.stderr);
  for (const [i, line] of lines.entries()) {
    assert.match(line, new RegExp(`^clear: ${(i + 1) * 10},000 of 100,000 \\(${(i + 1) * 10}%\\) items, [\\d,]+/s(, \\d+[smhd]\\d*[smh]? left)?$`));
  }
  assert.ok(!r.stderr.includes("\r"), "no terminal control characters in a log");
});

test("the diskcache binary stops clear at SIGINT between batches, leaving a consistent cache, and reports it", async () => {
  using dir = tempDir();
  fillMany(dir.path, 100_000);
  const b = binary();
  const child = spawn(b.cmd, [...b.args, "clear", dir.path, "--batch", "100", "--json"], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "", stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  let signalled = false;
  child.stderr.setEncoding("utf8").on("data", (d: string) => {
    stderr += d;
    if (!signalled && stderr.includes("10%")) {
      signalled = true;
      process.kill(child.pid!, "SIGINT");
    }
  });
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  assert.equal(code, 130, stderr);
  const report = JSON.parse(stdout) as { removed: number; interrupted: boolean; count: number };
  assert.equal(report.interrupted, true);
  assert.ok(report.removed >= 10_000 && report.removed < 100_000, stdout);
  assert.equal(report.removed % 100, 0, "stopped between two batches");
  using cache = new DiskCache(dir.path);
  assert.equal(cache.length, 100_000 - report.removed);
  assert.equal(report.count, cache.length);
  assert.deepEqual(cache.check(), []);
});
