// External services some tests need: Python 3 with python-diskcache (the
// interoperability tests) and a throwaway redis-server. Each answers
// undefined where it is not installed, and is an error under CI=true, so a
// missing install step cannot pass silently.
import { spawn, spawnSync } from "node:child_process";
import { run } from "./_processes.ts";

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

/**
 * Runs a Python script (with python-diskcache) on `args` and answers the JSON
 * document it printed last; a non-zero exit is an error carrying its stderr.
 */
export async function pythonJson<T>(script: string, ...args: string[]): Promise<T> {
  const res = await run(python()!, ["-c", script, ...args]);
  if (res.code !== 0) throw new Error(`python exited ${res.code}: ${res.stderr}`);
  return JSON.parse(res.stdout.trim().split("\n").at(-1)!) as T;
}

/** Skips test `t` where Python with python-diskcache is not installed; answers whether it did. */
export function skipWithoutPython(t: { skip(msg: string): void }): boolean {
  if (python() !== undefined) return false;
  t.skip("python3 with diskcache is not installed (apt-get install python3-diskcache)");
  return true;
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
