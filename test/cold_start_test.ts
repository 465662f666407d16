// What a cold start loads (issue 25 part 1): the shape of the module graph
// and the npm build, never a timing (bench/sections/cold_start.mjs times them).
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import type { SqliteDatabase, SqliteDriver } from "../src/driver.ts";
import { detectDriver } from "../runtimes/auto.ts";
import { DiskCache } from "../mod.ts";
import { repoRoot, tempDir } from "./_helpers.ts";
import { staticGraph } from "./_module_graph.ts";

test("cold start: importing the package loads neither node:process nor node:crypto (Node builds a facade of each at start)", () => {
  for (const entry of ["mod.ts", "cli.ts", "keyv.ts", "unstorage.ts", "http.ts"]) {
    const { bare } = staticGraph(join(repoRoot, entry));
    for (const costly of ["node:process", "node:crypto"]) {
      assert.ok(!bare.has(costly), `${entry} imports ${costly} statically (use globalThis.process / globalThis.crypto)`);
    }
  }
});

test("cold start: DiskCache and the CLI import no node: module whose ESM facade Node builds at a cost (issue 25)", () => {
  // An \`import\` of a built-in makes Node build its module facade, which reads every export:
  // node:fs's \`promises\` getter loads fs/promises, readline and the REPL history (about 4.5 ms
  // of CPU), node:util's loads its lazy parts (2 ms), node:os, node:buffer, node:timers and
  // node:url a few tenths of a ms each. process.getBuiltinModule returns the module itself.
  for (const entry of ["mod.ts", "cli.ts", "keyv.ts", "unstorage.ts"]) {
    const { bare } = staticGraph(join(repoRoot, entry));
    for (const costly of ["node:fs", "node:fs/promises", "node:os", "node:buffer", "node:timers", "node:url", "node:util"]) {
      assert.ok(!bare.has(costly), `${entry} imports ${costly} statically (use globalThis.process.getBuiltinModule("${costly}"))`);
    }
  }
});

/** The default driver, recording the SQL of every statement run or prepared through it. */
function recordingDriver(sql: string[]): SqliteDriver {
  const inner = detectDriver();
  return {
    ...inner,
    open(path, options): SqliteDatabase {
      const db = inner.open(path, options);
      return {
        exec: (text) => {
          sql.push(text);
          db.exec(text);
        },
        prepare: (text, prepareOptions) => {
          sql.push(text);
          return db.prepare(text, prepareOptions);
        },
        close: () => db.close(),
      };
    },
  };
}

test("cold start: the first write after open reads the settings no second time when no other connection committed (issue 25)", () => {
  using dir = tempDir();
  const readsSettings = (text: string) => /^SELECT key, value FROM Settings$/.test(text) || text.includes("group_concat(key");
  for (const existing of [false, true]) {
    const sql: string[] = [];
    const cache = new DiskCache(dir.path, { driver: recordingDriver(sql) });
    const atOpen = sql.filter(readsSettings).length;
    cache.set("key", "value");
    assert.equal(cache.get("key"), "value");
    cache.close();
    // A new cache has no settings to read; an existing one reads them once, at open.
    assert.equal(atOpen, existing ? 1 : 0);
    assert.deepEqual(sql.filter(readsSettings).slice(atOpen), [], `the first write read the settings again (${existing ? "existing" : "new"} cache)`);
  }
});

test("cold start: settings another connection stored after this one opened still rule its first write", () => {
  using dir = tempDir();
  using a = new DiskCache(dir.path);
  using b = new DiskCache(dir.path, { sizeLimit: 123_456, cullLimit: 3 });
  assert.equal(b.sizeLimit, 123_456);
  a.set("key", "value");
  assert.equal(a.sizeLimit, 123_456, "the first write of a followed the settings b stored");
  assert.equal(a.cullLimit, 3);
});

test("cold start: open, set, get and close never read globalThis.performance (Node loads it on first use: 1-2 ms)", () => {
  using dir = tempDir();
  const own = Object.getOwnPropertyDescriptor(globalThis, "performance");
  assert.ok(own?.configurable, "globalThis.performance can be watched");
  let reads = 0;
  const value = globalThis.performance;
  Object.defineProperty(globalThis, "performance", {
    configurable: true,
    get: () => {
      reads++;
      return value;
    },
  });
  try {
    const cache = new DiskCache(dir.path);
    cache.set("key", "value");
    assert.equal(cache.get("key"), "value");
    cache.close();
  } finally {
    Object.defineProperty(globalThis, "performance", own!);
  }
  assert.equal(reads, 0);
});
