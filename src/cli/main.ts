/**
 * The `diskcache` command-line tool: each command over one cache directory,
 * writing through an injected {@linkcode CliIO} (the entry point `cli.ts`
 * binds it to the process; tests bind it to strings), and returning the exit
 * code. Read commands open the cache read-only, so they work on a read-only
 * directory and never change what they look at (no access times, no hits).
 *
 * @module
 */
import { join } from "node:path";
import { DiskCache } from "../disk_cache.ts";
import { DiskCacheError, type Timeout } from "../errors.ts";
import type { Key, RemoveOptions, SetOptions } from "../types.ts";
import { commandHelp, COMMANDS, parse, type Parsed, usage, UsageError } from "./args.ts";
import { bytes, count, duration, table } from "./format.ts";
import { KEY_FLAGS, type KeyType, parseFloat_, parseInteger, parseJson, parseKey, showKey } from "./keys.ts";
import { fromHex, taggedText } from "./tagged_json.ts";
import { Progress } from "./progress.ts";
import { ls } from "./ls.ts";
import { type CliIO, EXIT, milliseconds, positiveInteger, result, type Run } from "./run.ts";
// Node's built-ins through process.getBuiltinModule, not `import`: see test/cold_start_test.ts (issue 25).
const { existsSync } = globalThis.process.getBuiltinModule("node:fs");

export { type CliIO, EXIT };

/** The key argument, typed by its flag. */
function keyArg(p: Parsed): Key {
  const types = (Object.keys(KEY_FLAGS) as Exclude<KeyType, "str">[]).filter((t) => p.values[KEY_FLAGS[t]] === true);
  if (types.length > 1) throw new UsageError(`${p.command}: give at most one of ${types.map((t) => `--${KEY_FLAGS[t]}`).join(", ")}`);
  return parseKey(p.positionals[1]!, types[0] ?? "str") as Key;
}

function notFound(r: Run): number {
  const shown = showKey(keyArg(r.p));
  result(r, { found: false, key: shown.text, type: shown.type }, "");
  if (!r.json) r.io.stderr(`diskcache ${r.p.command}: no live item with key ${JSON.stringify(shown.text)} (${shown.type})\n`);
  return EXIT.notFound;
}

function valueType(value: unknown): string {
  if (typeof value === "string") return "str";
  if (value instanceof Uint8Array) return "bytes";
  if (typeof value === "bigint" || Number.isInteger(value)) return "int";
  return typeof value === "number" ? "float" : "json";
}

function stats(r: Run): number {
  const { cache } = r;
  const s = cache.stats();
  const settings = cache.settings;
  const out = {
    directory: cache.directory,
    driver: cache.driverName,
    count: s.count,
    volume: s.volume,
    sizeLimit: s.sizeLimit,
    hits: s.hits,
    misses: s.misses,
    evictions: s.evictions,
    settings,
  };
  const counted = (n: number) => (settings.statistics ? count(n) : `${count(n)} (statistics off: not counted)`);
  result(
    r,
    out,
    table([
      ["directory", out.directory],
      ["count", count(s.count)],
      ["volume", `${bytes(s.volume)} (${count(s.volume)} bytes)`],
      ["size limit", `${bytes(s.sizeLimit)} (${Math.round((s.volume / s.sizeLimit) * 100)}% used)`],
      ["hits", counted(s.hits)],
      ["misses", counted(s.misses)],
      ["evictions", count(s.evictions)],
      ...Object.entries(settings).map(([k, v]): [string, string] => [`setting ${k}`, String(v)]),
      ["driver", out.driver],
    ]),
  );
  return EXIT.ok;
}

async function get(r: Run): Promise<number> {
  const { cache, io, p } = r;
  const key = keyArg(p);
  const shown = showKey(key);
  const file = p.values.out as string | undefined;
  if (file !== undefined) {
    if (!(await cache.getFile(key, file))) return notFound(r);
    result(r, { found: true, key: shown.text, type: shown.type, out: file }, `wrote the value of ${JSON.stringify(shown.text)} to ${file}\n`);
    return EXIT.ok;
  }
  const entry = cache.getEntry(key);
  if (entry === undefined) return notFound(r);
  const value = entry.value;
  if (r.json) {
    result(r, { found: true, key: shown.text, type: shown.type, valueType: valueType(value), value, expireTime: entry.expireTime, tag: entry.tag }, "");
  } else if (typeof value === "string" || value instanceof Uint8Array) {
    await io.stdout(value);
    // On a terminal the prompt starts on a line of its own; a pipe gets the value's exact bytes.
    const last = typeof value === "string" ? value.charCodeAt(value.length - 1) : value[value.length - 1];
    if (io.stdoutTTY && last !== 0x0a) await io.stdout("\n");
  } else {
    await io.stdout((typeof value === "object" && value !== null ? taggedText(value) : Object.is(value, -0) ? "-0" : String(value)) + "\n");
  }
  return EXIT.ok;
}

function typedValue(text: string, type: string): unknown {
  // Like parseKey (keys.ts) but over the --value-type names (str, hex), with errors naming VALUE.
  switch (type) {
    case "str":
      return text;
    case "int":
      return parseInteger(text, "VALUE");
    case "float":
      return parseFloat_(text, "VALUE");
    case "json":
      return parseJson(text, "VALUE");
    case "hex":
      return fromHex(text, "VALUE");
    default:
      throw new UsageError(`Cannot use --value-type: expected str, int, float, json or hex: received ${JSON.stringify(type)}`);
  }
}

async function set(r: Run): Promise<number> {
  const { cache, io, p } = r;
  const key = keyArg(p);
  const shown = showKey(key);
  const value = p.positionals[2], file = p.values.file as string | undefined;
  if ((value === undefined) === (file === undefined)) {
    throw new UsageError("set: give exactly one of VALUE, - (standard input) or --file F");
  }
  const options: SetOptions = { ttl: milliseconds(p, "ttl"), tag: p.values.tag as string | undefined };
  if (file !== undefined) await cache.setFile(key, file, options);
  else if (value === "-") cache.set(key, await io.readStdin(), options);
  else cache.set(key, typedValue(value!, (p.values["value-type"] as string | undefined) ?? "str"), options);
  result(r, { stored: true, key: shown.text, type: shown.type }, `stored ${JSON.stringify(shown.text)} (${shown.type})\n`);
  return EXIT.ok;
}

function del(r: Run): number {
  if (!r.cache.delete(keyArg(r.p))) return notFound(r);
  const shown = showKey(keyArg(r.p));
  result(r, { deleted: true, key: shown.text, type: shown.type }, `deleted ${JSON.stringify(shown.text)} (${shown.type})\n`);
  return EXIT.ok;
}

function touch(r: Run): number {
  const ttl = milliseconds(r.p, "ttl");
  if (!r.cache.touch(keyArg(r.p), ttl)) return notFound(r);
  const shown = showKey(keyArg(r.p));
  result(
    r,
    { touched: true, key: shown.text, type: shown.type, ttl: ttl ?? null },
    `${JSON.stringify(shown.text)} now expires ${ttl === undefined ? "never" : `in ${duration(ttl)}`}\n`,
  );
  return EXIT.ok;
}

function check(r: Run): number {
  const fix = r.p.values.fix === true;
  const warnings = r.cache.check({ fix });
  const lines = warnings.map((w) => `${w.kind}: ${w.message}\n`).join("");
  const repaired = warnings.filter((w) => w.repaired).length, repairable = warnings.filter((w) => w.repairable).length;
  const summary = warnings.length === 0
    ? "no problems found\n"
    : fix
    ? `${warnings.length} problem(s) found, ${repaired} repaired${repaired < warnings.length ? `, ${warnings.length - repaired} left as they are` : ""}\n`
    : `${warnings.length} problem(s) found${
      repairable === 0 ? "; --fix cannot repair them" : `; run again with --fix to repair ${repairable === warnings.length ? "them" : `${repairable} of them`}`
    }\n`;
  result(r, { ok: warnings.length === 0, fixed: repaired > 0, warnings }, lines + summary);
  return warnings.length === 0 ? EXIT.ok : EXIT.notFound;
}

async function remove(r: Run): Promise<number> {
  const { cache, io, p } = r;
  const batch = positiveInteger(p.values.batch, "batch", 1000);
  const tag = p.values.tag as string | undefined;
  if (p.command === "evict" && tag === undefined) throw new UsageError("evict: --tag T is required");
  const steps: Record<string, (o: RemoveOptions) => number> = {
    clear: (o) => cache.clear(o),
    expire: (o) => cache.expire(undefined, o),
    cull: (o) => cache.cull(o),
    evict: (o) => cache.evict(tag!, o),
  };
  const step = steps[p.command]!;
  const progress = new Progress(
    { write: (t) => io.stderr(t), tty: io.stderrTTY, now: () => io.now() },
    p.command,
    p.command === "clear" ? cache.length : undefined,
  );
  const signal = io.interruptible();
  let removed = 0, interrupted = false;
  for (;;) {
    let n: number;
    try {
      n = step({ limit: batch });
    } catch (error) {
      // What was done before the lock stopped it: earlier steps, and this step's earlier batches.
      const done = removed + ((error as Timeout).removed ?? 0);
      throw new DiskCacheError(`${(error as Error).message}; ${p.command} removed ${count(done)} item(s) before that`, { cause: error });
    }
    removed += n;
    progress.update(removed);
    if (n < batch) break;
    await io.pause();
    if (signal.aborted) {
      interrupted = true;
      break;
    }
  }
  progress.done();
  const left = cache.length;
  result(
    r,
    { removed, interrupted, count: left },
    `${p.command}: removed ${count(removed)} item(s)${interrupted ? `; interrupted, ${count(left)} item(s) left` : ""}\n`,
  );
  return interrupted ? EXIT.interrupted : EXIT.ok;
}

function vacuum(r: Run): number {
  const freed = r.cache.vacuum();
  result(r, { freed, volume: r.cache.volume() }, `vacuum: the database shrank by ${bytes(freed)}\n`);
  return EXIT.ok;
}

const RUN: Record<string, (r: Run) => number | Promise<number>> = {
  stats,
  ls,
  get,
  set,
  delete: del,
  touch,
  check,
  cull: remove,
  expire: remove,
  evict: remove,
  clear: remove,
  vacuum,
};

/** Opens the cache in `dir`: read-only for reads; only `set` may create one. */
function open(p: Parsed): DiskCache {
  const dir = p.positionals[0]!;
  if (p.command !== "set" && !existsSync(join(dir, "cache.db"))) {
    const shard = existsSync(join(dir, "000", "cache.db"))
      ? `; it looks like a FanoutCache, whose shards are caches: give ${join(dir, "000")}`
      : "; check the path";
    throw new DiskCacheError(`Cannot open "${dir}": there is no cache there (no cache.db)${shard}`);
  }
  const reads = p.command === "check" ? p.values.fix !== true : ["stats", "ls", "get"].includes(p.command);
  return new DiskCache(dir, { readonly: reads, timeout: milliseconds(p, "timeout") ?? 60_000 });
}

/**
 * Runs the tool on `argv` (the arguments after the program's name).
 *
 * @param argv The arguments.
 * @param io Standard streams, Ctrl-C and the clock.
 * @returns The exit code (see {@linkcode EXIT}).
 */
export async function main(argv: string[], io: CliIO): Promise<number> {
  // Read before parsing, so that a mistake on the command line is reported in JSON too;
  // what follows `--` is arguments (a key "--json"), not options.
  const end = argv.indexOf("--");
  const json = (end === -1 ? argv : argv.slice(0, end)).includes("--json");
  let cache: DiskCache | undefined;
  let run: Run | undefined;
  let command = "";
  let status: number;
  try {
    if (argv.every((a) => a === "--json")) {
      // No command: the usage, as a mistake (exit 2), not as asked-for help.
      if (!json) {
        io.stderr(usage());
        return EXIT.usage;
      }
      throw new UsageError(`Cannot run: give a command; the commands are ${Object.keys(COMMANDS).join(", ")}`);
    }
    const p = parse(argv);
    command = p.command;
    if (p.command === "help") {
      await io.stdout(usage());
      return EXIT.ok;
    }
    if (p.values.help) {
      await io.stdout(commandHelp(p.command));
      return EXIT.ok;
    }
    cache = open(p);
    run = { io, p, json, cache };
    status = await RUN[p.command]!(run);
  } catch (error) {
    const usageError = error instanceof UsageError || error instanceof TypeError || error instanceof RangeError;
    const code = usageError ? EXIT.usage : EXIT.error;
    const message = (error as Error).message;
    if (json) {
      // One JSON document, also when a listing fails part way: its open array is closed first.
      const unclosed = run?.unclosed;
      const members = `"error":${JSON.stringify(message)},"exitCode":${code}}\n`;
      await io.stdout(unclosed === undefined ? `{${members}` : `${unclosed},${members}`);
    } else io.stderr(`diskcache: ${message}\n${usageError ? `Run \`${["diskcache", command, "--help"].filter(Boolean).join(" ")}\` for the usage.\n` : ""}`);
    status = code;
  } finally {
    cache?.close();
  }
  return status;
}
