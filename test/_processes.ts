// Processes for tests: the repository root, the row under test, and fixture
// scripts (test/fixtures/) started under each runtime of the runtime table
// (scripts/runtimes.mjs), alone, all at once, or as a worker answering
// commands.
import { spawn } from "node:child_process";
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath, pathToFileURL } from "node:url";
import { tempDir } from "./_temp.ts";

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

/**
 * The command prefix (binary and arguments before a script) of each runtime
 * on this machine, for scripts that are not fixtures (a .mjs every runtime
 * runs as it is; Node 20 included, it needs no build).
 */
export function runtimeCommands(): Runner[] {
  const out: Runner[] = [];
  for (const name of table.ROWS) {
    const rt = table.runtime(name);
    if (rt) out.push({ name, cmd: rt.binary, args: [...rt.run] });
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
