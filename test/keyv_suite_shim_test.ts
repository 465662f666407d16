// Keyv's compliance suite (@keyv/test-suite) on every runtime: the suite is
// written against vitest's API, of which it uses a handful of calls (it,
// beforeEach, afterEach, expect with eight matchers, expect.assertions).
// This file provides those over node:assert, collects the suite's tests and
// runs them, under Keyv 5 and Keyv 6. On Node the suite also runs under
// vitest itself (test/system/keyv_suite_test.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import Keyv5 from "keyv";
import Keyv6 from "keyv6";
import keyvTestSuite, { keyvIteratorTests } from "@keyv/test-suite";
import { DiskCache } from "../mod.ts";
import { KeyvDiskCache } from "../keyv.ts";
import { tempDir } from "./_helpers.ts";

type Fn = (t: { expect: Expect }) => unknown;
interface Expect {
  (actual: unknown): Matchers & { not: { toBe(expected: unknown): void } };
  assertions(n: number): void;
}
interface Matchers {
  toBe(expected: unknown): void;
  toEqual(expected: unknown): void;
  toBeTruthy(): void;
  toBeFalsy(): void;
  toBeUndefined(): void;
  toBeNull(): void;
  toBeDefined(): void;
}

/** The part of vitest's API the suite calls, collecting instead of running. */
function collector() {
  const tests: { title: string; fn: Fn; mustFail: boolean }[] = [];
  const before: (() => unknown)[] = [], after: (() => unknown)[] = [];
  const it = (title: string, fn: Fn) => void tests.push({ title, fn, mustFail: false });
  const api = { it, beforeEach: (fn: () => unknown) => void before.push(fn), afterEach: (fn: () => unknown) => void after.push(fn) };
  return { api, tests, before, after };
}

function makeExpect(): { expect: Expect; count: () => number; planned: () => number | undefined } {
  let count = 0;
  let planned: number | undefined;
  const expect = ((actual: unknown) => {
    count++;
    return {
      toBe: (e: unknown) => assert.ok(Object.is(actual, e), `expected ${String(actual)} to be ${String(e)}`),
      toEqual: (e: unknown) => assert.deepStrictEqual(actual, e),
      toBeTruthy: () => assert.ok(actual, `expected ${String(actual)} to be truthy`),
      toBeFalsy: () => assert.ok(!actual, `expected ${JSON.stringify(actual)} to be falsy`),
      toBeUndefined: () => assert.equal(actual, undefined),
      toBeNull: () => assert.equal(actual, null),
      toBeDefined: () => assert.notEqual(actual, undefined),
      not: { toBe: (e: unknown) => assert.ok(!Object.is(actual, e), `expected ${String(actual)} not to be ${String(e)}`) },
    };
  }) as Expect;
  expect.assertions = (n: number) => void (planned = n);
  return { expect, count: () => count, planned: () => planned };
}

// Keyv 6 answers deleteMany with one boolean per key (its documented API), so
// the suite's Keyv 5 expectation of one `false` cannot hold there for any store.
const KEYV5_ONLY = new Set([".deleteMany([keys]) with nonexistent keys resolves to false"]);

// This test hands one adapter to a second Keyv with another namespace. Keyv
// passes no namespace with its calls, so one adapter cannot serve two
// namespaces: KeyvDiskCache refuses the second one (issue 23: shared, it let
// users.clear() remove orders' items), and says to give each Keyv its own.
const SHARED_ADAPTER = new Map([["iterator() doesn't yield values from other namespaces", /already serves namespace "keyv1"/]]);

// deno-lint-ignore no-explicit-any
type Any = any;
for (const [name, Keyv] of [["Keyv 5", Keyv5], ["Keyv 6", Keyv6]] as const) {
  test(`Keyv's compliance suite (@keyv/test-suite) passes against KeyvDiskCache under ${name}`, async () => {
    using dir = tempDir();
    // A store per Keyv instance, sharing data (as @keyv/sqlite stores on one
    // file do), each with its own namespace: one DiskCache, fresh adapters.
    using cache = new DiskCache(join(dir.path, "cache"), { tagIndex: true });
    const store = () => new KeyvDiskCache(undefined, { cache });
    const c = collector();
    keyvTestSuite(c.api as Any, Keyv as Any, store);
    keyvIteratorTests(c.api as Any, Keyv as Any, store);
    assert.ok(c.tests.length >= 40, `the suite registered ${c.tests.length} tests`);
    const failures: string[] = [];
    let passed = 0;
    for (const t of c.tests) {
      const mustFail = name === "Keyv 6" && KEYV5_ONLY.has(t.title);
      const e = makeExpect();
      let error: unknown;
      try {
        for (const fn of c.before) await fn();
        await t.fn({ expect: e.expect });
        const planned = e.planned();
        if (planned !== undefined) assert.equal(e.count(), planned, `expected ${planned} assertions, ran ${e.count()}`);
      } catch (err) {
        error = err;
      } finally {
        for (const fn of c.after) await fn();
      }
      const refused = SHARED_ADAPTER.get(t.title);
      if (refused !== undefined) {
        if (error instanceof TypeError && refused.test(error.message)) passed++;
        else failures.push(`${t.title}: expected the adapter to refuse a second namespace, got ${error === undefined ? "no error" : String(error)}`);
      } else if (mustFail && !error) failures.push(`${t.title}: passed, but Keyv 6 answers per key`);
      else if (!mustFail && error) failures.push(`${t.title}: ${(error as Error).message?.split("\n")[0]}`);
      else passed++;
    }
    assert.deepEqual(failures, []);
    assert.equal(passed, c.tests.length);
  });
}
