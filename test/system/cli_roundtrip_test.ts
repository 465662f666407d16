// System tests split from test/cli_roundtrip_test.ts: they start processes of other runtimes, Python or servers,
// and run once per `npm test` (the "system" row, on Node 24).
import { test } from "node:test";
import assert from "node:assert/strict";
import { EXIT } from "../../src/cli/main.ts";
import { KEY_FLAGS, type KeyType } from "../../src/cli/keys.ts";
import { python, run, tempDir } from "../_helpers.ts";
import { cli as runCli } from "../_cli.ts";

const enc = new TextEncoder();

/** Runs main() in-process; `hook` runs at each standard-output write and each pause (a step of a removal). */
const cli = (args: string[], hook?: () => void) => runCli(args, { stdin: enc.encode("from stdin"), onStdout: hook, onPause: hook });

const flagOf = (type: KeyType) => (type === "str" ? [] : [`--${KEY_FLAGS[type]}`]);

test("diskcache ls and get find the float keys python-diskcache wrote (1.0, -0.0, 2.0**60, 1e19, inf, 0.5)", async (t) => {
  const py = python();
  if (py === undefined) return t.skip("python3 with diskcache is not installed (apt-get install python3-diskcache)");
  using dir = tempDir();
  const script = `
import sys, diskcache
c = diskcache.Cache(sys.argv[1])
for i, k in enumerate([1.0, -0.0, 2.0**60, 1e19, -2.0**63, 2.0**63, float("inf"), 0.5, 2**62]):
    c[k] = "v%d" % i
c.close()
`;
  const made = await run(py, ["-c", script, dir.path]);
  assert.equal(made.code, 0, made.stderr);
  const listed = (JSON.parse((await cli(["ls", dir.path, "--json"])).stdout) as { items: { key: string; type: KeyType }[] }).items;
  assert.deepEqual(listed.map((i) => [i.type, i.key]), [
    ["int", "1"],
    ["int", "0"],
    ["int", "1152921504606846976"],
    ["float", "10000000000000000000"],
    ["int", "-9223372036854775808"],
    ["float", "9223372036854776000"],
    ["float", "Infinity"],
    ["float", "0.5"],
    ["int", "4611686018427387904"],
  ]);
  for (const [i, item] of listed.entries()) {
    const got = await cli(["get", dir.path, ...flagOf(item.type), "--", item.key]);
    assert.deepEqual([got.code, got.stdout], [EXIT.ok, `v${i}`], `${item.type} ${item.key}`);
  }
});
