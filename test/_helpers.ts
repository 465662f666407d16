// Shared test helpers: temporary directories, the runtimes to spawn, Python,
// value files, waiting for an event, counting calls.
import { spawn, spawnSync } from "node:child_process";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { SqliteDatabase, SqliteDriver } from "../src/driver.ts";
import { DiskCache, type DiskCacheOptions, FanoutCache } from "../mod.ts";
import { detectDriver } from "../runtimes/auto.ts";

/**
 * A raw connection to a database file with this runtime's driver, for tests
 * that inspect or damage what the cache wrote.
 */
export function rawOpen(path: string): SqliteDatabase {
  return detectDriver().open(path);
}

/** A fresh temporary directory, removed on dispose. */
export function tempDir(): { path: string; [Symbol.dispose](): void } {
  const path = mkdtempSync(join(tmpdir(), "diskcache-test-"));
  return { path, [Symbol.dispose]: () => rmSync(path, { recursive: true, force: true }) };
}

/**
 * Unmounts a test mount, lazily if a handle still pins it, so that a failed or
 * interrupted test never leaves a mount behind under /tmp.
 */
export function unmount(path: string): void {
  if (spawnSync("umount", [path]).status === 0) return;
  const lazy = spawnSync("umount", ["-l", path]);
  if (lazy.status !== 0) throw new Error(`could not unmount ${path}: ${lazy.stderr}`);
}

/** The repository root (the nearest directory with package.json). */
export const repoRoot: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error("cannot find the repository root");
    dir = up;
  }
  return dir;
})();

/** Which test row runs us (set by scripts/test.mjs). */
export const row: string = globalThis.process?.env?.DISKCACHE_TEST_ROW ?? "unknown";

/** The part of the runtime table (scripts/runtimes.mjs) the tests use. */
interface RuntimeTable {
  ROWS: string[];
  runtime(row: string): { binary: string; run: string[] } | undefined;
  fileFor(row: string, file: string): string;
}
// Loaded by path from the repository root: the Node 20 row runs the built copy
// of this file from dist/test/, where a relative import would not find it.
const table: RuntimeTable = await import(pathToFileURL(join(repoRoot, "scripts", "runtimes.mjs")).href);

/** The machine's Node 20 binary (outside node_modules), or `undefined`. */
export function node20(): string | undefined {
  return table.runtime("node20")?.binary;
}

/** A command that runs a fixture script under one runtime. */
export interface Runner {
  name: string;
  cmd: string;
  args: string[];
}

/**
 * Commands running `test/fixtures/<name>.ts` under Deno, Bun and Node 24 (from
 * source) and Node 20 (the built copy in dist/, when it exists).
 */
export function runners(fixture: string): Runner[] {
  const out: Runner[] = [];
  for (const name of table.ROWS) {
    const rt = table.runtime(name), file = table.fileFor(name, `test/fixtures/${fixture}.ts`);
    if (rt && existsSync(file)) out.push({ name, cmd: rt.binary, args: [...rt.run, file] });
  }
  return out;
}

/** Runs a command to completion. */
export function run(cmd: string, args: string[], input?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
    let stdout = "", stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input ?? "");
  });
}

/** Runs a fixture and parses its last stdout line as JSON; fails loudly on a non-zero exit. */
export async function runJson<T>(r: Runner, args: string[]): Promise<T> {
  const res = await run(r.cmd, [...r.args, ...args]);
  if (res.code !== 0) throw new Error(`${r.name} exited ${res.code}\n${res.stdout}\n${res.stderr}`);
  const last = res.stdout.trim().split("\n").at(-1) ?? "";
  return JSON.parse(last) as T;
}

let pythonPath: string | null | undefined;
/**
 * The Python 3 that has python-diskcache, or `undefined`. Under CI (CI=true)
 * its absence is an error, so a missing install step cannot pass silently.
 */
export function python(): string | undefined {
  if (pythonPath === undefined) {
    pythonPath = null;
    for (const c of ["/usr/bin/python3", "python3"]) {
      const r = spawnSync(c, ["-c", "import diskcache"], { encoding: "utf8" });
      if (r.status === 0) {
        pythonPath = c;
        break;
      }
    }
    if (pythonPath === null && process.env.CI) {
      throw new Error("python3 with diskcache is required under CI: apt-get install python3-diskcache");
    }
  }
  return pythonPath ?? undefined;
}

/** A DiskCache in its own temporary directory, removed (with the directory) on dispose. */
export class TempCache extends DiskCache {
  constructor(options: DiskCacheOptions = {}) {
    super(mkdtempSync(join(tmpdir(), "diskcache-test-")), options);
  }
  override [Symbol.dispose](): void {
    this.close();
    rmSync(this.directory, { recursive: true, force: true });
  }
}

/** A cache in a fresh temporary directory (see {@linkcode TempCache}). */
export function tempCache(options: DiskCacheOptions = {}): TempCache {
  return new TempCache(options);
}

/**
 * Starts a throwaway redis-server on 127.0.0.1 and a free port, or returns
 * `undefined` when redis-server is not installed (an error under CI=true).
 */
export async function startRedis(): Promise<{ url: string; [Symbol.asyncDispose](): Promise<void> } | undefined> {
  const which = spawnSync("sh", ["-c", "command -v redis-server"], { encoding: "utf8" });
  const bin = which.stdout?.trim();
  if (!bin) {
    if (process.env.CI) throw new Error("redis-server is required under CI: apt-get install redis-server");
    return undefined;
  }
  const { createServer } = await import("node:net");
  const port = await new Promise<number>((resolve) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const p = (srv.address() as { port: number }).port;
      srv.close(() => resolve(p));
    });
  });
  const child = spawn(bin, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: ["ignore", "pipe", "pipe"] });
  await new Promise<void>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 10_000);
    child.stdout!.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      if (out.includes("Ready to accept connections")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on("exit", (code) => reject(new Error(`redis-server exited ${code}: ${out}`)));
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    async [Symbol.asyncDispose]() {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("close", r));
    },
  };
}

/**
 * The value files under a cache directory: paths relative to it, with `/`
 * separators, sorted.
 */
export function valueFiles(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith(".val")).map((f) => f.split("\\").join("/")).sort();
}

/** The hit, miss and eviction counts of a stats record (the fields every test compares). */
export function counts(s: { hits: number; misses: number; evictions: number }): { hits: number; misses: number; evictions: number } {
  return { hits: s.hits, misses: s.misses, evictions: s.evictions };
}

/** Asserts that `fn` throws an instance of `type` whose message matches `pattern`. */
export function refuses(fn: () => unknown, type: new (...a: never[]) => Error, pattern: RegExp): void {
  assert.throws(fn, (e: Error) => {
    assert.ok(e instanceof type, `expected ${type.name}, got ${e.constructor.name}: ${e.message}`);
    assert.match(e.message, pattern);
    return true;
  });
}

/** Resolves after `ms` milliseconds of wall-clock time. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Waits, without blocking the event loop, until `condition` holds; answers
 * whether it did within `limitMs` (the assertion that follows says what was
 * expected). A wait for an event, not a timing threshold.
 */
export async function until(condition: () => boolean, limitMs = 10_000): Promise<boolean> {
  for (let waited = 0; !condition(); waited += 5) {
    if (waited >= limitMs) return false;
    await sleep(5);
  }
  return true;
}

/**
 * Counts the calls of one method of one object from now on (it keeps
 * working as before), so a test can wait for "b tried again" instead of
 * sleeping and hoping.
 */
export function countCalls<T extends object>(target: T, method: keyof T & string): { count: number } {
  const counter = { count: 0 };
  const original = target[method] as (...args: unknown[]) => unknown;
  Object.defineProperty(target, method, {
    configurable: true,
    writable: true,
    value: function (this: unknown, ...args: unknown[]) {
      counter.count++;
      return original.apply(this, args);
    },
  });
  return counter;
}

/**
 * Asserts that a log the lock workers appended to holds `expected` lines in
 * "begin X" / "end X" pairs: no section interleaved with another.
 */
export function assertNoInterleaving(log: string, expected: number): void {
  const lines = readFileSync(log, "utf8").trim().split("\n");
  assert.equal(lines.length, expected);
  for (let i = 0; i < lines.length; i += 2) {
    const [begin, who] = lines[i]!.split(" ");
    assert.equal(begin, "begin", `line ${i}: ${lines[i]}`);
    assert.equal(lines[i + 1], `end ${who}`, `line ${i + 1} closes the section ${who} opened`);
  }
}

/**
 * Runs test/fixtures/recipe_worker.ts in one process per runtime, all at
 * once, each with `args(runner, i)`; answers how many processes ran.
 */
export async function recipeWorkers(args: (runner: Runner, i: number) => string[]): Promise<number> {
  const procs = runners("recipe_worker");
  await Promise.all(procs.map((r, i) => runJson(r, args(r, i))));
  return procs.length;
}

/**
 * Runs recipe_worker.ts in `mode` (lock, rlock, barrier) in one process per
 * runtime at once, on the cache `where` names (given the cache directory;
 * `prepare` may create it first). Each process appends "begin X" and "end X"
 * to a log inside the recipe, 10 times; asserts that no two interleaved.
 */
export async function assertWorkersExclude(mode: string, where = (cacheDir: string) => cacheDir, prepare = (_cacheDir: string) => {}): Promise<void> {
  using dir = tempDir();
  const log = join(dir.path, "log.txt");
  writeFileSync(log, "");
  const cacheDir = join(dir.path, "cache");
  prepare(cacheDir);
  const n = await recipeWorkers((r, i) => [mode, where(cacheDir), log, `${r.name}${i}`]);
  assertNoInterleaving(log, n * 10 * 2);
}

/** The two cache types every recipe runs on, each opened without eviction. */
export const recipeCaches: [string, (dir: string, options?: DiskCacheOptions) => DiskCache | FanoutCache][] = [
  ["DiskCache", (dir, options = {}) => new DiskCache(dir, { evictionPolicy: "none", ...options })],
  ["FanoutCache", (dir, options = {}) => new FanoutCache(dir, { shards: 4, evictionPolicy: "none", ...options })],
];

/**
 * Waits until a response stored with max-age=1 is stale (undici does not
 * store one stale on arrival, and keeps its own wall clock: no injected clock
 * reaches it).
 */
export function staleness(): Promise<void> {
  return sleep(1100);
}

/**
 * Runs `fn` with `console[method]` collecting its calls instead of printing
 * them, restores the console, and answers the calls (each one's arguments).
 */
export async function withConsole(method: "warn" | "error", fn: () => unknown): Promise<unknown[][]> {
  const calls: unknown[][] = [];
  const original = console[method];
  console[method] = (...args: unknown[]) => void calls.push(args);
  try {
    await fn();
  } finally {
    console[method] = original;
  }
  return calls;
}

/**
 * How many of this process's open descriptors point at a path `match`
 * accepts (Linux /proc/self/fd; callers skip where it does not exist).
 */
export function openDescriptors(match: (target: string) => boolean): number {
  return readdirSync("/proc/self/fd").filter((fd) => {
    try {
      return match(readlinkSync(`/proc/self/fd/${fd}`));
    } catch {
      return false; // closed between the listing and the readlink
    }
  }).length;
}

/**
 * This runtime's driver, answering `arrays: "preferred"` with object rows as
 * bun:sqlite's does, so the core's object-row paths run on every runtime.
 */
export function objectRowsDriver(): SqliteDriver {
  const base = detectDriver();
  return {
    name: `${base.name} (object rows)`,
    open: (p, o) => {
      const db = base.open(p, o);
      return {
        exec: (sql) => db.exec(sql),
        prepare: (sql, options) => db.prepare(sql, options?.arrays === true ? options : undefined),
        close: () => db.close(),
      };
    },
    errorCode: (e) => base.errorCode(e),
    unsafeIntegerError: (e) => base.unsafeIntegerError?.(e) ?? false,
  };
}

/** test/fixtures/access_worker.ts (`r`, from `runners("access_worker")`) in another process: one JSON command, one JSON answer. */
export function startAccessWorker(r: Runner, args: string[]): { name: string; send(cmd: object): Promise<unknown>; close(): Promise<void> } {
  const child = spawn(r.cmd, [...r.args, ...args], { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const lines: string[] = [];
  const waiting: ((line: string | undefined) => void)[] = [];
  let closed = false;
  createInterface({ input: child.stdout }).on("line", (line) => (waiting.length > 0 ? waiting.shift()!(line) : lines.push(line)));
  const exited = new Promise<void>((resolve) =>
    child.on("close", () => {
      closed = true;
      for (const w of waiting.splice(0)) w(undefined);
      resolve();
    })
  );
  const send = async (cmd: object): Promise<unknown> => {
    child.stdin.write(`${JSON.stringify(cmd)}\n`);
    const line = lines.shift() ?? (closed ? undefined : await new Promise<string | undefined>((resolve) => waiting.push(resolve)));
    if (line === undefined) throw new Error(`${r.name} access worker exited: ${stderr}`);
    return (JSON.parse(line) as { result: unknown }).result;
  };
  return {
    name: r.name,
    send,
    async close(): Promise<void> {
      if (!closed) await send({ op: "close" });
      child.stdin.end();
      await exited;
    },
  };
}

/**
 * Bytes this process has read through read(2) and its kin so far (Linux
 * `/proc/self/io`, `rchar`: files, pipes, the database alike), or
 * `undefined` where that file does not exist. A test compares the bytes an
 * operation read against the sizes it should or should not have touched.
 */
export function bytesRead(): number | undefined {
  try {
    const match = /^rchar: (\d+)$/m.exec(readFileSync("/proc/self/io", "utf8"));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}
