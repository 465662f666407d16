/**
 * What an open cache still holds in memory (buffered hits and misses, LRU/LFU
 * access times) is written at the process's normal exit, on every runtime:
 * Node, Bun and Deno all emit `node:process`'s `exit` event when the program
 * ends or calls `process.exit()`, and its listeners may do synchronous work,
 * which SQLite's is. Caches are held weakly: one dropped without `close()`
 * is not kept alive by this. The temporary directory of a cache opened
 * without one is removed then too, even when the cache itself was dropped.
 *
 * @module
 */

// The global process (Node, Bun and Deno 2 all have it), not `import ... from
// "node:process"`: that import makes Node build a module facade of the whole
// process object, which loads its lazy parts (stdio streams, the report API):
// about 7 ms of every cold start on Node (issue 25).
const nodeProcess = globalThis.process;
// Node's built-ins through process.getBuiltinModule, not `import`: see test/cold_start_test.ts (issue 25).
const { rmSync } = nodeProcess.getBuiltinModule("node:fs");

/** Something with work to do at exit (an engine). */
export interface AtExit {
  /** Must not throw; must not wait. */
  atExit(): void;
}

const open = new Set<WeakRef<AtExit>>();
const collected = new FinalizationRegistry<WeakRef<AtExit>>((ref) => void open.delete(ref));
let listening = false;

/** Temporary directories to remove at exit, by path: kept even when their cache was dropped without `close()`. */
const temporary = new Set<string>();

function onExit(): void {
  listen(false);
  for (const ref of open) {
    try {
      ref.deref()?.atExit();
    } catch { /* best effort: one cache's failure must not keep the others from their turn */ }
  }
  for (const directory of temporary) {
    try {
      rmSync(directory, { recursive: true, force: true });
    } catch { /* left to the system's cleanup of temporary files */ }
  }
}

function listen(on: boolean): void {
  if (on === listening) return;
  listening = on;
  if (on) nodeProcess.on("exit", onExit);
  else nodeProcess.off("exit", onExit);
}

/**
 * Runs `target.atExit()` at the process's normal exit, until the returned
 * function is called (at `close()`).
 */
export function runAtExit(target: AtExit): () => void {
  listen(true);
  const ref = new WeakRef(target);
  open.add(ref);
  collected.register(target, ref, ref);
  return () => {
    open.delete(ref);
    collected.unregister(ref);
  };
}

/**
 * Removes `directory` (a temporary cache directory this library made) at the
 * process's normal exit, after every {@linkcode runAtExit} target has run,
 * until the returned function is called (the cache removed it at `close()`).
 */
export function removeAtExit(directory: string): () => void {
  listen(true);
  temporary.add(directory);
  return () => void temporary.delete(directory);
}
