// What a cold start loads (issue 25 part 1): the shape of the module graph
// and the npm build, never a timing (bench/sections/cold_start.mjs times them).
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { repoRoot } from "./_helpers.ts";
import { staticGraph } from "./_module_graph.ts";

test("cold start: importing the package loads neither node:process nor node:crypto (Node builds a facade of each at start)", () => {
  for (const entry of ["mod.ts", "cli.ts", "keyv.ts", "unstorage.ts", "http.ts"]) {
    const { bare } = staticGraph(join(repoRoot, entry));
    for (const costly of ["node:process", "node:crypto"]) {
      assert.ok(!bare.has(costly), `${entry} imports ${costly} statically (use globalThis.process / globalThis.crypto)`);
    }
  }
});
