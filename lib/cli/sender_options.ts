/**
 * The sender's command line: its options, typed, and its `--help`.
 *
 * Options come first; the first word that is not an option (or everything
 * after `--`) starts the message, so a message may hold words such as `-3`.
 *
 * @example
 * ```ts
 * import { parseSenderArgs } from "./lib/sender_options.ts";
 * const defaults = { host: "localhost", port: 5555, maxMessageSize: 65536 };
 * parseSenderArgs(["--host", "pi", "hello", "world"], defaults)?.message; // "hello world"
 * ```
 *
 * @module
 */

import {
  commandName,
  parseArgsProblem,
  parseCommandLine,
  parsePort,
  UsageError,
} from "./args.ts";
import { KEYS_DIR } from "../curve/keys.ts";
import { type Level, LEVELS, parseLevel } from "../log/wire.ts";

/** Room kept for the header when a message's text is measured or cut. */
export const HEADER_ROOM = 512;

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

/** Checks a header word (`--tag`, `--hostname`): no spaces, no colon. */
function parseWord(text: string, flag: string): string {
  if (!/^[^\s:]+$/.test(text)) {
    throw new UsageError(
      `Cannot send as '${flag}' must be one word without ':': current value is ${
        JSON.stringify(text)
      }`,
    );
  }
  return text;
}

/** The flags as `parseArgs` reads them, with the defaults filled in. */
function readFlags(options: string[], defaults: SenderDefaults) {
  try {
    return parseCommandLine({
      args: options,
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
    }).values;
  } catch (err) {
    throw new UsageError(
      `${
        parseArgsProblem(err)
      } (try --help; put -- before a message that starts with '-')`,
    );
  }
}

type Flags = ReturnType<typeof readFlags>;

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
export function parseSenderArgs(
  args: string[],
  defaults: SenderDefaults,
): SenderOptions | undefined {
  const { options, words } = splitOptions(args);
  const flags = readFlags(options, defaults);
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

/**
 * How messages show the logger's host and port: an IPv6 address goes in
 * brackets, as in a URL, so the port stands apart.
 *
 * @example
 * ```ts
 * hostPort("localhost", 5555); // "localhost:5555"
 * hostPort("::1", 5555); // "[::1]:5555"
 * ```
 */
export function hostPort(host: string, port: number): string {
  const name = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  return `${name}:${port}`;
}

/**
 * The ZeroMQ endpoint to connect to for a host and port.
 *
 * @example
 * ```ts
 * connectEndpoint("localhost", 5555); // "tcp://localhost:5555"
 * connectEndpoint("fe80::1", 5555); // "tcp://[fe80::1]:5555"
 * ```
 */
export function connectEndpoint(host: string, port: number): string {
  return `tcp://${hostPort(host, port)}`;
}

/**
 * Cuts text into pieces of at most `maxBytes` bytes of UTF-8, whole
 * characters each.
 *
 * @example
 * ```ts
 * splitText("abcdef", 4); // ["abcd", "ef"]
 * ```
 */
export function splitText(text: string, maxBytes: number): string[] {
  if (text.length * 3 <= maxBytes || encoder.encode(text).length <= maxBytes) {
    return [text];
  }
  const pieces: string[] = [];
  let piece = "";
  let size = 0;
  for (const char of text) {
    const bytes = encoder.encode(char).length;
    if (size + bytes > maxBytes) {
      pieces.push(piece);
      piece = "";
      size = 0;
    }
    piece += char;
    size += bytes;
  }
  pieces.push(piece);
  return pieces;
}

/** The sender's `--help`, for the book's defaults in `defaults`. */
export function senderUsage(defaults: SenderDefaults): string {
  const COMMAND = commandName("log_cmd_basic");
  const { host: HOST, port: PORT } = defaults;
  return `Basic utility to send logs to the logger: joins its arguments
into one message and sends it to the logger (logging_basic).

Usage: ${COMMAND} [options] [--] word...
       some_program | ${COMMAND} --stdin [options]

Options:
  -H, --host HOST       logger's host name or IP address (default ${HOST})
  -p, --port PORT       logger's TCP port (default ${PORT})
      --timeout SECS    give up if the logger is not there within SECS seconds
                        (default: wait for it as long as it takes)
  -l, --level LEVEL     ${LEVELS.join(", ")} (or warning, err, crit, ...)
  -t, --tag TAG         what is logging, like logger -t (one word)
  -T, --timestamps      put this machine's time in the message
      --hostname NAME   the host name to give (default: this machine's)
      --stdin           send each line of standard input as a message;
                        empty lines are skipped

CurveZMQ, for a logger started with --curve-key (key files in ${KEYS_DIR}/):
      --curve-server-key KEY|FILE  the logger's public key, or its file:
                        encrypts, and only that logger can read the messages
      --curve-key FILE  this sender's key pair, for a logger with an allow-list
                        (default: a new pair each run)
      --keygen          print a new key pair file and exit; kept secret:
  mkdir -p ${KEYS_DIR} && (umask 077; ${COMMAND} --keygen > ${KEYS_DIR}/sender.key)
  -h, --help            print this help and exit

Options come first; the first word that is not an option starts the message.
Put -- before a message whose first word starts with '-'.

With --level, --tag, --timestamps or --hostname the message starts with a
header the logger reads: <LEVEL> SENT-TIME HOST TAG: text. Without them it
is sent as it is, like the book's script.

Example: ${COMMAND} arg1 arg2 arg3   logs the line "arg1 arg2 arg3"`;
}
