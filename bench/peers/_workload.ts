// The workload-1 loop (python-diskcache's tests/benchmark_core.py), shared by
// bench/workload1.ts and every bench/peers/<name>.ts script, so each store
// only says how it opens, gets, sets and deletes.
//
// 90% get, 9% set, 1% delete over 100 keys ("0".."99"); values are
// String(i) repeated 1 to 99 times (1 to ~500 bytes); every key is set before
// the loop; the first 1,000 operations are not timed. Each operation is timed
// on its own: a store whose operations return promises is awaited inside the
// timed span, a synchronous store is not awaited at all (no microtask cost).
//
// Command line of every script using it:
//   <runtime> <script> <target> <ops> [variant] [--worker N] [--go FILE]
// target is a directory (file stores) or host:port (servers). With --go the
// script prints READY after opening and pre-filling, then waits until FILE
// exists, so that several processes start their loops together. It prints
// one JSON line: raw latency samples (µs, 0.1 µs resolution) per op, misses,
// errors and the wall time of the timed operations.
import { existsSync } from "node:fs";
import process from "node:process";

export type Key = Uint8Array | string;
export type Value = Uint8Array | string;
export interface Store {
  /** The value, or undefined/null on a miss. */
  get(key: Key): unknown;
  /** false counts as a miss (python-diskcache's convention); anything else as done. */
  set(key: Key, value: Value): unknown;
  /** false (or 0) counts as a miss; undefined means "done, miss unknown". */
  delete(key: Key): unknown;
  close?(): unknown;
}
export interface StoreSpec {
  /** How keys and values are handed to the store. */
  keys: "bytes" | "string";
  values: "bytes" | "string";
  /** Driver or client description printed with the runtime. */
  driver?: string;
  open(target: string, variant: string | undefined, worker: number): Store | Promise<Store>;
}

const sleepBuf = new Int32Array(new SharedArrayBuffer(4));
const sleep = (ms: number) => Atomics.wait(sleepBuf, 0, 0, ms);
const now = () => process.hrtime.bigint();

export function runtimeName(): string {
  const g = globalThis as { Deno?: { version: { deno: string } }; Bun?: { version: string } };
  return g.Deno ? `deno ${g.Deno.version.deno}` : g.Bun ? `bun ${g.Bun.version}` : `node ${process.version}`;
}

export async function runWorkload(spec: StoreSpec): Promise<void> {
  const argv = process.argv.slice(2);
  const flag = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    if (i < 0) return undefined;
    const v = argv[i + 1];
    argv.splice(i, 2);
    return v;
  };
  const worker = Number(flag("worker") ?? 0);
  const go = flag("go");
  const [target, opsArg, variant] = argv as [string, string, string?];
  const OPS = Number(opsArg);
  const store = await spec.open(target, variant, worker);
  const enc = new TextEncoder();
  const key = (s: string): Key => (spec.keys === "bytes" ? enc.encode(s) : s);
  const value = (s: string): Value => (spec.values === "bytes" ? enc.encode(s) : s);
  const keys = Array.from({ length: 100 }, (_, i) => key(String(i)));
  const names = Array.from({ length: 100 }, (_, i) => String(i));
  for (let i = 0; i < 100; i++) {
    const r = store.set(keys[i]!, value(names[i]!));
    if (r instanceof Promise) await r;
  }
  if (go !== undefined) {
    process.stdout.write("READY\n");
    const deadline = Date.now() + 120_000;
    while (!existsSync(go)) {
      if (Date.now() > deadline) throw new Error("never told to go");
      sleep(0.5);
    }
  }
  let seed = 1 + worker * 7919;
  const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000;
  const samples: Record<string, number[]> = { get: [], set: [], delete: [] };
  const misses: Record<string, number> = { get: 0, set: 0, delete: 0 };
  const errors: Record<string, number> = { get: 0, set: 0, delete: 0 };
  let firstError: string | undefined;
  let wallStart = now();
  for (let i = 0; i < OPS; i++) {
    if (i === 1000) wallStart = now();
    const r = random();
    const k = keys[Math.floor(random() * 100)]!;
    const op = r < 0.9 ? "get" : r < 0.99 ? "set" : "delete";
    const v = op === "set" ? value(String(i).repeat(1 + Math.floor(random() * 99))) : undefined;
    let result: unknown, failed = false;
    const t0 = now();
    try {
      result = op === "get" ? store.get(k) : op === "set" ? store.set(k, v!) : store.delete(k);
      if (result instanceof Promise) result = await result;
    } catch (error) {
      failed = true;
      firstError ??= String(error);
    }
    const us = Number(now() - t0) / 1000;
    if (i >= 1000) {
      samples[op]!.push(Math.round(us * 10) / 10);
      if (failed) errors[op]!++, misses[op]!++;
      else if (op === "get" ? result === undefined || result === null : result === false || result === 0) misses[op]!++;
    }
  }
  const wallUs = Number(now() - wallStart) / 1000;
  const c = store.close?.();
  if (c instanceof Promise) await c;
  process.stdout.write(
    JSON.stringify({
      runtime: runtimeName(),
      driver: spec.driver,
      worker,
      wallUs,
      samples,
      misses,
      errors,
      ...(firstError === undefined ? {} : { firstError }),
    }) + "\n",
  );
}
