// Temporary directories and caches for tests, and what a test reads back
// from them: each removes what it made on dispose.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DiskCache, type DiskCacheOptions } from "../mod.ts";

/** A fresh temporary directory, removed on dispose. */
export function tempDir(): { path: string; [Symbol.dispose](): void } {
  const path = mkdtempSync(join(tmpdir(), "diskcache-test-"));
  return { path, [Symbol.dispose]: () => rmSync(path, { recursive: true, force: true }) };
}

/**
 * Unmounts a test mount, lazily if a handle still pins it, so that a failed or
 * interrupted test never leaves a mount behind under /tmp.
 */
export function unmount(path: string): void {
  if (spawnSync("umount", [path]).status === 0) return;
  const lazy = spawnSync("umount", ["-l", path]);
  if (lazy.status !== 0) throw new Error(`could not unmount ${path}: ${lazy.stderr}`);
}

/** A 3 MiB tmpfs mounted under `parent` (unmount it when done), or why there is none. */
export function smallDisk(parent: string): string | { skip: string } {
  const mnt = join(parent, "small");
  mkdirSync(mnt);
  const mount = spawnSync("mount", ["-t", "tmpfs", "-o", "size=3m", "tmpfs", mnt]);
  return mount.status === 0 ? mnt : { skip: `cannot mount a small tmpfs here (needs root): ${mount.stderr}` };
}

/** A DiskCache in its own temporary directory, removed (with the directory) on dispose. */
export class TempCache extends DiskCache {
  constructor(options: DiskCacheOptions = {}) {
    super(mkdtempSync(join(tmpdir(), "diskcache-test-")), options);
  }
  override [Symbol.dispose](): void {
    this.close();
    rmSync(this.directory, { recursive: true, force: true });
  }
}

/** A cache in a fresh temporary directory (see {@linkcode TempCache}). */
export function tempCache(options: DiskCacheOptions = {}): TempCache {
  return new TempCache(options);
}

/**
 * The value files under a cache directory: paths relative to it, with `/`
 * separators, sorted.
 */
export function valueFiles(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith(".val")).map((f) => f.split("\\").join("/")).sort();
}

/** Bytes of every file under `dir` (cache.db, its -wal and -shm, value files in their subfolders): what `du` counts, give or take blocks. */
export function directoryBytes(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) total += statSync(join(e.parentPath, e.name)).size;
  }
  return total;
}
