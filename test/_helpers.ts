// Shared test helpers: temporary directories, the runtimes to spawn, Python.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { SqliteDatabase } from "../src/driver.ts";
import { DiskCache, type DiskCacheOptions } from "../mod.ts";
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
