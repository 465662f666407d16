// Runs Keyv's own compliance suite (@keyv/test-suite, a vitest suite) against
// KeyvDiskCache: test/keyv_suite/keyv_suite.spec.ts, under Keyv 5 and Keyv 6.
// vitest runs on Node, so this runs in the node24 row; the same behaviours
// are tested on Deno and Bun by test/keyv_test.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot, row, run, tempDir } from "../_helpers.ts";

test("Keyv's compliance suite (@keyv/test-suite) passes under Keyv 5 and Keyv 6", async (t) => {
  if (row !== "node24" && row !== "unknown") return t.skip("runs in the node24 row only: vitest runs the suite on Node");
  using out = tempDir();
  const report = join(out.path, "report.json");
  const r = await run(join(repoRoot, "node_modules", ".bin", "node"), [
    join(repoRoot, "node_modules", "vitest", "vitest.mjs"),
    "run",
    "--root",
    repoRoot,
    "--dir",
    "test/keyv_suite",
    "--reporter=json",
    `--outputFile=${report}`,
  ]);
  const json = JSON.parse(readFileSync(report, "utf8")) as {
    numTotalTests: number;
    numPassedTests: number;
    numFailedTests: number;
    testResults: { assertionResults: { fullName: string; status: string; failureMessages: string[] }[] }[];
  };
  const failed = json.testResults.flatMap((f) => f.assertionResults).filter((a) => a.status === "failed");
  assert.deepEqual(failed.map((a) => `${a.fullName}: ${a.failureMessages[0]?.split("\n")[0]}`), [], r.stderr);
  assert.equal(r.code, 0, r.stderr);
  // 42 tests per Keyv version (API, values, namespaces, iterator): a suite
  // that silently ran nothing would pass the checks above.
  assert.ok(json.numPassedTests >= 80, `only ${json.numPassedTests} of ${json.numTotalTests} passed`);
});
