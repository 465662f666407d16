// The `diskcache` command for tests: run in-process through main() with
// strings for its streams (every branch, fast), or as the real binary in a
// subprocess on this row's runtime.
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type CliIO, main } from "../src/cli/main.ts";
import { repoRoot, run } from "./_processes.ts";

/** What one in-process run of the command left: its exit code, its standard output (as text and bytes), its standard error. */
export interface Ran {
  code: number;
  stdout: string;
  bytes: Uint8Array;
  stderr: string;
}

/** How {@linkcode cli} runs the command. */
export interface CliOptions {
  /** What standard input holds. @default empty */
  stdin?: Uint8Array | undefined;
  /** Whether both output streams are terminals. @default false */
  tty?: boolean | undefined;
  /** Ctrl-C (the interrupt signal aborts) at this many pauses (steps of a removal). */
  abortAfter?: number | undefined;
  /** Runs at each write to standard output. */
  onStdout?: (() => void) | undefined;
  /** Runs at each pause (a step of a removal), before an abort it brings. */
  onPause?: (() => void) | undefined;
}

const enc = new TextEncoder(), dec = new TextDecoder();

/** Runs main() in-process with strings for its streams; the clock moves 50 ms a read. */
export async function cli(args: string[], opts: CliOptions = {}): Promise<Ran> {
  const out: Uint8Array[] = [];
  let stderr = "";
  const interrupt = new AbortController();
  let clock = Date.now(), pauses = 0;
  const io: CliIO = {
    stdout: (c) => {
      out.push(typeof c === "string" ? enc.encode(c) : c);
      opts.onStdout?.();
    },
    stderr: (t) => void (stderr += t),
    readStdin: () => Promise.resolve(opts.stdin ?? new Uint8Array()),
    stdoutTTY: opts.tty === true,
    stderrTTY: opts.tty === true,
    interruptible: () => interrupt.signal,
    now: () => (clock += 50),
    pause: () => {
      opts.onPause?.();
      if (++pauses === opts.abortAfter) interrupt.abort();
      return Promise.resolve();
    },
  };
  const code = await main(args, io);
  const all = new Uint8Array(out.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of out) all.set(c, (at += c.length) - c.length);
  return { code, stdout: dec.decode(all), bytes: all, stderr };
}

/** The command that runs the tool on this row: the runtime under test, from source (Node 20: the build in dist/). */
export function binary(): { cmd: string; args: string[] } {
  // deno-lint-ignore no-explicit-any
  const g = globalThis as any;
  if (g.Deno !== undefined) {
    return { cmd: g.Deno.execPath(), args: ["run", "-A", "--no-check", "--config", join(repoRoot, "deno.json"), join(repoRoot, "cli.ts")] };
  }
  if (g.Bun !== undefined) return { cmd: process.execPath, args: [join(repoRoot, "cli.ts")] };
  if (fileURLToPath(import.meta.url).endsWith(".js")) return { cmd: process.execPath, args: [join(repoRoot, "dist", "cli.js")] };
  return { cmd: process.execPath, args: ["--no-warnings", join(repoRoot, "cli.ts")] };
}

/** Runs the real `diskcache` binary on this row's runtime, with `input` on its standard input. */
export function diskcache(args: string[], input?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const b = binary();
  return run(b.cmd, [...b.args, ...args], input);
}
