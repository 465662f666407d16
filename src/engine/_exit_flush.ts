/**
 * What an open cache still holds in memory (buffered hits and misses, LRU/LFU
 * access times) is written at the process's normal exit, on every runtime:
 * Node, Bun and Deno all emit `node:process`'s `exit` event when the program
 * ends or calls `process.exit()`, and its listeners may do synchronous work,
 * which SQLite's is. Caches are held weakly: one dropped without `close()`
 * is not kept alive by this.
 *
 * @module
 */
import process from "node:process";

/** Something with work to do at exit (an engine). */
export interface AtExit {
  /** Must not throw; must not wait. */
  atExit(): void;
}

const open = new Set<WeakRef<AtExit>>();
const collected = new FinalizationRegistry<WeakRef<AtExit>>((ref) => void open.delete(ref));
let listening = false;

function onExit(): void {
  for (const ref of open) {
    try {
      ref.deref()?.atExit();
    } catch { /* best effort: one cache's failure must not keep the others from their turn */ }
  }
}

/**
 * Runs `target.atExit()` at the process's normal exit, until the returned
 * function is called (at `close()`).
 */
export function runAtExit(target: AtExit): () => void {
  if (!listening) {
    listening = true;
    process.on("exit", onExit);
  }
  const ref = new WeakRef(target);
  open.add(ref);
  collected.register(target, ref, ref);
  return () => {
    open.delete(ref);
    collected.unregister(ref);
  };
}
