/**
 * What every command of the `diskcache` tool shares: its exit codes, how it
 * meets the outside world ({@linkcode CliIO}), what a command is given
 * ({@linkcode Run}), how it writes its result, and how it reads numbers
 * from options.
 *
 * @module
 */
import type { DiskCache } from "../disk_cache.ts";
import { type Parsed, UsageError } from "./args.ts";
import { toTagged } from "./tagged_json.ts";

/** The exit codes of the tool. */
export const EXIT = {
  /** Done. */
  ok: 0,
  /** No such item (`get`, `delete`, `touch`), or `check` found damage. */
  notFound: 1,
  /** A mistake on the command line. */
  usage: 2,
  /** The cache could not do it: no cache there, read-only, locked past the timeout, damaged, unreadable value. */
  error: 3,
  /** Stopped by Ctrl-C (SIGINT) between two steps; what was done is reported. */
  interrupted: 130,
} as const;

/** How the tool meets the outside world. */
export interface CliIO {
  /**
   * Writes to standard output (text, or a value's bytes). Returns a promise
   * when the reader is behind: the tool waits for it before writing more,
   * so a slow pipe never makes it hold a listing in memory.
   */
  stdout(chunk: string | Uint8Array): void | Promise<void>;
  /** Writes to standard error. */
  stderr(text: string): void;
  /** All of standard input. */
  readStdin(): Promise<Uint8Array>;
  /** Whether standard output is a terminal. */
  stdoutTTY: boolean;
  /** Whether standard error is a terminal (progress is redrawn in place). */
  stderrTTY: boolean;
  /**
   * Starts catching Ctrl-C (SIGINT) and returns the signal it aborts: a long
   * removal asks for it and stops at its next step. Until asked, Ctrl-C
   * ends the process as usual (a read changes nothing; a write is one
   * transaction, which SQLite rolls back).
   */
  interruptible(): AbortSignal;
  /** The clock, in epoch milliseconds. */
  now(): number;
  /** Lets pending events (a Ctrl-C) in, between two steps. */
  pause(): Promise<void>;
}

/** What a command needs. */
export interface Run {
  io: CliIO;
  p: Parsed;
  json: boolean;
  cache: DiskCache;
  /**
   * While a JSON document is written in parts (`ls`): the text that closes
   * what is open inside its top-level object, so that an error can end the
   * document with its own members.
   */
  unclosed?: string | undefined;
}

/** Writes `value` as the command's JSON result, or `text` otherwise. */
export function result({ io, json }: Run, value: unknown, text: string): void | Promise<void> {
  return io.stdout(json ? JSON.stringify(toTagged(value)) + "\n" : text);
}

/**
 * A milliseconds option (`--ttl`, `--timeout`) as a number, `undefined` when
 * absent. Empty text (an unset shell variable) is refused, not read as 0;
 * a negative number is passed on for the library to refuse.
 */
export function milliseconds(p: Parsed, name: string): number | undefined {
  const text = p.values[name];
  if (text === undefined || typeof text === "boolean") return undefined;
  if (!/^\s*-?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?\s*$/i.test(text)) {
    throw new UsageError(`Cannot use --${name}: expected a number of milliseconds such as 60000: received ${JSON.stringify(text)}`);
  }
  return Number(text);
}

/** A positive integer option (`--limit`, `--batch`), or `fallback` when absent. */
export function positiveInteger(text: string | boolean | undefined, name: string, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`Cannot use --${name}: expected a positive integer: received ${JSON.stringify(text)}`);
  return n;
}
