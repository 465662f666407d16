/**
 * The commands of the `diskcache` tool, their options and help, and the
 * parsing of one command line with `node:util`'s `parseArgs` (built into
 * Node, Deno and Bun alike, so the tool needs no dependency).
 *
 * @module
 */
// Through process.getBuiltinModule, not `import ... from "node:util"`: for an
// import Node builds the module facade of the whole of node:util, which loads
// its lazy parts (about 2 ms of CPU of every command on Node; issue 25).
const { parseArgs } = globalThis.process.getBuiltinModule("node:util");

/** A mistake on the command line: exit code 2, with the command's usage. */
export class UsageError extends Error {
  /** `"UsageError"`. */
  override get name(): string {
    return "UsageError";
  }
}

interface OptionSpec {
  type: "string" | "boolean";
  short?: string;
  /** The name of a string option's argument in the help. */
  arg?: string;
  help: string;
}

/** One command: its arguments, options and help text. */
export interface CommandSpec {
  /** The positional arguments, in order; a trailing `?` marks an optional one. */
  args: string[];
  /** One line saying what the command does. */
  summary: string;
  /** Options besides the common ones. */
  options: Record<string, OptionSpec>;
  /** Whether the command only reads (opened read-only, so it works on a read-only directory). */
  reads: boolean;
}

const KEY_OPTIONS: Record<string, OptionSpec> = {
  int: { type: "boolean", help: "KEY is an integer (as Python's int)" },
  float: { type: "boolean", help: "KEY is a float" },
  hex: { type: "boolean", help: "KEY is bytes, given as hex digits" },
  "key-json": {
    type: "boolean",
    help:
      'KEY is JSON: an array or object (a structured key), or any JSON value; {"$bigint": "..."}, {"$bytes": "hex"}, {"$map": [[k, v]]}... for the rest, as ls shows them',
  },
  foreign: { type: "boolean", help: "KEY is the hex of a key's stored bytes, as `ls` shows a foreign key (a Python pickle)" },
};
const BATCH: Record<string, OptionSpec> = {
  batch: { type: "string", arg: "N", help: "items removed per step; Ctrl-C stops between steps (default 1000)" },
};

/** Every command. */
// One entry per command, spelled out: the table is the help text, read by people.
export const COMMANDS: Readonly<Record<string, CommandSpec>> = {
  stats: { args: ["DIR"], summary: "count, volume, size limit, settings, hits/misses/evictions", options: {}, reads: true },
  ls: {
    args: ["DIR"],
    summary: "list live items: size, time to live, inline or file, tag, key",
    options: {
      prefix: { type: "string", arg: "P", help: "only string keys that start with P" },
      tag: { type: "string", arg: "T", help: "only items tagged T (a string tag)" },
      order: { type: "string", arg: "ORDER", help: "insertion (default) or key" },
      reverse: { type: "boolean", help: "newest (or greatest key) first" },
      limit: { type: "string", arg: "N", help: "at most N items" },
    },
    reads: true,
  },
  get: {
    args: ["DIR", "KEY"],
    summary: "print the value of KEY (exit 1 when there is none)",
    options: { ...KEY_OPTIONS, out: { type: "string", arg: "FILE", help: "write the value to FILE instead (bytes or strings only)" } },
    reads: true,
  },
  set: {
    args: ["DIR", "KEY", "VALUE?"],
    summary: "store VALUE (or --file F, or - for standard input) under KEY",
    options: {
      ...KEY_OPTIONS,
      file: { type: "string", arg: "F", help: "store the bytes of file F" },
      ttl: { type: "string", arg: "MS", help: "expire after MS milliseconds (a number: empty text is refused)" },
      tag: { type: "string", arg: "T", help: "tag the item with T" },
      "value-type": {
        type: "string",
        arg: "TYPE",
        help: "str (default), int, float, json (tagged as get prints it) or hex (bytes) for VALUE; standard input is bytes",
      },
    },
    reads: false,
  },
  delete: { args: ["DIR", "KEY"], summary: "delete KEY (exit 1 when there is none)", options: KEY_OPTIONS, reads: false },
  touch: {
    args: ["DIR", "KEY"],
    summary: "set KEY's expiry to --ttl from now, or remove it (exit 1 when there is none)",
    options: { ...KEY_OPTIONS, ttl: { type: "string", arg: "MS", help: "expire after MS milliseconds (omit: never)" } },
    reads: false,
  },
  check: {
    args: ["DIR"],
    summary: "find damage (exit 1 when there is some); --fix repairs it",
    options: { fix: { type: "boolean", help: "repair what is found (needs write access)" } },
    reads: true,
  },
  cull: { args: ["DIR"], summary: "remove expired items, then evict down to the size limit", options: BATCH, reads: false },
  expire: { args: ["DIR"], summary: "remove expired items", options: BATCH, reads: false },
  evict: {
    args: ["DIR"],
    summary: "remove every item tagged --tag T",
    options: { ...BATCH, tag: { type: "string", arg: "T", help: "the tag (required)" } },
    reads: false,
  },
  clear: { args: ["DIR"], summary: "remove every item", options: BATCH, reads: false },
  vacuum: { args: ["DIR"], summary: "give the database's free pages back to the file system", options: {}, reads: false },
};

const COMMON: Record<string, OptionSpec> = {
  json: { type: "boolean", help: "print JSON instead of text" },
  timeout: { type: "string", arg: "MS", help: "milliseconds to wait for another process's lock before giving up (default 60000)" },
  help: { type: "boolean", short: "h", help: "show this help" },
};

/** What `diskcache` prints for `--help` and a bad command. */
export function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return [
    "Usage: diskcache COMMAND DIR [ARGS] [--json] [--help]",
    "",
    "Look inside and maintain a DiskCache (or python-diskcache) directory.",
    "",
    "Commands:",
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    "",
    "Exit codes: 0 done; 1 not found (get, delete, touch) or damage found (check);",
    "2 usage error; 3 cache error (no cache there, read-only, locked, damaged); 130 interrupted.",
    "Run `diskcache COMMAND --help` for a command's options.",
  ].join("\n") + "\n";
}

/** The help of one command. */
export function commandHelp(name: string): string {
  const spec = COMMANDS[name]!;
  const options = { ...spec.options, ...COMMON };
  const flag = (o: string) => `${options[o]!.short ? `-${options[o]!.short}, ` : ""}--${o}${options[o]!.arg ? " " + options[o]!.arg : ""}`;
  const width = Math.max(...Object.keys(options).map((o) => flag(o).length));
  return [
    `Usage: diskcache ${name} ${spec.args.map((a) => (a.endsWith("?") ? `[${a.slice(0, -1)}]` : a)).join(" ")} [options]`,
    "",
    spec.summary[0]!.toUpperCase() + spec.summary.slice(1) + ".",
    "",
    "Options:",
    ...Object.keys(options).map((o) => `  ${flag(o).padEnd(width)}  ${options[o]!.help}`),
  ].join("\n") + "\n";
}

/** A parsed command line. */
export interface Parsed {
  command: string;
  positionals: string[];
  values: Record<string, string | boolean | undefined>;
}

/** Parses `argv` (without the program); throws {@linkcode UsageError}. `command` is `"help"` for a bare `--help`. */
export function parse(argv: string[]): Parsed {
  const [command, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    return { command: "help", positionals: [], values: {} };
  }
  if (!Object.hasOwn(COMMANDS, command)) {
    throw new UsageError(`Unknown command ${JSON.stringify(command)}; the commands are ${Object.keys(COMMANDS).join(", ")}`);
  }
  const spec = COMMANDS[command]!;
  const options = Object.fromEntries(
    Object.entries({ ...spec.options, ...COMMON }).map(([k, o]) => [k, o.short ? { type: o.type, short: o.short } : { type: o.type }]),
  );
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(`${command}: ${(error as Error).message}`);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help) return { command, positionals: parsed.positionals, values };
  const min = spec.args.filter((a) => !a.endsWith("?")).length;
  if (parsed.positionals.length < min || parsed.positionals.length > spec.args.length) {
    throw new UsageError(
      `${command}: expected ${spec.args.join(" ").replaceAll("?", " (optional)")}: received ${parsed.positionals.length} argument(s)`,
    );
  }
  return { command, positionals: parsed.positionals, values };
}
