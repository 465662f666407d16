// System tests split from test/cli_test.ts: they start processes of other runtimes, Python or servers,
// and run once per `npm test` (the "system" row, on Node 24).
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { python, repoRoot, run, tempDir } from "../_helpers.ts";

/** The command that runs the tool on this row: the runtime under test, from source (Node 20: the build in dist/). */
function binary(): { cmd: string; args: string[] } {
  // deno-lint-ignore no-explicit-any
  const g = globalThis as any;
  if (g.Deno !== undefined) {
    return { cmd: g.Deno.execPath(), args: ["run", "-A", "--no-check", "--config", join(repoRoot, "deno.json"), join(repoRoot, "cli.ts")] };
  }
  if (g.Bun !== undefined) return { cmd: process.execPath, args: [join(repoRoot, "cli.ts")] };
  if (fileURLToPath(import.meta.url).endsWith(".js")) return { cmd: process.execPath, args: [join(repoRoot, "dist", "cli.js")] };
  return { cmd: process.execPath, args: ["--no-warnings", join(repoRoot, "cli.ts")] };
}

function diskcache(args: string[], input?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const b = binary();
  return run(b.cmd, [...b.args, ...args], input);
}

test("the diskcache binary reads a directory python-diskcache wrote, and names its pickled keys", async (t) => {
  const py = python();
  if (py === undefined) return t.skip("python3 with diskcache is not installed (apt-get install python3-diskcache)");
  using dir = tempDir();
  const script = `
import sys, diskcache
c = diskcache.Cache(sys.argv[1])
c.set("text", "from python", tag="py")
c.set(7, 49)
c.set(b"\\x00\\x01", b"raw bytes")
c.set(("tuple", 1), "pickled key")
c.set("long", "p" * 100000)
c.close()
`;
  const made = await run(py, ["-c", script, dir.path]);
  assert.equal(made.code, 0, made.stderr);
  const ls =
    (JSON.parse((await diskcache(["ls", dir.path, "--json"])).stdout) as { items: { key: string; type: string; storage: string; tag: unknown }[] }).items;
  assert.deepEqual(ls.map((i) => [i.type, i.storage]), [["str", "inline"], ["int", "inline"], ["bytes", "inline"], ["foreign", "inline"], ["str", "file"]]);
  assert.equal(ls[0]!.tag, "py");
  assert.equal((await diskcache(["get", dir.path, "text"])).stdout, "from python");
  assert.equal((await diskcache(["get", dir.path, "7", "--int"])).stdout, "49\n");
  assert.equal((await diskcache(["get", dir.path, "0001", "--hex"])).stdout, "raw bytes");
  assert.equal((await diskcache(["get", dir.path, ls[3]!.key, "--foreign"])).stdout, "pickled key");
  assert.equal((await diskcache(["get", dir.path, "long"])).stdout.length, 100_000);
  assert.equal((await diskcache(["check", dir.path])).code, 0);
  assert.equal((await diskcache(["delete", dir.path, ls[3]!.key, "--foreign"])).code, 0);
  const back = await run(py, ["-c", "import sys, diskcache; c = diskcache.Cache(sys.argv[1]); print(len(c), ('tuple', 1) in c)", dir.path]);
  assert.equal(back.stdout.trim(), "4 False");
});
