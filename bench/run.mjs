#!/usr/bin/env node
// Runs the benchmark sections (bench/sections/*.mjs, the contract is in
// bench/_harness.mjs) and writes their blocks into bench/RESULTS.md.
//   npm run bench                                  every section, full sizes
//   npm run bench -- --quick                       every section, small sizes
//   npm run bench -- --section get_set,http [--quick]   only these; the other blocks stay
//   npm run bench -- --list                        the sections, one line each
//   npm run bench -- --out FILE ...                write FILE instead of bench/RESULTS.md (a trial run)
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { block, context, ensureBuilt, load, SECTIONS, writeResults } from "./_harness.mjs";
import { bin, ROOT } from "../scripts/runtimes.mjs";
import { setup } from "./setup.mjs";

const argv = process.argv.slice(2);
const quick = argv.includes("--quick");
const i = argv.indexOf("--section");
const o = argv.indexOf("--out");
const out = o === -1 ? undefined : argv[o + 1];
const wanted = i === -1 ? SECTIONS : (argv[i + 1] ?? "").split(",").filter(Boolean).sort((a, b) => SECTIONS.indexOf(a) - SECTIONS.indexOf(b));

// Every module in bench/sections/ is a section in SECTIONS, and the other way round.
const files = readdirSync(join(ROOT, "bench", "sections")).filter((f) => f.endsWith(".mjs")).map((f) => f.slice(0, -4));
const unlisted = files.filter((f) => !SECTIONS.includes(f));
const absent = SECTIONS.filter((s) => !files.includes(s));
if (unlisted.length || absent.length) {
  console.error(
    `bench: SECTIONS in bench/_harness.mjs and bench/sections/*.mjs disagree:${unlisted.length ? ` not listed: ${unlisted.join(", ")};` : ""}${
      absent.length ? ` no module: ${absent.join(", ")};` : ""
    } add the section to SECTIONS (in its place in RESULTS.md)`,
  );
  process.exit(2);
}
const unknown = wanted.filter((s) => !SECTIONS.includes(s));
if (unknown.length || wanted.length === 0) {
  console.error(`bench: unknown section ${unknown.join(", ") || "(none given)"}; sections are ${SECTIONS.join(", ")} (npm run bench -- --section a,b)`);
  process.exit(2);
}
const modules = await Promise.all(wanted.map(load));
if (argv.includes("--list")) {
  for (const m of modules) console.log(`${m.name.padEnd(10)} ${m.title}`);
  process.exit(0);
}

setup({ root: ROOT, bin });
ensureBuilt();
const started = Date.now();
const fresh = new Map();
const laps = [];
for (const mod of modules) {
  console.log(`\n== ${mod.name}: ${mod.title}${quick ? " (quick)" : ""}`);
  const t = Date.now();
  const { markdown } = await mod.run(context({ name: mod.name, quick }));
  const seconds = (Date.now() - t) / 1000;
  fresh.set(mod.name, block({ markdown, seconds, quick }));
  laps.push(`${mod.name} ${seconds.toFixed(0)} s`);
  console.log(`-- ${laps.at(-1)}`);
  // Written after each section: a later one failing keeps what this one measured.
  writeResults(fresh, out);
}
console.log(`\nwrote ${out ?? "bench/RESULTS.md"}: ${laps.join(", ")}; ${((Date.now() - started) / 1000).toFixed(0)} s in all`);
