#!/usr/bin/env node
// The build npm pack and npm publish ship (package.json "prepack"): the
// library alone, compiled from scratch into an empty dist/, so that nothing
// stale (a file whose source was removed, the test build) can ship. Fails
// first when the manifests disagree with deno.json's exports (scripts/manifests.mjs).
// `npm test` rebuilds dist/ whole (tests included) for the Node 20 row.
//
// Two steps: tsc compiles the entries (tsconfig.build.json) for their `.d.ts`
// files, then rolldown bundles each entry point of package.json's `exports`
// into one file, with what several entries share in dist/src/_chunks/ (one
// copy of each class, so `instanceof` holds across entry points), and the
// `.js` files tsc wrote are removed. A cold start then loads 1 to 3 files
// instead of about 90 (issue 25: importing the tsc output took 50-110 ms on
// Node, most of it resolving and compiling modules one by one). cbor2 and
// http-cache-semantics are bundled in, their licenses kept at the top of the
// chunk that holds them; they stay dependencies because the `.d.ts` files
// name their types. Usage: node scripts/build_package.mjs [--out DIR] (default dist/).
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { staleManifests } from "./manifests.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const outArg = process.argv.indexOf("--out");
const out = outArg === -1 ? join(root, "dist") : resolve(process.argv[outArg + 1] ?? "");
if (outArg !== -1 && !process.argv[outArg + 1]) {
  console.error("--out needs a directory: node scripts/build_package.mjs --out DIR");
  process.exit(2);
}
const stale = staleManifests();
if (stale.length > 0) {
  console.error(
    `${stale.join(", ")} disagree with deno.json's "exports": run \`node scripts/manifests.mjs\` and commit the result`,
  );
  process.exit(1);
}
rmSync(out, { recursive: true, force: true });
const tsc = join(root, "node_modules", ".bin", "tsc");
const r = spawnSync(tsc, ["-p", join(root, "tsconfig.build.json"), "--outDir", out], { cwd: root, stdio: "inherit" });
if (r.status !== 0) {
  console.error(
    r.error ? `cannot run ${tsc}: ${r.error.message} (run npm install first)` : "build failed: tsc reported errors",
  );
  process.exit(1);
}

let rolldown;
try {
  rolldown = await import("rolldown");
} catch (error) {
  console.error(`cannot load rolldown (a devDependency): ${error.message}; run npm install first`);
  process.exit(1);
}
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
// "./dist/runtimes/bun.js" -> input "runtimes/bun": the bundle keeps each entry's path.
const input = Object.fromEntries(
  Object.values(pkg.exports).map((e) => {
    const name = e.default.replace(/^\.\/dist\//, "").replace(/\.js$/, "");
    return [name, join(out, `${name}.js`)];
  }),
);
/** The entry modules themselves (runtimes/bun.js throws on another runtime): each stays in its own chunk. */
const entryFiles = new Set(Object.values(input));
const BUNDLED = { cbor2: "LICENSE.md", "@cto.af/wtf8": "LICENSE.md", "http-cache-semantics": "LICENSE" };
/** A bundled package's license, in ASCII (see `charset` below): typographic quotes as plain ones, "(R)" for the sign. */
const license = (name) =>
  readFileSync(join(root, "node_modules", name, BUNDLED[name]), "utf8").trim()
    .replace(/[\u201c\u201d]/g, '"').replace(/[\u2018\u2019]/g, "'").replace(/\u00ae/g, "(R)").replace(/[^\t\n\r -~]/g, "?");
/** The folders of the entry points other than the main one: their code stays in their entries' chunks. */
const ENTRY_FOLDERS = /\/src\/(cli|http|next|web_cache|adapters)\/|\/node_modules\/http-cache-semantics\/|^\0/;
/** The first statement of a command's facade: Node's compile cache on, where there is one. */
const COMPILE_CACHE = 'globalThis.process?.getBuiltinModule?.("node:module")?.enableCompileCache?.();\n';
const staging = mkdtempSync(join(tmpdir(), "diskcache-bundle-"));
try {
  await rolldown.build({
    input,
    platform: "node",
    // The runtimes' own modules, and the optional peer the Node 20 driver loads with require().
    external: [/^node:/, /^bun(:|$)/, "better-sqlite3"],
    // The dependencies come from this repository's node_modules, wherever --out puts the build.
    resolve: { modules: [join(root, "node_modules"), "node_modules"] },
    onLog(level, log, handle) {
      // An import left unresolved would ship as an import of a package the bundle does not declare.
      if (level === "warn" && log.code === "UNRESOLVED_IMPORT") throw new Error(`rolldown: ${log.message}`);
      handle(level, log);
    },
    logLevel: "warn",
    output: {
      dir: staging,
      format: "esm",
      // All the code lives in src/_chunks/, entry points included; dist/<entry>.js only
      // re-exports (written below). memoize finds the library's own stack frames by the folder
      // of its module (src/function_name.ts): code in another folder that calls it (an entry
      // point's) would be taken for the caller.
      entryFileNames: "src/_chunks/[name].js",
      chunkFileNames: "src/_chunks/[name]-[hash].js",
      // The library's core and what the main entry exports, with cbor2, in one chunk, and each
      // other entry's own folder in its entry's chunk: Bun keeps the transpiled code of a file
      // larger than 50 KB in its cache and transpiles a smaller one again at every start (issue
      // 25: the main entry's 43 KB and 26 KB chunks cost Bun about 4 ms of each start).
      codeSplitting: {
        groups: [{ name: "library", test: (id) => !entryFiles.has(id) && !ENTRY_FOLDERS.test(id.replaceAll("\\", "/")) }],
      },
      // Plain ASCII, without the JSDoc (the .d.ts files keep it): V8 holds a source with one
      // non-ASCII character as two bytes a character, and scans it slower.
      charset: "ascii",
      comments: { legal: true, annotation: true, jsdoc: false },
      banner: (chunk) => {
        const names = Object.keys(BUNDLED).filter((n) => chunk.moduleIds.some((id) => id.includes(`/node_modules/${n}/`)));
        return names.map((n) => `/*! ${n} (bundled from npm)\n${license(n)}\n*/`).join("\n");
      },
    },
  });
  // tsc's .js files go (the bundles replace them); its .d.ts files stay.
  for (const entry of readdirSync(out, { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && entry.name.endsWith(".js")) rmSync(join(entry.parentPath, entry.name));
  }
  cpSync(staging, out, { recursive: true });
  for (const name of Object.keys(input)) {
    let target = relative(dirname(join(out, name)), join(out, "src", "_chunks", `${name}.js`)).replaceAll(sep, "/");
    if (!target.startsWith("../")) target = `./${target}`;
    const code = readFileSync(join(out, "src", "_chunks", `${name}.js`), "utf8");
    // A command (its #! line) runs its chunk; a module re-exports its chunk (no entry has a default export).
    // A command owns its process: on Node >= 22.1 it turns on Node's compile cache first (as tsc
    // does), so that each later run loads the chunks' compiled code instead of compiling them again
    // (about 10 ms of CPU of each `diskcache get`; issue 25). The import is dynamic because static
    // imports are compiled before any statement runs. NODE_DISABLE_COMPILE_CACHE=1 turns it off;
    // Deno keeps its own code cache, Bun has none.
    const facade = code.startsWith("#!")
      ? `${code.slice(0, code.indexOf("\n"))}\n${COMPILE_CACHE}await import("${target}");\n`
      : `export * from "${target}";\n`;
    writeFileSync(join(out, `${name}.js`), facade);
  }
} finally {
  rmSync(staging, { recursive: true, force: true });
}
