// Every example under examples/ runs, as a user would run it, on the runtime of
// this row (Node 20 runs the built copy in dist/examples), and prints what its
// comments promise.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { repoRoot, run, tempDir } from "./_helpers.ts";

// deno-lint-ignore no-explicit-any
const g = globalThis as any;
const fromDist = fileURLToPath(import.meta.url).includes(`${join("dist", "test")}`);
const runtime: "deno" | "bun" | "node24" | "node20" = g.Deno ? "deno" : g.Bun ? "bun" : fromDist ? "node20" : "node24";

/** Runs examples/<name>.ts (or its build) with this row's runtime; fails on a non-zero exit. */
async function example(name: string, ...args: string[]): Promise<string[]> {
  const src = join(repoRoot, "examples", `${name}.ts`);
  const [cmd, pre] = runtime === "deno"
    ? [process.execPath, ["run", "-A", "--no-check", "--config", join(repoRoot, "deno.json"), src]]
    : runtime === "bun"
    ? [process.execPath, [src]]
    : runtime === "node24"
    ? [process.execPath, ["--no-warnings", src]]
    : [process.execPath, [join(repoRoot, "dist", "examples", `${name}.js`)]];
  const r = await run(cmd, [...pre, ...args]);
  assert.equal(r.code, 0, `${name} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r.stdout.trim().split("\n");
}

const TESTED = ["demo", "keyv", "unstorage", "runtimes"];

test("every example has a test here", () => {
  const found = readdirSync(join(repoRoot, "examples")).filter((f) => f.endsWith(".ts")).map((f) => f.slice(0, -3))
    .sort();
  assert.deepEqual(found, [...TESTED].sort());
});

test("demo: memoize computes each forecast once, and a second process finds them all on disk", async () => {
  using dir = tempDir();
  const first = await example("demo", dir.path);
  assert.equal(
    first.filter((l) => /^forecast\(".*"\) = .* {2}computed in \d+ ms$/.test(l)).length,
    4,
    first.join("\n"),
  );
  assert.ok(first.includes(`3 concurrent calls for "Oslo": computed once`), first.join("\n"));
  assert.match(first.at(-2) ?? "", /^5 forecasts: 5 computed, 0 from the cache in /);
  const second = await example("demo", dir.path);
  assert.equal(
    second.filter((l) => /^forecast\(".*"\) = .* {2}from the cache in [\d.]+ ms$/.test(l)).length,
    4,
    second.join("\n"),
  );
  assert.match(second.at(-2) ?? "", /^5 forecasts: 0 computed, 5 from the cache in /);
  // The same answers both times.
  const answers = (lines: string[]) => lines.filter((l) => l.startsWith("forecast(")).map((l) => l.split("  ")[0]);
  assert.deepEqual(answers(second), answers(first));
});

test("keyv example: namespaces in one directory, clear() of one, a second store reading the first's writes", async () => {
  using dir = tempDir();
  assert.deepEqual(await example("keyv", dir.path), [
    `users.get("ada") = {"name":"Ada","admin":true}`,
    `sessions.get("s1") = "ada"`,
    `after sessions.clear(): session null, user {"name":"Ada","admin":true}`,
    `another store sees {"name":"Ada","admin":true}`,
  ]);
});

test("unstorage example: keys under a base, raw bytes, ttl in getMeta, mounted at a prefix", async () => {
  using dir = tempDir();
  assert.deepEqual(await example("unstorage", dir.path), [
    `keys under cache:users = ["cache:users:ada","cache:users:alan"]`,
    `getItem("cache:users:ada") = {"name":"Ada","admin":true}`,
    `getItemRaw("cache:blobs:logo") = Uint8Array [137, 80, 78, 71]`,
    `getMeta("cache:users:alan").ttl = 60 seconds`,
  ]);
});

test("runtimes example: the entry point of this runtime gives its driver", async () => {
  const driver = { deno: "node:sqlite", bun: "bun:sqlite", node24: "node:sqlite", node20: "better-sqlite3" }[runtime];
  assert.deepEqual(await example("runtimes"), [`driver ${driver}: get("greeting") = "hello"`]);
});
