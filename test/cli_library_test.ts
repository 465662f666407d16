// What the `diskcache` tool shows of the library: a cache in a directory the
// reader may not write (the tool's read commands and `{ readonly: true }`,
// run as another user), and the errors of the reads the tool lists with
// (keys(), entries(), inspectAll(), inspect(), length, volume()) translated
// as get/has/stats translate theirs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DiskCache, DiskCacheError, Timeout } from "../mod.ts";
import { damagePages, fillAndCheckpoint, repoRoot, run, tempDir } from "./_helpers.ts";
import { detectDriver } from "../runtimes/auto.ts";

const NOBODY = 65534;

/**
 * A temporary directory another user can reach: under /tmp itself, since the
 * test runner's TMPDIR (a per-row directory) is private to its owner.
 */
function sharedTempDir(): { path: string; [Symbol.dispose](): void } {
  const path = mkdtempSync("/tmp/diskcache-shared-");
  chmodSync(path, 0o755);
  return { path, [Symbol.dispose]: () => rmSync(path, { recursive: true, force: true }) };
}

/** The runtime of this row, and how it runs a script (Node 20: the build in dist/). */
function runtime(): { cmd: string; args: string[]; built: boolean } {
  // deno-lint-ignore no-explicit-any
  const g = globalThis as any;
  if (g.Deno !== undefined) return { cmd: g.Deno.execPath(), args: ["run", "-A", "--no-check", "--config", join(repoRoot, "deno.json")], built: false };
  if (g.Bun !== undefined) return { cmd: process.execPath, args: [], built: false };
  return { cmd: process.execPath, args: ["--no-warnings"], built: fileURLToPath(import.meta.url).endsWith(".js") };
}

let nobodyChecked: string | undefined | null = null;
/**
 * Why this machine cannot run the runtime as user nobody (not root, no
 * setpriv, a repository or runtime nobody may not read), or `undefined`.
 */
function cannotRunAsNobody(): string | undefined {
  if (nobodyChecked !== null) return nobodyChecked;
  const rt = runtime();
  if (process.getuid?.() !== 0) nobodyChecked = "needs root to run as another user";
  else if (spawnSync("setpriv", ["--version"]).status !== 0) nobodyChecked = "needs setpriv (util-linux) to run as another user";
  else {
    const files = [rt.cmd, join(repoRoot, "mod.ts"), join(repoRoot, "node_modules", "cbor2", "package.json")];
    const probe = spawnSync("setpriv", [
      `--reuid=${NOBODY}`,
      `--regid=${NOBODY}`,
      "--clear-groups",
      "sh",
      "-c",
      'for f; do test -r "$f" || exit 1; done',
      "sh",
      ...files,
    ]);
    nobodyChecked = probe.status === 0 ? undefined : "user nobody cannot read the repository or the runtime here";
  }
  return nobodyChecked;
}

/**
 * Runs `script` (an ES module; `ENTRY` names the package's entry, `CLI` the
 * tool's) as user nobody (check {@linkcode cannotRunAsNobody} first).
 */
async function asNobody(dir: string, script: string, args: string[] = []): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const rt = runtime();
  const entry = rt.built ? join(repoRoot, "dist", "mod.js") : join(repoRoot, "mod.ts");
  const cli = rt.built ? join(repoRoot, "dist", "src", "cli", "main.js") : join(repoRoot, "src", "cli", "main.ts");
  const file = join(dir, rt.built ? "script.mjs" : "script.ts");
  writeFileSync(file, script.replaceAll("ENTRY", JSON.stringify(entry)).replaceAll("CLI", JSON.stringify(cli)));
  const home = join(dir, "home");
  mkdirSync(home, { recursive: true });
  spawnSync("chown", [`${NOBODY}:${NOBODY}`, home]);
  return await run("setpriv", [
    `--reuid=${NOBODY}`,
    `--regid=${NOBODY}`,
    "--clear-groups",
    "env",
    `HOME=${home}`,
    `DENO_DIR=${join(home, "deno")}`,
    rt.cmd,
    ...rt.args,
    file,
    ...args,
  ]);
}

/** The tool in-process (its `main`), printing what it wrote and exiting with its code. */
const TOOL = `
import ENTRY;
import { main } from CLI;
const out = [];
const io = {
  stdout: (c) => void out.push(typeof c === "string" ? c : new TextDecoder().decode(c)),
  stderr: (t) => void out.push(t),
  readStdin: async () => new Uint8Array(),
  stdoutTTY: false,
  stderrTTY: false,
  interruptible: () => new AbortController().signal,
  now: () => Date.now(),
  pause: async () => {},
};
const code = await main(process.argv.slice(2), io);
console.log(JSON.stringify({ code, out: out.join("") }));
`;

/** A cache of three items, closed cleanly, in `dir/c`; the directory and file made read-only for everyone. */
function readOnlyCache(dir: string): string {
  const c = join(dir, "c");
  {
    using cache = new DiskCache(c, { minFileSize: 10 });
    cache.set("a", 1);
    cache.set("f", "a value long enough for a file");
    cache.set(["user", 7n], "structured");
  }
  return c;
}

function lockDown(c: string): void {
  spawnSync("sh", ["-c", `chmod -R a+rX "${c}" && find "${c}" -type d -exec chmod 555 {} + && find "${c}" -type f -exec chmod 444 {} +`]);
}

test("DiskCache with readonly opens a cleanly closed cache in a directory it may not write (SQLITE_READONLY_DIRECTORY)", async (t) => {
  const cannot = cannotRunAsNobody();
  if (cannot !== undefined) return t.skip(cannot);
  using dir = sharedTempDir();
  const c = readOnlyCache(dir.path);
  lockDown(c);
  const r = await asNobody(
    dir.path,
    `
import { DiskCache } from ENTRY;
try {
  const cache = new DiskCache(process.argv[2], { readonly: true });
  console.log(JSON.stringify({ a: cache.get("a"), f: cache.get("f"), n: cache.length, keys: [...cache.keys()].length }));
  cache.close();
} catch (e) {
  console.log(JSON.stringify({ error: e.message }));
}
`,
    [c],
  );
  assert.equal(r.code, 0, r.stderr);
  const got = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
  if (detectDriver().name === "better-sqlite3") {
    assert.match(got.error, /better-sqlite3 does not support/);
    assert.doesNotMatch(got.error, /open it with \{ readonly: true \}/, "no advice to do what was done");
    return;
  }
  assert.deepEqual(got, { a: 1, f: "a value long enough for a file", n: 3, keys: 3 });
});

test("the diskcache tool's read commands work in a directory the user may not write; writes exit 3", async (t) => {
  const cannot = cannotRunAsNobody();
  if (cannot !== undefined) return t.skip(cannot);
  using dir = sharedTempDir();
  const c = readOnlyCache(dir.path);
  lockDown(c);
  const tool = async (...args: string[]) => {
    const r = await asNobody(dir.path, TOOL, args);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout.trim().split("\n").at(-1)!) as { code: number; out: string };
  };
  const stats = await tool("stats", c);
  if (detectDriver().name === "better-sqlite3") {
    assert.equal(stats.code, 3);
    assert.match(stats.out, /better-sqlite3 does not support/);
    return;
  }
  assert.equal(stats.code, 0, stats.out);
  assert.match(stats.out, /^count +3$/m);
  const ls = await tool("ls", c, "--json");
  assert.deepEqual(JSON.parse(ls.out).items.map((i: { key: string }) => i.key), ["a", "f", '["user",7]']);
  assert.deepEqual(await tool("get", c, "f"), { code: 0, out: "a value long enough for a file" });
  assert.deepEqual(await tool("get", c, '["user",7]', "--key-json"), { code: 0, out: "structured" });
  assert.equal((await tool("check", c)).code, 0);
  const write = await tool("delete", c, "a");
  assert.equal(write.code, 3);
  assert.match(write.out, /cannot be written|read-only/);
});

test("DiskCache with readonly refuses, saying why, a cache not closed cleanly in a directory it may not write", async (t) => {
  const cannot = cannotRunAsNobody();
  if (cannot !== undefined) return t.skip(cannot);
  using dir = sharedTempDir();
  const src = join(dir.path, "src"), c = join(dir.path, "c");
  mkdirSync(c);
  {
    using cache = new DiskCache(src);
    cache.set("a", "before");
  }
  {
    using cache = new DiskCache(src);
    // Copied while open: the last write is in the -wal, and no -shm comes along.
    cache.set("a", "in the log");
    copyFileSync(join(src, "cache.db"), join(c, "cache.db"));
    copyFileSync(join(src, "cache.db-wal"), join(c, "cache.db-wal"));
  }
  lockDown(c);
  const r = await asNobody(dir.path, TOOL, ["get", c, "a"]);
  const got = JSON.parse(r.stdout.trim().split("\n").at(-1)!) as { code: number; out: string };
  assert.equal(got.code, 3, got.out);
  assert.doesNotMatch(got.out, /^before$/m, "never the value from before the log");
  if (detectDriver().name !== "better-sqlite3") assert.match(got.out, /was not closed cleanly .*cache\.db-wal/);
});

test("DiskCache keys(), entries(), inspectAll(), inspect() and volume() on a damaged database throw our error naming the file", () => {
  using dir = tempDir();
  fillAndCheckpoint(dir.path);
  damagePages(dir.path, 40, 8);
  using cache = new DiskCache(dir.path);
  const file = join(dir.path, "cache.db");
  const ours = (e: unknown) => e instanceof DiskCacheError && e.message.includes(file) && /is corrupt/.test(e.message) && e.cause !== undefined;
  assert.throws(() => [...cache.keys()], ours);
  assert.throws(() => [...cache.entries()], ours);
  assert.throws(() => [...cache.inspectAll()], ours);
  assert.throws(() => [...cache.keys({ order: "key" })], ours);
  let damaged: string | undefined;
  for (let i = 0; i < 2000 && damaged === undefined; i++) {
    try {
      cache.inspect(`key-${i}`);
    } catch (e) {
      assert.ok(ours(e), `inspect: ${e}`);
      damaged = `key-${i}`;
    }
  }
  assert.ok(damaged !== undefined, "some key lives on a damaged page");
});

test("DiskCache keys(), entries(), inspectAll(), inspect(), length and volume() under another connection's lock throw Timeout", () => {
  using dir = tempDir();
  {
    using cache = new DiskCache(dir.path, { sqliteJournalMode: "delete" });
    cache.set("a", 1);
  }
  using cache = new DiskCache(dir.path, { timeout: 20 });
  const db = detectDriver().open(join(dir.path, "cache.db"));
  try {
    db.exec("BEGIN EXCLUSIVE");
    const timeout = (e: unknown) => e instanceof Timeout && /stayed locked/.test((e as Error).message);
    assert.throws(() => [...cache.keys()], timeout);
    assert.throws(() => [...cache.entries()], timeout);
    assert.throws(() => [...cache.inspectAll()], timeout);
    assert.throws(() => cache.inspect("a"), timeout);
    assert.throws(() => cache.length, timeout);
    assert.throws(() => cache.volume(), timeout);
  } finally {
    db.exec("ROLLBACK");
    db.close();
  }
  assert.deepEqual([...cache.keys()], ["a"]);
});
