// The Keyv storage adapter under Keyv 6 and Keyv 5, on every runtime.
import { test } from "node:test";
import assert from "node:assert/strict";
import Keyv6 from "keyv6";
import Keyv5 from "keyv";
import { DiskCacheError } from "../mod.ts";
import { diskcacheDriver } from "../unstorage.ts";
import { KeyvDiskCache } from "../keyv.ts";
import { bytesRead, tempDir, valueFiles } from "./_helpers.ts";

// deno-lint-ignore no-explicit-any
type AnyKeyv = any;
const versions: [string, (opts: Record<string, unknown>) => AnyKeyv, Record<string, unknown>][] = [
  ["Keyv 6", (o) => new (Keyv6 as AnyKeyv)(o), { serialization: false }],
  ["Keyv 5", (o) => new (Keyv5 as AnyKeyv)(o), { serialize: undefined, deserialize: undefined }],
];

for (const [name, make, rawValues] of versions) {
  test(`KeyvDiskCache under ${name}: get/set/delete/has, many, ttl, iterator`, async () => {
    using dir = tempDir();
    let offset = 0; // the cache's clock runs ahead of the wall clock when the test steps it
    const store = new KeyvDiskCache(dir.path, { clock: () => Date.now() + offset });
    const keyv = make({ store });
    assert.equal(await keyv.set("a", { deep: [1, 2] }), true);
    assert.deepEqual(await keyv.get("a"), { deep: [1, 2] });
    assert.equal(await keyv.has("a"), true);
    await keyv.set("b", 2);
    assert.deepEqual(await keyv.get(["a", "b", "nope"]), [{ deep: [1, 2] }, 2, undefined]);
    assert.equal(await keyv.delete("a"), true);
    assert.equal(await keyv.get("a"), undefined);
    // Keyv 6 answers deleteMany per key; Keyv 5 passes the store's answer on,
    // read as one boolean (false when nothing was removed).
    await keyv.set("m1", 1);
    const none = await keyv.deleteMany(["nope1", "nope2"]);
    const some = await keyv.deleteMany(["m1", "nope1"]);
    if (name === "Keyv 5") assert.ok(none === false && some);
    else assert.deepEqual([none, some], [[false, false], [true, false]]);
    assert.equal(await keyv.get("m1"), undefined);
    await keyv.set("short", "lived", 30);
    offset += 80; // past the ttl on the cache's clock
    assert.equal(await keyv.get("short"), undefined, "expired");
    const seen: [unknown, unknown][] = [];
    for await (const [k, v] of keyv.iterator()) seen.push([k, v]);
    assert.deepEqual(seen.filter(([k]) => String(k).endsWith("b")), [["b", 2]]);
    await keyv.clear();
    assert.equal(await keyv.get("b"), undefined);
    await keyv.disconnect();
  });

  test(`KeyvDiskCache under ${name}: clear() is scoped to the namespace, and the cache culls expired entries itself`, async () => {
    using dir = tempDir();
    let offset = 0;
    const clock = () => Date.now() + offset;
    const store1 = new KeyvDiskCache(dir.path, { clock }), store2 = new KeyvDiskCache(dir.path, { clock });
    const users = make({ store: store1, namespace: "users" });
    const posts = make({ store: store2, namespace: "posts" });
    await users.set("1", "ada");
    await posts.set("1", "hello");
    assert.equal(await users.get("1"), "ada");
    assert.equal(await posts.get("1"), "hello");
    await users.clear();
    assert.equal(await users.get("1"), undefined);
    assert.equal(await posts.get("1"), "hello", "another namespace is untouched");
    await posts.set("gone", "soon", 10);
    offset += 30; // past the ttl on the cache's clock
    assert.ok(store2.cache.expire() >= 1, "expired entries are reclaimed by the cache");
    await users.disconnect();
    await posts.disconnect();
  });

  test(`KeyvDiskCache under ${name}: writes reclaim expired entries and keep the size limit, with no expire() call`, async () => {
    using dir = tempDir();
    // 4 KiB values go to files; 100 of them would be 400 KiB against a 160 KiB limit.
    let offset = 0;
    const store = new KeyvDiskCache(dir.path, { sizeLimit: 160_000, minFileSize: 1024, clock: () => Date.now() + offset });
    const keyv = make({ store, ...rawValues });
    for (let i = 0; i < 20; i++) await keyv.set(`short${i}`, new Uint8Array(10).fill(i), 10);
    offset += 40; // past their ttl on the cache's clock
    for (let i = 0; i < 100; i++) await keyv.set(`big${i}`, new Uint8Array(4096).fill(i));
    const rows = [...store.cache.keys()].map((k) => (k as string[])[1]!);
    // length counts expired rows until they are culled; keys() lists live ones.
    assert.equal(store.cache.length, rows.length, "expired entries were culled by later writes");
    assert.ok(store.cache.volume() <= 160_000 + 4096 * 10, `volume ${store.cache.volume()} stays near the limit`);
    assert.ok(rows.length < 100, "older entries were evicted");
    assert.ok(rows.some((k) => k.endsWith("big99")), "the newest entry is kept");
    const files = valueFiles(dir.path);
    assert.equal(files.length, rows.length, "evicted entries' files are gone too");
    await keyv.disconnect();
  });

  test(`KeyvDiskCache under ${name}: with serialization off, bytes reach the cache as bytes (a value file, not base64)`, async () => {
    using dir = tempDir();
    const store = new KeyvDiskCache(dir.path, { minFileSize: 1024 });
    const keyv = make({ store, ...rawValues });
    const bytes = new Uint8Array(5000).fill(7);
    await keyv.set("blob", bytes);
    const back = await keyv.get("blob");
    assert.deepEqual(new Uint8Array(back), bytes);
    const files = valueFiles(dir.path);
    assert.equal(files.length, 1, "stored in a value file");
    await keyv.disconnect();
  });

  test(`KeyvDiskCache under ${name}: errors reach Keyv's error event`, async () => {
    using dir = tempDir();
    const store = new KeyvDiskCache(dir.path);
    const keyv = make({ store });
    const errors: unknown[] = [];
    keyv.on("error", (e: unknown) => errors.push(e));
    store.cache.close();
    assert.equal(await keyv.get("x"), undefined);
    assert.ok(errors.length >= 1, "the closed-cache error was emitted");
  });
}

for (const [name, make] of versions) {
  test(`KeyvDiskCache under ${name}: a ttl of 1e12 ms or more is a ttl, not an absolute time (set and setMany)`, async () => {
    using dir = tempDir();
    let offset = 0;
    const store = new KeyvDiskCache(dir.path, { clock: () => Date.now() + offset });
    const keyv = make({ store });
    if (name === "Keyv 6") assert.equal(keyv.store, store, "Keyv 6 uses the adapter directly (no bridge): it declares expires");
    const before = Date.now();
    assert.equal(await keyv.set("far", "v", 1.5e12), true);
    assert.equal(await keyv.get("far"), "v", "not expired at once");
    await keyv.setMany([{ key: "far2", value: "w", ttl: 1.5e12 }, { key: "near", value: "x", ttl: 60_000 }, { key: "never", value: "y" }]);
    assert.deepEqual(await keyv.get(["far2", "near", "never"]), ["w", "x", "y"]);
    const stored = (key: string) => [...store.cache.keys()].find((k) => String((k as string[])[1]).endsWith(key)) as [string, string];
    for (const [key, ttl] of [["far", 1.5e12], ["far2", 1.5e12], ["near", 60_000]] as const) {
      const expireTime = store.cache.getEntry(stored(key))!.expireTime!;
      assert.ok(expireTime >= before + ttl - 1000 && expireTime <= Date.now() + ttl + 1000, `${key}: expires ${expireTime - before} ms after set`);
    }
    assert.equal(store.cache.getEntry(stored("never"))!.expireTime, null);
    await keyv.set("short", "gone", 30);
    offset += 80; // past the ttl on the cache's clock
    assert.equal(await keyv.get("short"), undefined, "a short ttl still expires");
    await keyv.disconnect();
  });
}

test("KeyvDiskCache setMany/deleteMany/hasMany run in one transaction each", async () => {
  using dir = tempDir();
  const store = new KeyvDiskCache(dir.path);
  assert.deepEqual(await store.setMany([{ key: "a", value: 1 }, { key: "b", value: 2, ttl: 60_000 }]), [true, true]);
  assert.deepEqual(await store.setMany([{ key: "u", value: undefined }]), [false], "undefined is not stored, as Keyv's own stores do");
  assert.equal(await store.has("u"), false);
  assert.deepEqual(await store.hasMany(["a", "b", "c"]), [true, true, false]);
  assert.deepEqual(await store.getMany(["a", "c"]), [1, undefined]);
  assert.deepEqual(await store.deleteMany(["a", "c"]), [true, false]);
  assert.equal(await store.deleteMany(["a", "c"]), false, "none removed: false, which Keyv 5 and 6 both read right");
  await store.set("rel", 1, 60_000);
  const rel = store.cache.getEntry(["\u0000keyv", "rel"]);
  assert.ok(rel && rel.expireTime! > Date.now() + 50_000 && rel.expireTime! < Date.now() + 70_000, "a relative ttl, as Keyv 5 passes");
  assert.equal(store.capabilities.expires, true); // what Keyv 6 reads: from now on set() takes absolute times
  await store.set("abs", 1, Date.now() + 60_000);
  const entry = store.cache.getEntry(["\u0000keyv", "abs"]);
  assert.ok(entry && entry.expireTime! > Date.now() + 50_000 && entry.expireTime! < Date.now() + 70_000, "an absolute expiry is understood");
  await store.disconnect();
});

test("KeyvDiskCache: set() of undefined stores nothing; listeners can be removed; emit() tells whether anyone listened", async () => {
  using dir = tempDir();
  const store = new KeyvDiskCache(dir.path);
  assert.equal(await store.set("k", undefined), false);
  assert.equal(await store.has("k"), false);
  const seen: unknown[] = [];
  const listener = (e: unknown) => seen.push(e);
  assert.equal(store.emit("error", "nobody"), false);
  store.on("error", listener);
  assert.equal(store.emit("error", "first"), true);
  store.off("error", listener);
  store.off("other", listener);
  assert.equal(store.emit("error", "second"), false);
  assert.deepEqual(seen, ["first"]);
  await store.disconnect();
  // With no "error" listener a failure rejects the promise; it never throws synchronously.
  let promise: Promise<unknown> | undefined;
  assert.doesNotThrow(() => (promise = store.get("k")));
  await assert.rejects(promise!, /closed/);
});

test("KeyvDiskCache: setting no namespace on an adapter that serves one is refused, naming both", () => {
  using dir = tempDir();
  const store = new KeyvDiskCache(dir.path);
  store.namespace = "users";
  assert.throws(
    () => void (store.namespace = undefined),
    (e: Error) => e instanceof TypeError && /^Cannot use no namespace: this KeyvDiskCache already serves namespace "users"/.test(e.message),
  );
  assert.equal(store.namespace, "users");
  store.cache.close();
});

test("KeyvDiskCache without an error listener throws the cache's error to its caller", async () => {
  using dir = tempDir();
  const store = new KeyvDiskCache(dir.path);
  store.cache.close();
  await assert.rejects(async () => await store.get("x"), (e: Error) => e instanceof DiskCacheError && /closed/.test(e.message));
});

for (const [name, make] of versions) {
  test(`KeyvDiskCache under ${name}: one adapter serves one namespace; a second Keyv with another namespace is refused, so users.clear() never wipes orders`, async () => {
    using dir = tempDir();
    const store = new KeyvDiskCache(dir.path);
    const users = make({ store, namespace: "users" });
    assert.throws(() => make({ store, namespace: "orders" }), (e: Error) => {
      assert.ok(e instanceof TypeError);
      assert.match(e.message, /namespace "orders".*already serves namespace "users".*give each Keyv its own KeyvDiskCache/);
      return true;
    });
    assert.equal(store.namespace, "users", "the refused namespace was not taken");
    make({ store, namespace: "users" }); // the same namespace again is no conflict
    const orders = make({ store: new KeyvDiskCache(dir.path), namespace: "orders" }); // the way to share a directory
    await users.set("1", "ada");
    await orders.set("1", "book");
    await users.clear();
    assert.equal(await users.get("1"), undefined);
    assert.equal(await orders.get("1"), "book", "another namespace is untouched");
    await users.disconnect();
    await orders.disconnect();
  });

  test(`KeyvDiskCache under ${name}: clear() removes only what Keyv stored, not a DiskCache item tagged with the namespace's name nor an unstorage item`, async () => {
    using dir = tempDir();
    const store = new KeyvDiskCache(dir.path);
    const users = make({ store, namespace: "users" });
    const unstorage = diskcacheDriver({ base: dir.path });
    await users.set("1", "ada");
    store.cache.set("mine", 1, { tag: "users" });
    unstorage.setItem("users:1", "from unstorage");
    await users.clear();
    assert.equal(await users.get("1"), undefined);
    assert.equal(store.cache.get("mine"), 1, 'a DiskCache item tagged "users" stays');
    assert.equal(unstorage.getItem("users:1"), "from unstorage");
    await users.set("2", "bob");
    unstorage.clear("");
    assert.equal(await users.get("2"), "bob", "unstorage's clear() leaves Keyv's items");
    unstorage.dispose();
    await users.disconnect();
  });

  test(`KeyvDiskCache under ${name}: iterator() reads the values of its own namespace only`, async (t) => {
    if (bytesRead() === undefined) return t.skip("no /proc/self/io here");
    using dir = tempDir();
    const MiB = 1 << 20;
    const big = make({ store: new KeyvDiskCache(dir.path), namespace: "big" });
    for (let i = 0; i < 16; i++) await big.set(`v${i}`, "x".repeat(MiB));
    const small = make({ store: new KeyvDiskCache(dir.path), namespace: "small" });
    await small.set("one", "tiny");
    const before = bytesRead()!;
    const seen: [unknown, unknown][] = [];
    for await (const [k, v] of small.iterator()) seen.push([k, v]);
    const read = bytesRead()! - before;
    assert.deepEqual(seen, [["one", "tiny"]]);
    assert.ok(read < 2 * MiB, `listing one small item read ${read} bytes`);
    let count = 0;
    for await (const [, v] of big.iterator()) count += v.length === MiB ? 1 : 0;
    assert.equal(count, 16);
    await big.disconnect();
    await small.disconnect();
  });
}
