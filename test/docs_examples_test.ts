// Every TypeScript and JavaScript example of README.md and docs/*.md runs as
// written (issue 23): each block is copied into a file of a fresh project in a
// temporary directory, where "@diskcache/diskcache" (and its subpaths) resolve
// to this checkout, and run with this row's runtime; it must exit 0.
//
//   - Node 24 and Bun: the project's node_modules holds a link to this
//     repository as @diskcache/diskcache (package.json's exports: the build in
//     dist/, so `npm run build` first, as `npm test` does) and links to the
//     repository's other packages (keyv, cache-manager, unstorage, undici...).
//   - Deno: the project's deno.json maps the package name and its subpaths to
//     the sources (the same mapping as this repository's deno.json) and reads
//     npm packages from that node_modules. Deno also type-checks every `ts`
//     block: a name used but never defined fails here even in code that does
//     not run.
//   - Node 20 runs the `js` blocks alone (it has no type stripping), as Node 24
//     does, against the build and better-sqlite3.
//
// Info strings: `ts`, `typescript`, `js`, `javascript` run. `ts no-run: <reason>`
// is left out (a reason is required; keep those rare). `ts node-only: <reason>`
// runs on the Node rows alone (an example of Node's own global fetch).
// Each block gets its own directories: TMPDIR and XDG_CACHE_HOME point into the
// project, so `new DiskCache()` and `userCacheDirectory("my-app")` write there,
// and REDIS_URL names a redis-server started for the test on 127.0.0.1.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { repoRoot, startRedis } from "./_helpers.ts";

// deno-lint-ignore no-explicit-any
const g = globalThis as any;
const fromDist = import.meta.url.includes("/dist/test/");
const runtime: "deno" | "bun" | "node24" | "node20" = g.Deno ? "deno" : g.Bun ? "bun" : fromDist ? "node20" : "node24";

/** One fenced code block of a Markdown file. */
export interface Block {
  file: string;
  line: number;
  lang: "ts" | "js";
  flags: string[];
  reason: string;
  code: string;
}

const LANGS: Record<string, "ts" | "js"> = { ts: "ts", typescript: "ts", js: "js", javascript: "js" };
const FLAGS = ["no-run", "node-only"];

/** The TypeScript and JavaScript blocks of a Markdown text (fences may be indented, as in a list). */
export function extractBlocks(file: string, text: string): Block[] {
  const out: Block[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)\s*(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const [, indent, fence, info, rest] = open as unknown as [string, string, string, string, string];
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const l = lines[j]!;
      if (l.trim().startsWith(fence[0]!.repeat(fence.length)) && l.trim().replace(/[`~]/g, "") === "") break;
      body.push(l.startsWith(indent) ? l.slice(indent.length) : l.trimStart());
    }
    const lang = LANGS[info.toLowerCase()];
    if (lang) {
      const words = rest.trim().split(/\s+/).filter(Boolean);
      const isFlag = (w: string) => FLAGS.includes(w.replace(/:$/, ""));
      const flags = words.filter(isFlag).map((w) => w.replace(/:$/, ""));
      const reason = words.filter((w) => !isFlag(w)).join(" ");
      out.push({ file, line: i + 1, lang, flags, reason, code: body.join("\n") + "\n" });
    }
    i = j;
  }
  return out;
}

/** README.md and docs/*.md, relative to the repository root. */
function markdownFiles(): string[] {
  const docs = existsSync(join(repoRoot, "docs")) ? readdirSync(join(repoRoot, "docs")).filter((f) => f.endsWith(".md")).sort().map((f) => `docs/${f}`) : [];
  return ["README.md", ...docs];
}

const blocks = markdownFiles().flatMap((f) => extractBlocks(f, readFileSync(join(repoRoot, f), "utf8")));
const label = (b: Block) => `${b.file}:${b.line}`;

test("the doc extractor finds fenced blocks, indented ones too, with their flags", () => {
  const md = [
    "text",
    "```ts",
    "a();",
    "```",
    "- item",
    "  ```js",
    "  b();",
    "  ```",
    "```ts no-run: needs a network",
    "c();",
    "```",
    "```sh",
    "ls",
    "```",
  ].join("\n");
  assert.deepEqual(extractBlocks("x.md", md), [
    { file: "x.md", line: 2, lang: "ts", flags: [], reason: "", code: "a();\n" },
    { file: "x.md", line: 6, lang: "js", flags: [], reason: "", code: "b();\n" },
    { file: "x.md", line: 9, lang: "ts", flags: ["no-run"], reason: "needs a network", code: "c();\n" },
  ]);
});

test("every doc block left out or limited says why, and there are examples to run", () => {
  assert.ok(blocks.length >= 10, `found only ${blocks.length} blocks`);
  for (const b of blocks) {
    if (b.flags.length > 0) assert.ok(b.reason.length > 0, `${label(b)}: "${b.flags.join(" ")}" needs a reason after it`);
  }
});

test("links between the docs point at files and headings that exist", () => {
  const anchor = (h: string) => h.toLowerCase().replace(/[^\w\- ]/g, "").replace(/ /g, "-");
  const headings = (f: string) => new Set([...readFileSync(join(repoRoot, f), "utf8").matchAll(/^#+ (.+)$/gm)].map((m) => anchor(m[1]!)));
  const site = "https://github.com/diskcache/diskcache-ts/blob/main/";
  for (const f of markdownFiles()) {
    const text = readFileSync(join(repoRoot, f), "utf8").replace(/```[\s\S]*?```/g, "");
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      let path = target!.startsWith(site) ? target!.slice(site.length) : target!;
      if (/^[a-z]+:/.test(path)) continue; // another site
      let hash = "";
      [path, hash = ""] = path.split("#") as [string, string?];
      const file = path === "" ? f : target!.startsWith(site) ? path : join(f.includes("/") ? "docs" : "", path);
      assert.ok(existsSync(join(repoRoot, file)), `${f} links to ${target}: no file ${file}`);
      if (hash && file.endsWith(".md")) assert.ok(headings(file).has(hash), `${f} links to ${target}: ${file} has no heading #${hash}`);
    }
  }
});

test("JSDoc examples import the public API from the package name, as a user writes them, not by relative path", () => {
  const denoJson = JSON.parse(readFileSync(join(repoRoot, "deno.json"), "utf8"));
  const entries = new Set(Object.values(denoJson.exports as Record<string, string>).map((t) => t.slice(2)));
  const sources = (dir: string): string[] =>
    readdirSync(join(repoRoot, dir), { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []
    );
  const files = [...readdirSync(repoRoot).filter((f) => f.endsWith(".ts")), ...sources("src"), ...sources("runtimes")];
  const wrong: string[] = [];
  for (const file of files) {
    readFileSync(join(repoRoot, file), "utf8").split("\n").forEach((line, i) => {
      const m = /^\s*\*\s.*\bfrom\s+"(\.\.?\/[^"]+)"/.exec(line);
      if (m && entries.has(join(dirname(file), m[1]!).replaceAll("\\", "/"))) wrong.push(`${file}:${i + 1}: ${line.trim()}`);
    });
  }
  assert.deepEqual(wrong, [], 'import from "@diskcache/diskcache" (or its subpath) instead; deno.json maps it to the sources');
});

/** A fixed system directory a block names (a non-root user cannot write /var/cache; root would). */
const systemPath = (b: Block) => /["'`](\/(?:var|etc|usr|opt|srv|tmp|home|root)\/[^"'`]*)/.exec(b.code)?.[1];
const useInstead = `use userCacheDirectory("name") or new DiskCache() (a temporary cache)`;

test("no doc block names a fixed system directory", () => {
  for (const b of blocks) assert.equal(systemPath(b), undefined, `${label(b)} names ${systemPath(b)}: ${useInstead}`);
});

/** A fresh project with @diskcache/diskcache resolving to this checkout. */
function project(): string {
  const dir = mkdtempSync(join(tmpdir(), "diskcache-docs-"));
  const modules = join(dir, "node_modules");
  mkdirSync(join(modules, "@diskcache"), { recursive: true });
  symlinkSync(repoRoot, join(modules, "@diskcache", "diskcache"), "dir");
  const repoModules = join(repoRoot, "node_modules");
  for (const name of readdirSync(repoModules)) {
    if (name === "@diskcache" || name.startsWith(".")) continue;
    symlinkSync(join(repoModules, name), join(modules, name), "dir");
  }
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "docs-example", private: true, type: "module" }, null, 2));
  // Deno: the package's name and subpaths to the sources, as this repository's deno.json maps them.
  const denoJson = JSON.parse(readFileSync(join(repoRoot, "deno.json"), "utf8"));
  const imports: Record<string, string> = {};
  for (const [name, target] of Object.entries(denoJson.imports as Record<string, string>)) {
    imports[name] = target.startsWith("./") ? pathToFileURL(join(repoRoot, target)).href : target;
  }
  writeFileSync(
    join(dir, "deno.json"),
    JSON.stringify({ imports, nodeModulesDir: "manual", compilerOptions: { ...denoJson.compilerOptions, types: [] }, lock: false }, null, 2),
  );
  return dir;
}

/** Runs a command to completion in `cwd` with `env` added; kills it after `limitMs` (a hang guard, not a threshold). */
function runIn(cmd: string, args: string[], cwd: string, env: Record<string, string>, limitMs = 300_000) {
  return new Promise<{ code: number | null; out: string; hung: boolean }>((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, NO_COLOR: "1", ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "", hung = false;
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (out += d));
    const timer = setTimeout(() => {
      hung = true;
      child.kill("SIGKILL");
    }, limitMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, out, hung });
    });
  });
}

function command(file: string): [string, string[]] {
  if (runtime === "deno") return [process.execPath, ["run", "-A", "--no-check", "--config", "deno.json", file]];
  if (runtime === "bun") return [process.execPath, [file]];
  return [process.execPath, ["--no-warnings", file]];
}

let redis: Awaited<ReturnType<typeof startRedis>>;
const needsRedis = blocks.some((b) => b.code.includes("REDIS_URL") && (runtime !== "node20" || b.lang === "js"));
before(async () => {
  if (needsRedis) redis = await startRedis();
});
after(async () => {
  await redis?.[Symbol.asyncDispose]();
});

if (runtime === "deno") {
  test("every ts block of the docs type-checks (deno check): no undefined names, no wrong calls", async () => {
    const dir = project();
    try {
      const files: string[] = [];
      blocks.filter((b) => b.lang === "ts" && !b.flags.includes("no-run")).forEach((b, i) => {
        const name = `block${i}_${b.file.replace(/\W/g, "_")}_${b.line}.ts`;
        // Each file a module of its own, so blocks never see one another's names.
        writeFileSync(join(dir, name), b.code.includes("import ") || b.code.includes("export ") ? b.code : b.code + "export {};\n");
        files.push(name);
      });
      const r = await runIn(process.execPath, ["check", "--config", "deno.json", ...files], dir, {});
      assert.equal(r.code, 0, `deno check of the doc blocks failed (file names say file and line):\n${r.out}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

for (const b of blocks) {
  const skip = b.flags.includes("no-run")
    ? `not runnable: ${b.reason}`
    : runtime === "node20" && b.lang === "ts"
    ? "Node 20 runs no TypeScript file (no type stripping); the other rows run it"
    : b.flags.includes("node-only") && (runtime === "deno" || runtime === "bun")
    ? `Node only: ${b.reason}`
    : false;
  test(`${label(b)} runs as written`, { skip }, async () => {
    if (skip) return; // Bun's node:test runs a skipped test's body
    if (runtime !== "deno") {
      assert.ok(existsSync(join(repoRoot, "dist", "mod.js")), "the package resolves to its build in dist/: run `npm run build` first");
    }
    // Not run at all: as root it would write there.
    assert.equal(systemPath(b), undefined, `${label(b)} names ${systemPath(b)}: ${useInstead}`);
    if (b.code.includes("REDIS_URL") && !redis) return; // redis-server not installed here (an error under CI)
    const dir = project();
    try {
      const file = b.lang === "ts" ? "example.ts" : "example.mjs";
      writeFileSync(join(dir, file), b.code);
      mkdirSync(join(dir, "tmp"));
      const env: Record<string, string> = {
        TMPDIR: join(dir, "tmp"),
        TMP: join(dir, "tmp"),
        TEMP: join(dir, "tmp"),
        XDG_CACHE_HOME: join(dir, "cache"),
      };
      if (redis) env.REDIS_URL = redis.url;
      const [cmd, args] = command(file);
      const r = await runIn(cmd, args, dir, env);
      assert.ok(!r.hung, `${label(b)} did not exit (left a server, timer or connection open?):\n${r.out}`);
      assert.equal(r.code, 0, `${label(b)} exited ${r.code}:\n${r.out}\n--- the block:\n${b.code}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
