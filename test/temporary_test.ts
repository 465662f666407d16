// Caches opened without a directory clean up after themselves, and
// userCacheDirectory() gives each platform's per-user place for named ones.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { Deque, DiskCache, DiskCacheError, FanoutCache, Index, userCacheDirectory } from "../mod.ts";
import { smallDisk, tempDir, unmount } from "./_temp.ts";

test("a cache opened without a directory removes its temporary directory at close (DiskCache, FanoutCache, Deque, Index)", () => {
  const opened = [
    () => new DiskCache(),
    () => new FanoutCache(undefined, { shards: 2 }),
    () => new Deque(),
    () => new Index(),
  ];
  for (const open of opened) {
    const cache = open();
    const directory = cache.directory;
    assert.ok(directory.startsWith(tmpdir()), directory);
    if (cache instanceof Deque) cache.push("x".repeat(100_000));
    else cache.set("big", "x".repeat(100_000)); // a value file
    assert.ok(existsSync(directory));
    cache.close();
    assert.equal(existsSync(directory), false, `${cache.constructor.name}: ${directory} removed at close`);
    cache.close(); // twice is fine
  }
});

test("a cache opened without a directory that fails to open removes its temporary directory (DiskCache, Deque, Index, FanoutCache)", (t) => {
  using dir = tempDir();
  const mnt = smallDisk(dir.path);
  if (typeof mnt !== "string") return t.skip(mnt.skip);
  const before = process.env.TMPDIR;
  try {
    try {
      writeFileSync(join(mnt, "fill"), new Uint8Array(4 * 2 ** 20)); // more than the disk holds: it is full
    } catch { /* ENOSPC, as meant */ }
    process.env.TMPDIR = mnt; // where tmpdir(), and so each temporary cache, goes
    for (const open of [() => new DiskCache(), () => new Deque(), () => new Index(), () => new FanoutCache(undefined, { shards: 2 })]) {
      assert.throws(open, DiskCacheError);
      assert.deepEqual(readdirSync(mnt), ["fill"], `${open}: nothing left of its temporary directory`);
    }
  } finally {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
    unmount(mnt);
  }
});

test("a cache opened with a directory keeps it at close", () => {
  const made = new DiskCache();
  using named = new DiskCache(made.directory);
  named.set("k", 1);
  named.close();
  assert.ok(existsSync(made.directory), "a named open never removes the directory");
  made.close();
  assert.equal(existsSync(made.directory), false);
});

test("userCacheDirectory(name) is the platform's per-user cache directory", () => {
  const linux = { platform: "linux", home: "/home/ada" };
  assert.equal(userCacheDirectory("my-app", { ...linux, env: {} }), "/home/ada/.cache/my-app");
  assert.equal(userCacheDirectory("my-app", { ...linux, env: { XDG_CACHE_HOME: "/var/xdg" } }), "/var/xdg/my-app");
  assert.equal(
    userCacheDirectory("my-app", { ...linux, env: { XDG_CACHE_HOME: "relative/path" } }),
    "/home/ada/.cache/my-app",
    "XDG: a relative path is ignored",
  );
  assert.equal(userCacheDirectory("my-app", { platform: "freebsd", env: { HOME: "/usr/home/ada" } }), "/usr/home/ada/.cache/my-app");
  assert.equal(userCacheDirectory("my-app", { platform: "darwin", env: { HOME: "/Users/ada", XDG_CACHE_HOME: "/x" } }), "/Users/ada/Library/Caches/my-app");
  if (process.platform !== "win32") {
    // Windows paths are only absolute to the Windows path module: checked there.
    assert.match(userCacheDirectory("my-app", { platform: "win32", env: {}, home: "/c/Users/ada" }), /\/c\/Users\/ada\/AppData\/Local\/my-app$/);
  }
  const own = userCacheDirectory("my-app");
  assert.ok(own.endsWith("my-app") && own.length > "my-app".length, own);
  for (const bad of ["", ".", "..", "a/b", "a\\b", 7]) {
    assert.throws(() => userCacheDirectory(bad as string), (e: Error) => e instanceof TypeError && /"name" must be one path segment/.test(e.message));
  }
  assert.throws(() => userCacheDirectory("my-app", { platform: "linux", env: {}, home: "" }), /no home directory \(HOME is unset\); pass a directory/);
  assert.throws(() => userCacheDirectory("my-app", { platform: "win32", env: {}, home: "" }), /no home directory \(USERPROFILE is unset\); pass a directory/);
  assert.equal(userCacheDirectory("my-app", { platform: "linux", env: {} }), join(homedir(), ".cache", "my-app"), "no HOME: the account's home");
  if (process.platform !== "win32") {
    assert.match(userCacheDirectory("my-app", { platform: "win32", env: { USERPROFILE: "/c/Users/bob" } }), /\/c\/Users\/bob\/AppData\/Local\/my-app$/);
  }
});
