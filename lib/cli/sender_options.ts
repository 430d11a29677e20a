/**
 * The sender's command line: its options, typed. Its `--help` is
 * lib/cli/sender_usage.ts.
 *
 * Options come first; the first word that is not an option (or everything
 * after `--`) starts the message, so a message may hold words such as `-3`.
 *
 * @example
 * ```ts
 * import { parseSenderArgs } from "./sender_options.ts";
 * const defaults = { host: "localhost", port: 5555, maxMessageSize: 65536 };
 * parseSenderArgs(["--host", "pi", "hello", "world"], defaults)?.message; // "hello world"
 * ```
 *
 * @module
 */

import { UsageError } from "../base/errors.ts";
import type { ParseArgsConfig } from "node:util";
import { parsePort, readOptions } from "./args.ts";
import { HEADER_ROOM } from "../sender/message_text.ts";
import { type Level, parseLevel } from "../log/wire.ts";

/** What the sender does when not told otherwise: the book's choices. */
export interface SenderDefaults {
  host: string;
  port: number;
  /** The logger's largest message (its --max-message-size). */
  maxMessageSize: number;
}

const encoder = new TextEncoder();

/** What the sender was asked to do on its command line. */
export interface SenderOptions {
  /** Host name or IP address of the logger. */
  host: string;
  /** TCP port of the logger. */
  port: number;
  /** Give up after this many seconds without a logger; `undefined` waits forever. */
  timeout?: number;
  /** Send a header (level, time, host, tag), or the bare text as the book does. */
  header: boolean;
  level: Level;
  tag?: string;
  /** This machine's name as the header gives it; asked of the system if not set. */
  hostname?: string;
  /** Put the sender's clock in the header. */
  timestamps: boolean;
  /** Send each line of standard input as a message. */
  stdin: boolean;
  /** The message: the arguments joined by single spaces. */
  message: string;
  /** CurveZMQ: the logger's public key, or a file that holds it. */
  curveServerKey?: string;
  /** CurveZMQ: this sender's key pair file (default: a new pair each run). */
  curveKey?: string;
  /** Print a new key pair and exit. */
  keygen: boolean;
}

/** Options that take a value: each name they go by, and their long name. */
const VALUE_OPTIONS: Record<string, string> = {
  "--host": "--host",
  "-H": "--host",
  "--port": "--port",
  "-p": "--port",
  "--timeout": "--timeout",
  "--level": "--level",
  "-l": "--level",
  "--tag": "--tag",
  "-t": "--tag",
  "--hostname": "--hostname",
  "--curve-server-key": "--curve-server-key",
  "--curve-key": "--curve-key",
};

/**
 * Splits a command line into its options and its message words. Options come
 * first: the first word that does not start with `-`, or everything after
 * `--`, is the message, so a message may hold words such as `-3`. An option's
 * value is joined to it (`--port=6000`), so a value may start with `-` too.
 *
 * @example
 * ```ts
 * splitOptions(["-p", "6000", "disk", "at", "-3"]);
 * // { options: ["--port=6000"], words: ["disk", "at", "-3"] }
 * ```
 */
export function splitOptions(
  args: string[],
): { options: string[]; words: string[] } {
  const options: string[] = [];
  let i = 0;
  for (; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") return { options, words: args.slice(i + 1) };
    if (!arg.startsWith("-") || arg === "-") break;
    const long = Object.hasOwn(VALUE_OPTIONS, arg) ? VALUE_OPTIONS[arg] : "";
    if (long && i + 1 < args.length) {
      options.push(`${long}=${args[++i]}`);
    } else {
      options.push(arg);
    }
  }
  return { options, words: args.slice(i) };
}

/**
 * The longest `--hostname` and `--tag`, in bytes: with them the header stays
 * within HEADER_ROOM, so the whole frame fits what the logger takes.
 */
const MAX_WORD_BYTES = { "--hostname": 255, "--tag": 128 };

/** Checks a header word (`--tag`, `--hostname`): no spaces, no colon, not too long. */
function parseWord(text: string, flag: "--hostname" | "--tag"): string {
  const bytes = encoder.encode(text).length;
  if (bytes > MAX_WORD_BYTES[flag]) {
    throw new UsageError(
      `Cannot send as '${flag}' must be at most ${
        MAX_WORD_BYTES[flag]
      } bytes: current value is ${bytes} bytes long`,
    );
  }
  if (!/^[^\s:]+$/.test(text)) {
    throw new UsageError(
      `Cannot send as '${flag}' must be one word without ':': current value is ${
        JSON.stringify(text)
      }`,
    );
  }
  return text;
}

/** The sender's options, as `parseArgs` is told of them. */
function flagConfig(args: string[], defaults: SenderDefaults) {
  return {
    args,
    options: {
      host: { type: "string", short: "H", default: defaults.host },
      port: { type: "string", short: "p", default: String(defaults.port) },
      timeout: { type: "string" },
      level: { type: "string", short: "l" },
      tag: { type: "string", short: "t" },
      hostname: { type: "string" },
      timestamps: { type: "boolean", short: "T", default: false },
      stdin: { type: "boolean", default: false },
      "curve-server-key": { type: "string" },
      "curve-key": { type: "string" },
      keygen: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  } satisfies ParseArgsConfig;
}

/**
 * The flags as `parseArgs` reads them, with the defaults filled in. With no
 * option (the book's plain call) `node:util` is not even loaded.
 */
function readFlags(options: string[], defaults: SenderDefaults) {
  return readOptions(
    flagConfig(options, defaults),
    "try --help; put -- before a message that starts with '-'",
  );
}

type Flags = Awaited<ReturnType<typeof readFlags>>;

/** Refuses flags that do not go together. */
function checkCombinations(
  flags: Flags,
  options: string[],
  words: string[],
): void {
  if (flags.keygen && (options.length > 1 || words.length > 0)) {
    throw new UsageError(
      "'--keygen' goes alone: it prints a new key pair and exits",
    );
  }
  if (
    flags["curve-key"] !== undefined && flags["curve-server-key"] === undefined
  ) {
    throw new UsageError(
      "Cannot send as '--curve-key' needs '--curve-server-key' (the logger's public key): add it",
    );
  }
  for (const flag of ["curve-key", "curve-server-key"] as const) {
    if (flags[flag] === "") {
      throw new UsageError(
        `Cannot send as '--${flag}' must name a key or a file: current value is ""`,
      );
    }
  }
  if (flags.stdin && words.length > 0) {
    throw new UsageError(
      `Cannot send as '--stdin' reads the messages from standard input: remove the words ${
        JSON.stringify(words.join(" "))
      }`,
    );
  }
}

/** `--host`: a name or an address. */
function parseHost(host: string): string {
  // Letters, digits and . - _ for names; : and % for IPv6, optionally in [ ].
  if (!/^(\[[\w.:%-]+\]|[\w.:%-]+)$/.test(host)) {
    throw new UsageError(
      `Cannot send as '--host' must be a host name or IP address: current value is ${
        JSON.stringify(host)
      }`,
    );
  }
  // One colon is a port written into the host: IPv6 has at least two.
  const port = /^([^:\[\]]+):(\d+)$/.exec(host);
  if (port !== null) {
    throw new UsageError(
      `Cannot send as '--host' must be a host name or IP address, without a port (give that with --port ${
        port[2]
      }): current value is ${JSON.stringify(host)}`,
    );
  }
  return host;
}

/** `--timeout`: seconds above 0. */
function parseTimeout(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const timeout = /^\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
  if (!(timeout > 0)) {
    throw new UsageError(
      `Cannot send as '--timeout' must be a number of seconds above 0: current value is ${
        JSON.stringify(text)
      }`,
    );
  }
  return timeout;
}

/**
 * Parses the sender's command line.
 *
 * @returns the options, or `undefined` when `--help` was asked for.
 * @example
 * ```ts
 * parseSenderArgs(["--host", "pi", "hello", "world"], defaults)?.message; // "hello world"
 * ```
 */
export async function parseSenderArgs(
  args: string[],
  defaults: SenderDefaults,
): Promise<SenderOptions | undefined> {
  const { options, words } = splitOptions(args);
  const flags = await readFlags(options, defaults);
  if (flags.help) return undefined;
  checkCombinations(flags, options, words);
  const port = parsePort(flags.port, "send");
  const host = parseHost(flags.host);
  const timeout = parseTimeout(flags.timeout);
  const message = words.join(" ");
  const maxText = defaults.maxMessageSize - HEADER_ROOM;
  if (encoder.encode(message).length > maxText) {
    throw new UsageError(
      `Cannot send as the message is longer than the logger takes (${maxText} bytes): send long text through --stdin, which cuts it into messages`,
    );
  }
  return {
    host,
    port,
    timeout,
    header: flags.level !== undefined || flags.tag !== undefined ||
      flags.hostname !== undefined || flags.timestamps,
    level: flags.level === undefined ? "info" : parseLevel(flags.level, "send"),
    tag: flags.tag === undefined ? undefined : parseWord(flags.tag, "--tag"),
    hostname: flags.hostname === undefined
      ? undefined
      : parseWord(flags.hostname, "--hostname"),
    timestamps: flags.timestamps,
    stdin: flags.stdin,
    message,
    curveServerKey: flags["curve-server-key"],
    curveKey: flags["curve-key"],
    keygen: flags.keygen,
  };
}
