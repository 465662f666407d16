#!/usr/bin/env node
/**
 * `diskcache`: look inside and maintain a cache directory from a shell
 * (DiskCache's, or python-diskcache's). Commands: stats, ls, get, set,
 * delete, touch, check [--fix], cull, expire, evict --tag T, clear, vacuum;
 * `--json` on each, `diskcache COMMAND --help` for a command's options.
 * Exit codes: 0 done, 1 not found or damage found, 2 usage error, 3 cache
 * error, 130 interrupted (Ctrl-C stops a long removal between two steps of
 * 1,000 items and reports what was done).
 *
 * Run it with `npx @diskcache/diskcache stats DIR`, `bunx --bun
 * @diskcache/diskcache stats DIR` or `deno run -A jsr:@diskcache/diskcache/cli stats DIR`.
 *
 * @example Show what a cache holds
 * ```sh
 * npx @diskcache/diskcache ls ./cache --limit 10
 * ```
 *
 * @module
 */
import "./runtimes/auto.ts";
import { main } from "./src/cli/main.ts";

// The global, not `import process from "node:process"`: Node builds a facade of the whole
// process object for that import, a few ms of every command (issue 25).
const process = globalThis.process;

const interrupt = new AbortController();
const onSigint = () => {
  // A second Ctrl-C while the first waits for the end of a step: stop now.
  if (interrupt.signal.aborted) process.exit(130);
  interrupt.abort();
};
// A reader that went away (`diskcache ls DIR | head`) ends the listing quietly.
process.stdout.on("error", (error: Error & { code?: string }) => {
  if (error.code === "EPIPE") process.exit(0);
  throw error;
});

main(process.argv.slice(2), {
  // Backpressure: when the pipe's reader is behind, wait for it (`ls` into a
  // slow reader would otherwise queue the whole listing in memory).
  stdout: (chunk) => process.stdout.write(chunk) ? undefined : new Promise((resolve) => process.stdout.once("drain", resolve)),
  stderr: (text) => process.stderr.write(text),
  readStdin: async () => {
    const chunks: Uint8Array[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Uint8Array);
    const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of chunks) all.set(c, (at += c.length) - c.length);
    return all;
  },
  stdoutTTY: process.stdout.isTTY === true,
  stderrTTY: process.stderr.isTTY === true,
  interruptible: () => {
    process.on("SIGINT", onSigint);
    return interrupt.signal;
  },
  now: () => Date.now(),
  pause: () => new Promise((resolve) => setTimeout(resolve, 0)),
}).then((code) => {
  process.off("SIGINT", onSigint);
  process.exitCode = code;
});
