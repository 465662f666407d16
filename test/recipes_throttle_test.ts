// throttle (src/recipes/throttle.ts): a token bucket driven by an injected
// clock and sleep; across processes of every runtime; on both cache types.
import { test } from "node:test";
import assert from "node:assert/strict";
import { throttle } from "../mod.ts";
import { recipeCaches, tempCache, tempDir } from "./_helpers.ts";

test("throttle lets count calls per period through at once and makes the next wait for a token", async () => {
  using cache = tempCache({ evictionPolicy: "none" });
  let now = 0;
  const sleeps: number[] = [];
  let calls = 0;
  const t = throttle(cache, 2, 1000, function tick() {
    return ++calls;
  }, {
    clock: () => now,
    sleep: (ms) => {
      sleeps.push(ms);
      now += ms;
      return Promise.resolve();
    },
  });
  await t();
  await t();
  assert.deepEqual(sleeps, [], "two calls per second pass at once");
  await t();
  assert.equal(sleeps.length, 1);
  assert.ok(Math.abs(sleeps[0]! - 500) < 1, `the third waits for a token: ${sleeps[0]} ms`);
});

test("throttle starts a full bucket again when its state expired (ttl) or was removed", async () => {
  using cache = tempCache({ evictionPolicy: "none" });
  let calls = 0;
  const waits: number[] = [];
  const once = throttle(cache, 1, 3_600_000, function hourly() {
    return ++calls;
  }, {
    sleep: (ms) => {
      waits.push(ms);
      cache.delete("hourly"); // the state goes away while we wait
      return Promise.resolve();
    },
  });
  assert.equal(await once(), 1);
  assert.equal(await once(), 2, "after a wait, a bucket recreated full lets the call through");
  assert.equal(waits.length, 1);
  assert.ok(waits[0]! > 3_000_000, `it asked to wait about an hour: ${waits[0]} ms`);
});

test("throttle: a clock stepped back an hour, or two processes' clocks 10 s apart, never make a call wait more than the period", async () => {
  using cache = tempCache({ evictionPolicy: "none" });
  let now = 10_000_000;
  const sleeps: number[] = [];
  const make = (skew: number) =>
    throttle(cache, 2, 1000, function shared() {
      return 1;
    }, { clock: () => now + skew, sleep: (ms) => (sleeps.push(ms), now += ms, Promise.resolve()) });
  const here = make(0);
  await here();
  await here();
  now -= 3_600_000; // the clock steps back an hour
  await here();
  await here();
  assert.ok(sleeps.every((ms) => ms <= 1000), `waits: ${sleeps.join(", ")} ms`);
  sleeps.length = 0;
  const ahead = make(10_000); // another process, its clock 10 s ahead
  for (let i = 0; i < 10; i++) await (i % 2 ? ahead : here)();
  assert.ok(sleeps.every((ms) => ms <= 1000), `waits: ${sleeps.join(", ")} ms`);
  assert.ok(sleeps.reduce((x, y) => x + y, 0) <= 10 * 1000);
  // A lagging clock within the period never mints tokens ahead of the rate.
  sleeps.length = 0;
  cache.delete("shared");
  const lagging = make(-300);
  const fresh = make(0);
  let calls = 0;
  for (let i = 0; i < 20; i++) calls += await (i % 2 ? lagging : fresh)();
  const spent = sleeps.reduce((x, y) => x + y, 0);
  assert.ok(calls <= 2 + (2 * spent) / 1000 + 1, `${calls} calls in ${spent} ms`);
  assert.throws(() => throttle(cache, 1, 1000, function t() {}, { ttl: -1 }), /"ttl" must be a positive number/);
});

for (const [kind, open] of recipeCaches) {
  test(`throttle works on a ${kind}`, async () => {
    using dir = tempDir();
    let now = Date.now();
    using cache = open(dir.path);
    const sleeps: number[] = [];
    const tick = throttle(cache, 1, 1000, function tick() {
      return "ticked";
    }, { clock: () => now, sleep: (ms) => (sleeps.push(ms), now += ms, Promise.resolve()) });
    assert.equal(await tick(), "ticked");
    assert.equal(await tick(), "ticked");
    assert.equal(sleeps.length, 1, "the second call waited for a token");
  });
}

test("throttle takes its period in milliseconds and refuses one under 10 ms, most likely seconds written for 0.1.x", () => {
  using cache = tempCache({ evictionPolicy: "none" });
  for (const period of [1, 2, 5, 9.5]) {
    assert.throws(
      () => throttle(cache, 2, period, function perSecond() {}),
      (e: Error) => e instanceof RangeError && e.message.includes(`"period" is in milliseconds`) && e.message.includes(`pass ${period * 1000}`),
    );
  }
  assert.equal(typeof throttle(cache, 2, 10, function fast() {}), "function");
});
