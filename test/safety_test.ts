// Safe defaults and faults: owner-only files, symlinks never followed,
// a full disk.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { DiskCache, DiskCacheError } from "../mod.ts";
import { rawOpen, tempDir, unmount, valueFiles } from "./_helpers.ts";
import { smallDisk } from "./_temp.ts";

const umask = () => (process as { umask?: () => number }).umask?.() ?? 0o022;
const mode = (path: string) => statSync(path).mode & 0o777;

test("DiskCache creates its directories and files owner-only by default, and as configured", () => {
  using dir = tempDir();
  const own = join(dir.path, "own", "cache");
  {
    using cache = new DiskCache(own, { minFileSize: 10 });
    cache.set("f", "a value in a file");
    const [file] = valueFiles(own);
    assert.equal(mode(own), 0o700 & ~umask());
    assert.equal(mode(join(own, "cache.db")), 0o600 & ~umask());
    assert.equal(mode(join(own, "cache.db-wal")), 0o600 & ~umask());
    assert.equal(mode(join(own, file!)), 0o600 & ~umask());
    assert.equal(mode(join(own, file!.slice(0, 5))), 0o700 & ~umask());
  }
  const shared = join(dir.path, "shared");
  using cache = new DiskCache(shared, { minFileSize: 10, dirMode: 0o755, fileMode: 0o644 });
  cache.set("f", "a value in a file");
  assert.equal(mode(shared), 0o755 & ~umask());
  assert.equal(mode(join(shared, "cache.db")), 0o644 & ~umask());
  assert.equal(mode(join(shared, valueFiles(shared)[0]!)), 0o644 & ~umask());
  assert.throws(() => new DiskCache(join(dir.path, "x"), { fileMode: 0o10000 }), RangeError);
});

test("DiskCache never follows a symlink planted in place of a value file or its directory", () => {
  using dir = tempDir();
  const outside = join(dir.path, "outside");
  mkdirSync(outside);
  const secret = join(outside, "secret");
  writeFileSync(secret, "s".repeat(1000));
  using cache = new DiskCache(join(dir.path, "cache"), { minFileSize: 10 });
  cache.set("a", "x".repeat(1000));
  cache.set("b", "y".repeat(1000));
  const [fa, fb] = ["a", "b"].map((k) =>
    valueFiles(cache.directory).find((f) => readFileSync(join(cache.directory, f), "utf8")[0] === (k === "a" ? "x" : "y"))!
  );
  // a: the value file itself becomes a symlink to a file of the same size outside.
  unlinkSync(join(cache.directory, fa!));
  symlinkSync(secret, join(cache.directory, fa!));
  assert.equal(cache.get("a"), undefined, "a symlinked value file reads as a miss");
  assert.equal(cache.getStream("a"), undefined);
  cache.delete("a");
  assert.equal(readFileSync(secret, "utf8"), "s".repeat(1000), "the target is untouched");
  // b: its top directory becomes a symlink to a directory outside.
  const top = fb!.slice(0, 2);
  if (fa!.slice(0, 2) !== top) {
    const moved = join(outside, "moved");
    renameSync(join(cache.directory, top), moved);
    symlinkSync(moved, join(cache.directory, top));
    assert.equal(cache.get("b"), undefined);
    cache.delete("b");
    assert.ok(existsSync(join(moved, fb!.slice(3))), "the file behind the symlinked directory is not removed");
  }
});

test("DiskCache on a full disk: a clear error, nothing corrupted, reads work, and writes work again once space is freed", async (t) => {
  using dir = tempDir();
  const mnt = smallDisk(dir.path);
  if (typeof mnt !== "string") return t.skip(mnt.skip);
  let cache: DiskCache | undefined;
  try {
    const filler = join(mnt, "filler");
    writeFileSync(filler, new Uint8Array(600_000)); // the space "freed" later, by someone else
    cache = new DiskCache(join(mnt, "cache"), { minFileSize: 1000, sizeLimit: 2 ** 40 });
    cache.set("keep", "kept value");
    let stored = 0, error: unknown;
    for (let i = 0; i < 1000 && error === undefined; i++) {
      try {
        cache.set(`file-${i}`, new Uint8Array(100_000).fill(i & 0xff));
        stored++;
      } catch (e) {
        error = e;
      }
    }
    assert.ok(error instanceof DiskCacheError, `expected DiskCacheError, got ${error}`);
    assert.match((error as Error).message, /disk .* is full/);
    assert.ok(stored > 5);
    let inlineError: unknown;
    for (let i = 0; i < 100_000 && inlineError === undefined; i++) {
      try {
        cache.set(`small-${i}`, "z".repeat(900));
      } catch (e) {
        inlineError = e;
      }
    }
    assert.ok(inlineError instanceof DiskCacheError && /full/.test((inlineError as Error).message), `inline: ${inlineError}`);
    // A file copied in with setFile: the same clear error, and no partial value file left.
    const source = join(dir.path, "source");
    writeFileSync(source, new Uint8Array(500_000).fill(9));
    const before = valueFiles(join(mnt, "cache")).length;
    await assert.rejects(cache.setFile("copied", source), (e: Error) => e instanceof DiskCacheError && /full/.test(e.message));
    assert.equal(valueFiles(join(mnt, "cache")).length, before);
    assert.equal(cache.get("copied"), undefined);
    // A stream: the same clear error from the write that finds no room, and no partial value file left.
    await assert.rejects(
      cache.setStream("streamed", new Blob([new Uint8Array(500_000).fill(7)]).stream()),
      (e: Error) => e instanceof DiskCacheError && /full/.test(e.message),
    );
    assert.equal(valueFiles(join(mnt, "cache")).length, before);
    assert.equal(cache.get("streamed"), undefined);
    assert.equal(cache.get("keep"), "kept value", "reads work on a full disk");
    assert.deepEqual(cache.get("file-0"), new Uint8Array(100_000).fill(0));
    assert.throws(() => cache!.delete("keep"), /full/, "even a delete needs room in the WAL");
    unlinkSync(filler);
    for (let i = 0; i < stored; i++) cache.delete(`file-${i}`);
    assert.equal(cache.set("after", new Uint8Array(50_000)), true, "writes work again once space is freed");
    assert.equal(cache.get("keep"), "kept value");
    assert.deepEqual(cache.check().filter((w) => w.kind === "integrity"), []);
  } finally {
    cache?.close();
    unmount(mnt);
  }
});

test("DiskCache on a disk its own value files filled: delete, cull and clear still free space", (t) => {
  using dir = tempDir();
  const mnt = smallDisk(dir.path);
  if (typeof mnt !== "string") return t.skip(mnt.skip);
  let cache: DiskCache | undefined;
  try {
    // cullLimit 0: nothing is culled on write, so the cache outgrows its sizeLimit and fills the disk.
    cache = new DiskCache(join(mnt, "cache"), { minFileSize: 1000, sizeLimit: 1_000_000, cullLimit: 0 });
    let next = 0;
    const fill = () => {
      for (;;) {
        try {
          cache!.set(`file-${next}`, new Uint8Array(100_000).fill(next & 0xff));
          next++;
        } catch (e) {
          assert.ok(e instanceof DiskCacheError && /full/.test(e.message), `${e}`);
          break;
        }
      }
      // Inline values fill what is left, up to the database's last page.
      for (let i = 0; i < 100_000; i++) {
        try {
          cache!.set(`small-${next}-${i}`, "z".repeat(900));
        } catch {
          break;
        }
      }
    };
    fill();
    assert.ok(next > 10, `${next} file values stored`);
    assert.equal(cache.delete("file-0"), true, "a delete frees the space its own value file held");
    assert.equal(cache.get("file-0"), undefined);
    const kept = cache.get("file-1");
    assert.ok(kept instanceof Uint8Array && kept.length === 100_000 && kept.every((b) => b === 1), "other items are untouched");
    fill();
    const before = cache.length;
    assert.ok(cache.cull() > 0, "cull() works on a full disk");
    assert.ok(cache.length < before);
    assert.ok(cache.volume() <= 1_000_000, `volume ${cache.volume()}`);
    fill();
    assert.ok(cache.clear() > 0, "clear() works on a full disk");
    assert.equal(cache.length, 0);
    assert.deepEqual(valueFiles(join(mnt, "cache")), []);
    assert.equal(cache.set("after", new Uint8Array(50_000)), true);
    assert.deepEqual(cache.check(), []);
  } finally {
    cache?.close();
    unmount(mnt);
  }
});

test("DiskCache never opens or removes a file that a row names outside the value-file layout; a vanished value directory is a miss", () => {
  using dir = tempDir();
  const secret = join(dir.path, "secret");
  writeFileSync(secret, "s".repeat(1000));
  using cache = new DiskCache(join(dir.path, "cache"), { minFileSize: 10 });
  cache.set("a", "x".repeat(1000));
  cache.set("b", "y".repeat(1000));
  const db = rawOpen(join(cache.directory, "cache.db"));
  db.prepare("UPDATE Cache SET filename = ? WHERE key = 'a'").run("../secret");
  const fb = (db.prepare("SELECT filename FROM Cache WHERE key = 'b'").get() as { filename: string }).filename;
  db.close();
  assert.equal(cache.get("a"), undefined, "a name outside xx/yy/<hex>.val reads as a miss");
  assert.equal(cache.getEntry("a"), undefined);
  assert.equal(cache.getStream("a"), undefined);
  cache.delete("a");
  assert.equal(readFileSync(secret, "utf8"), "s".repeat(1000), "and is never removed");
  rmSync(join(cache.directory, fb.slice(0, 2)), { recursive: true });
  assert.equal(cache.getEntry("b"), undefined, "its directory is gone: a miss, not an error");
  assert.equal(cache.get("b"), undefined);
});

test("DiskCache.set() of a value kept in a file passes on a file-system error creating it, and stores nothing", () => {
  using dir = tempDir();
  using cache = new DiskCache(join(dir.path, "cache"), { minFileSize: 10 });
  cache.set("k", "before");
  // Every possible first-level value directory name is taken by a plain file.
  for (let i = 0; i < 256; i++) writeFileSync(join(cache.directory, i.toString(16).padStart(2, "0")), "");
  assert.throws(() => cache.set("k", "x".repeat(100)), (e: NodeJS.ErrnoException) => e.code === "ENOTDIR" || e.code === "EEXIST");
  assert.equal(cache.get("k"), "before");
  assert.equal(cache.set("k", "short"), true, "values kept inline still work");
});

const linked = (e: Error) => e instanceof DiskCacheError && /symbolic link/.test(e.message) && /never follows/.test(e.message);

test("DiskCache never writes a value file through a symlinked value directory (xx/): it refuses, and nothing lands outside", async () => {
  using dir = tempDir();
  const outside = join(dir.path, "outside");
  mkdirSync(outside);
  using cache = new DiskCache(join(dir.path, "cache"), { minFileSize: 10 });
  cache.set("k", "before");
  // Every possible first-level value directory is a symlink to a directory outside the cache.
  for (let i = 0; i < 256; i++) symlinkSync(outside, join(cache.directory, i.toString(16).padStart(2, "0")));
  assert.throws(() => cache.set("k", "x".repeat(100)), linked);
  await assert.rejects(cache.setStream("s", new Blob(["x".repeat(100)]).stream()), linked);
  assert.deepEqual(readdirSync(outside), [], "nothing was created outside the cache");
  assert.equal(cache.get("k"), "before");
  assert.equal(cache.get("s"), undefined);
  assert.equal(cache.set("k", "short"), true, "values kept inline still work");
});

test("DiskCache never writes a value file through a symlinked value directory (xx/yy/): it refuses, and nothing lands outside", () => {
  // 65,536 links: on tmpfs (/dev/shm) where there is one, ten times faster than on disk.
  const base = existsSync("/dev/shm") ? mkdtempSync("/dev/shm/diskcache-test-") : mkdtempSync(join(tmpdir(), "diskcache-test-"));
  try {
    const outside = join(base, "outside");
    using cache = new DiskCache(join(base, "cache"), { minFileSize: 10 });
    // Every possible second-level value directory xx/yy is a symlink to outside/yy.
    const hex = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
    for (const yy of hex) mkdirSync(join(outside, yy), { recursive: true });
    for (const xx of hex) {
      mkdirSync(join(cache.directory, xx));
      for (const yy of hex) symlinkSync(join(outside, yy), join(cache.directory, xx, yy));
    }
    assert.throws(() => cache.set("k", "x".repeat(100)), linked);
    assert.deepEqual(hex.flatMap((yy) => readdirSync(join(outside, yy))), [], "nothing was created outside the cache");
    assert.equal(cache.get("k"), undefined);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test("DiskCache reads a FIFO (or any non-regular file) in place of a value file as a miss at once, never blocking on it", async () => {
  using dir = tempDir();
  using cache = new DiskCache(join(dir.path, "cache"), { minFileSize: 10 });
  cache.set("fifo", "x".repeat(1000));
  cache.set("dir", "y".repeat(1000));
  const fifo = join(cache.directory, valueFiles(cache.directory).find((f) => readFileSync(join(cache.directory, f), "utf8")[0] === "x")!);
  const directory = join(cache.directory, valueFiles(cache.directory).find((f) => readFileSync(join(cache.directory, f), "utf8")[0] === "y")!);
  unlinkSync(fifo);
  const made = spawnSync("mkfifo", [fifo]);
  assert.equal(made.status, 0, `mkfifo: ${made.stderr}`);
  unlinkSync(directory);
  mkdirSync(directory);
  for (const key of ["fifo", "dir"]) {
    // Opening a FIFO no process writes to used to block this thread for good.
    assert.equal(cache.get(key), undefined, key);
    assert.equal(cache.getEntry(key), undefined, key);
    assert.equal(cache.getStream(key), undefined, key);
    assert.equal(await cache.getFile(key, join(dir.path, "out")), false, key);
  }
  assert.ok(statSync(fifo).isFIFO(), "left in place");
});
