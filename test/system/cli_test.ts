// System tests split from test/cli_test.ts: they start processes of other runtimes, Python or servers,
// and run once per `npm test` (the "system" row, on Node 24).
import { test } from "node:test";
import assert from "node:assert/strict";
import { python, run, tempDir } from "../_helpers.ts";
import { diskcache } from "../_cli.ts";

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
