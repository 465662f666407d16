// Another process holding a cache's write lock, and the event loop's turns
// counted meanwhile: what a test of "waits on timers, not on the thread"
// needs (see test/fixtures/lock_holder.ts). Nothing here measures time.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { row, runners } from "./_helpers.ts";

/**
 * Another process of this test's runtime holding the write lock of the cache
 * in `dir` until `commit()`, or on its own after `releaseAfterMs`;
 * `exclusive`: an EXCLUSIVE transaction, which shuts out readers too.
 */
export async function holdLock(
  dir: string,
  options: { releaseAfterMs?: number; exclusive?: boolean } = {},
): Promise<{ commit(): Promise<void>; [Symbol.asyncDispose](): Promise<void> }> {
  const all = runners("lock_holder");
  const r = all.find((x) => x.name === row) ?? all[0]!;
  const args = [...r.args, dir, options.releaseAfterMs === undefined ? "" : String(options.releaseAfterMs), options.exclusive ? "exclusive" : "immediate"];
  const child = spawn(r.cmd, args, { stdio: ["pipe", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout! });
  const next = (want: string) =>
    new Promise<void>((resolve, reject) => {
      const on = (line: string) => {
        if (line.trim() !== want) return;
        lines.off("line", on);
        resolve();
      };
      lines.on("line", on);
      child.once("close", (code) => reject(new Error(`lock holder (${r.name}) exited ${code} before "${want}"`)));
    });
  const exited = new Promise((resolve) => child.once("close", resolve));
  let released = false;
  const committed = next("committed").then(() => void (released = true));
  committed.catch(() => {});
  child.stdin!.on("error", () => {}); // it exited on its own
  await next("held");
  const commit = async () => {
    if (!released && child.exitCode === null) child.stdin!.write("commit\n");
    await committed.catch(() => {});
    child.stdin!.end();
    await exited;
  };
  return { commit, [Symbol.asyncDispose]: commit };
}

/** Counts timer callbacks while it runs: the event loop's turns. */
export function tickCounter(): { readonly ticks: number; stop(): void } {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  return {
    get ticks() {
      return ticks;
    },
    stop: () => clearInterval(timer),
  };
}

/** Resolves once `counter` counted `n` more ticks. */
export async function ticksPass(counter: { readonly ticks: number }, n: number): Promise<void> {
  const until = counter.ticks + n;
  while (counter.ticks < until) await new Promise((r) => setTimeout(r, 1));
}

/** Whether `promise` settled yet (looked at after the microtasks queued so far). */
export async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(() => (done = true), () => (done = true));
  await new Promise((r) => setTimeout(r, 0));
  return done;
}
