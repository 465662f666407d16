// The bench section contract (bench/_harness.mjs): every section module
// follows it, and RESULTS.md keeps the blocks of the sections a run left out.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { repoRoot } from "./_helpers.ts";

interface Section {
  name: string;
  title: string;
  run: (ctx: unknown) => unknown;
}
interface Harness {
  SECTIONS: string[];
  load(name: string): Promise<Section>;
  parseResults(text: string): Map<string, string>;
  assemble(fresh: Map<string, string>, previous?: Map<string, string>): string;
}
// By path from the root: the Node 20 row runs the built copy of this file from dist/test/.
const harness = (): Promise<Harness> => import(pathToFileURL(join(repoRoot, "bench", "_harness.mjs")).href);

test("bench: every module in bench/sections/ is listed in SECTIONS and exports name, title and run", async () => {
  const { SECTIONS, load } = await harness();
  const files = readdirSync(join(repoRoot, "bench", "sections")).filter((f) => f.endsWith(".mjs")).map((f) => f.slice(0, -4)).sort();
  assert.deepEqual([...SECTIONS].sort(), files, "SECTIONS in bench/_harness.mjs names each bench/sections/*.mjs once");
  for (const name of SECTIONS) {
    const section = await load(name);
    assert.equal(section.name, name);
    assert.ok(section.title.length > 0, `${name} has a title`);
  }
});

test("bench: RESULTS.md keeps the blocks of the sections a run left out, in SECTIONS order", async () => {
  const { SECTIONS, assemble, parseResults } = await harness();
  const [first, second, third] = SECTIONS as [string, string, string];
  const before = assemble(new Map([[third, "## C\n\nold C"], [first, "## A\n\nold A"]]));
  assert.ok(before.indexOf("old A") < before.indexOf("old C"), "blocks in SECTIONS order, whatever order they were measured in");
  const after = assemble(new Map([[second, "## B\n\nnew B"], [third, "## C\n\nnew C"]]), parseResults(before));
  const blocks = parseResults(after);
  assert.deepEqual([...blocks.keys()], [first, second, third]);
  assert.equal(blocks.get(first), "## A\n\nold A", "a section not run keeps its block as it was");
  assert.equal(blocks.get(third), "## C\n\nnew C", "a section run again replaces its block");
  assert.match(after, new RegExp(`<!-- section:${second} -->\n## B\n\nnew B\n<!-- /section:${second} -->`));
});

test("bench: the committed RESULTS.md is made of marked blocks of known sections", async () => {
  const { SECTIONS, parseResults } = await harness();
  const blocks = parseResults(readFileSync(join(repoRoot, "bench", "RESULTS.md"), "utf8"));
  assert.ok(blocks.size > 0);
  for (const name of blocks.keys()) assert.ok(SECTIONS.includes(name), `RESULTS.md has a block for ${name}, which is not a section`);
});
