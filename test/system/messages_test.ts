// System tests split from test/messages_test.ts: they start processes of other runtimes, Python or servers,
// and run once per `npm test` (the "system" row, on Node 24).
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { repoRoot, run, runners, tempDir } from "../_helpers.ts";

test("console.log of a DiskCache or FanoutCache shows its directory, count and volume, of a Deque or Index its directory and length or size (Node, Bun, Deno consoles)", async () => {
  const runs = runners("inspect_worker");
  assert.ok(runs.length >= 3, "Deno, Bun and Node at least");
  for (const r of runs) {
    using dir = tempDir();
    const res = await run(r.cmd, [...r.args, dir.path]);
    assert.equal(res.code, 0, `${r.name}: ${res.stderr}`);
    const lines = res.stdout.trim().split("\n");
    const single = JSON.stringify(join(dir.path, "single")), fanout = JSON.stringify(join(dir.path, "fanout"));
    assert.match(lines[0]!, new RegExp(`^DiskCache \\{ directory: ${escape(single)}, count: 2, volume: \\d+ \\}$`), `${r.name}: ${lines[0]}`);
    assert.match(lines[1]!, new RegExp(`^FanoutCache \\{ directory: ${escape(fanout)}, shards: 2, count: 1, volume: \\d+ \\}$`), `${r.name}: ${lines[1]}`);
    assert.equal(lines[2], `DiskCache { directory: ${single}, closed: true }`, r.name);
    assert.equal(lines[3], `FanoutCache { directory: ${fanout}, closed: true }`, r.name);
    assert.ok(Number(/volume: (\d+)/.exec(lines[0]!)![1]) >= 50_000, "the value file counts in the volume");
    const deque = JSON.stringify(join(dir.path, "deque")), index = JSON.stringify(join(dir.path, "index"));
    assert.deepEqual(lines.slice(4, 8), [
      `Deque { directory: ${deque}, length: 3 }`,
      `Index { directory: ${index}, size: 1 }`,
      `Deque { directory: ${deque}, closed: true }`,
      `Index { directory: ${index}, closed: true }`,
    ], r.name);
  }
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

test("importing the /bun entry on Node or Deno fails with our message saying to import the default entry", async () => {
  const program = (path: string) => `import(${JSON.stringify(path)}).then(() => console.log("loaded"), (e) => { console.log(e.message); })`;
  const source = join(repoRoot, "runtimes", "bun.ts");
  const tries: [string, string, string[]][] = [];
  for (const r of runners("exit_flush_worker")) {
    if (r.name === "bun") continue;
    if (r.name === "node20") tries.push([r.name, r.cmd, ["--input-type=module", "-e", program(join(repoRoot, "dist", "runtimes", "bun.js"))]]);
    else if (r.name === "deno") tries.push([r.name, r.cmd, ["eval", program(source)]]);
    else tries.push([r.name, r.cmd, ["--no-warnings", "--input-type=module", "-e", program(source)]]);
  }
  assert.ok(tries.some(([name]) => name === "deno") && tries.some(([name]) => name.startsWith("node")), tries.map(([n]) => n).join());
  for (const [name, cmd, args] of tries) {
    const res = await run(cmd, args);
    assert.match(
      res.stdout,
      /^Cannot load "@diskcache\/diskcache\/bun" on (Node|Deno) [\d.]+: it is the driver for Bun's built-in bun:sqlite\. Import "@diskcache\/diskcache" instead/,
      `${name}: ${res.stdout}${res.stderr}`,
    );
  }
});
