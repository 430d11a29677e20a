#!/usr/bin/env -S deno run -q --no-prompt -P=log_cmd_basic --allow-read=./keys
/**
 * Basic utility to send logs to the logger: chapter 2 of the book, on Deno.
 *
 * It joins its command-line arguments with single spaces into one message
 * and PUSHes it to logging_basic.ts. If the logger is not up yet, it waits
 * for it (saying so on stderr), delivers, and exits 0.
 *
 * Usage:
 *
 * ```sh
 * ./log_cmd_basic.ts arg1 arg2 arg3          # logs "arg1 arg2 arg3"
 * ./log_cmd_basic.ts --host raspberrypi.local Hello from the Pi
 * ./log_cmd_basic.ts --level warn --tag backup -T disk almost full
 * some_program | ./log_cmd_basic.ts --stdin --tag some_program
 * ./log_cmd_basic.ts --timeout 5 -- -42 is a message too
 * ./log_cmd_basic.ts --curve-server-key keys/logger.pub Hello, encrypted
 * ./log_cmd_basic.ts --help
 * ```
 *
 * Options come first; the first word that is not an option (or everything
 * after `--`) starts the message.
 *
 * From a Deno program, open once and log many:
 *
 * ```ts
 * import { LogSender } from "./log_cmd_basic.ts";
 * const log = new LogSender({ host: "desktop.local", tag: "sensor" });
 * log.info("started");
 * log.warn("temperature 71 C");
 * await log.close(); // delivers what is queued
 * ```
 *
 * Reading this file: constants; levels and the wire format (shared with
 * logging_basic.ts); options and the small pure functions; LogSender, the
 * long-lived sender; "The command" (one message, or --stdin); main(); then
 * CurveZMQ keys and the libzmq binding (both shared with logging_basic.ts).
 *
 * @module
 */

import { parseArgs } from "node:util";
// npm:zeromq's list of its native builds, each with libzmq inside: see zmq().
import zeromqBuilds from "zeromq/build/manifest.json" with { type: "json" };
const ZEROMQ_BUILD_DIR = import.meta.resolve("zeromq/build/manifest.json");

/** The port to send to. It MUST match the port in logging_basic.ts. */
export const PORT = 5555;

/** Where the logger runs: a name (resolved by the system) or an IP address. */
export const HOST = "localhost";

/** Largest message the logger takes by default (its --max-message-size). */
export const MAX_MESSAGE_SIZE = 65536;

/** Messages a LogSender keeps while the logger is unreachable. */
export const BUFFER_SIZE = 10_000;

/** How long the logger may be missing before we say that we are waiting. */
const WAIT_NOTICE_MS = 500;

/** How often a LogSender looks whether the logger refused its key, in ms. */
const HANDSHAKE_CHECK_MS = 100;

/** Longest sleep while a LogSender waits for room in its buffer. */
const ROOM_WAIT_MAX_MS = 50;

/** Room kept for the header when `--stdin` cuts a long line into messages. */
const HEADER_ROOM = 512;

const PROGRAM = "log_cmd_basic";

/** How a user runs us, for --help: a compiled binary goes by its name. */
const COMMAND = Deno.build.standalone ? PROGRAM : `./${PROGRAM}.ts`;

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

/** A command-line mistake: shown to the user as one line, exit status 2. */
export class UsageError extends Error {}

// ---- Levels and the wire format (this section is the same in both scripts) ----
//
// A log message is one ZeroMQ frame of UTF-8 text. Any text is a valid
// message: the book's senders send just that. A message may start with a
// header that names its level, when and where it was sent, and by what:
//
//   <warn> 2026-11-24T10:15:02.120Z raspberrypi backup: disk almost full
//
// that is `<LEVEL> SENT HOST TAG: TEXT`, with `-` for a field not given. A
// message without that header is an info message from an unknown host.

/** The log levels, least important first. */
export const LEVELS = ["debug", "info", "warn", "error", "critical"] as const;

/** A log level. */
export type Level = typeof LEVELS[number];

/** The names a level goes by (syslog's, Python's, log4j's), in lower case. */
const LEVEL_NAMES: Record<string, Level> = {
  debug: "debug",
  trace: "debug",
  info: "info",
  information: "info",
  notice: "info",
  warn: "warn",
  warning: "warn",
  error: "error",
  err: "error",
  critical: "critical",
  crit: "critical",
  fatal: "critical",
  alert: "critical",
  emerg: "critical",
  emergency: "critical",
  panic: "critical",
};

/**
 * Reads a level name in any case, or one of its aliases.
 *
 * @example
 * ```ts
 * parseLevel("WARNING", "send"); // "warn"
 * parseLevel("loud", "send"); // throws UsageError
 * ```
 */
export function parseLevel(
  text: string,
  action: string,
  flag = "--level",
): Level {
  const name = text.toLowerCase();
  if (!Object.hasOwn(LEVEL_NAMES, name)) {
    throw new UsageError(
      `Cannot ${action} as '${flag}' must be one of ${
        LEVELS.join(", ")
      } (or warning, err, crit, ...): current value is ${JSON.stringify(text)}`,
    );
  }
  return LEVEL_NAMES[name];
}

/** A log message: its level and text, and what its sender told about it. */
export interface LogMessage {
  level: Level;
  /** When it was sent, RFC 3339 in UTC, by the sender's clock. */
  sent?: string;
  /** The sender's host name. */
  host?: string;
  /** What sent it, like `logger -t`. */
  tag?: string;
  text: string;
}

const HEADER = new RegExp(
  `^<(${
    LEVELS.join("|")
  })> (-|\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(?:\\.\\d+)?Z) (\\S+) ([^\\s:]+): `,
);

/**
 * Writes a message as wire text: the header, then the text.
 *
 * @example
 * ```ts
 * formatMessage({ level: "warn", host: "pi", tag: "backup", text: "disk" });
 * // "<warn> - pi backup: disk"
 * ```
 */
export function formatMessage(message: LogMessage): string {
  const { level, sent, host, tag, text } = message;
  return `<${level}> ${sent ?? "-"} ${host ?? "-"} ${tag ?? "-"}: ${text}`;
}

/**
 * Reads wire text. Text without the header is an info message.
 *
 * @example
 * ```ts
 * parseMessage("<error> - pi backup: failed"); // { level: "error", host: "pi", tag: "backup", text: "failed" }
 * parseMessage("arg1 arg2 arg3"); // { level: "info", text: "arg1 arg2 arg3" }
 * ```
 */
export function parseMessage(raw: string): LogMessage {
  const header = HEADER.exec(raw);
  if (header === null) return { level: "info", text: raw };
  const message: LogMessage = {
    level: header[1] as Level,
    text: raw.slice(header[0].length),
  };
  if (header[2] !== "-") message.sent = header[2];
  if (header[3] !== "-") message.host = header[3];
  if (header[4] !== "-") message.tag = header[4];
  return message;
}

// ---- end of levels and the wire format ----

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
 * Turns an error from `parseArgs` into one line for the user.
 *
 * @example
 * ```ts
 * parseArgsProblem(new Error("Unknown option '--x'. To specify ..."));
 * // "Unknown option '--x'. To specify ..."
 * ```
 */
export function parseArgsProblem(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  // Node's message for "--port -1" spans three lines; say it in one.
  const ambiguous = /^Option '(?:-\w, )?(--[\w-]+)[^']*' argument is ambiguous/
    .exec(text);
  if (ambiguous) {
    const flag = ambiguous[1];
    return `Option '${flag}' needs a value (write ${flag}=VALUE for one that starts with '-')`;
  }
  return text.split("\n")[0];
}

/**
 * Reads a TCP port number from a command-line value.
 *
 * @example
 * ```ts
 * parsePort("5555", "send"); // 5555
 * parsePort("0", "send"); // throws UsageError
 * ```
 */
export function parsePort(text: string, action: string): number {
  const port = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(port >= 1 && port <= 65535)) {
    throw new UsageError(
      `Cannot ${action} as '--port' must be 1-65535: current value is ${
        JSON.stringify(text)
      }`,
    );
  }
  return port;
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

/**
 * Parses the sender's command line.
 *
 * @returns the options, or `undefined` when `--help` was asked for.
 * @example
 * ```ts
 * parseSenderArgs(["--host", "pi", "hello", "world"])?.message; // "hello world"
 * ```
 */
export function parseSenderArgs(args: string[]): SenderOptions | undefined {
  const { options, words } = splitOptions(args);
  let values;
  try {
    ({ values } = parseArgs({
      args: options,
      options: {
        host: { type: "string", short: "H", default: HOST },
        port: { type: "string", short: "p", default: String(PORT) },
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
    }));
  } catch (err) {
    throw new UsageError(
      `${
        parseArgsProblem(err)
      } (try --help; put -- before a message that starts with '-')`,
    );
  }
  if (values.help) return undefined;
  if (values.keygen && (options.length > 1 || words.length > 0)) {
    throw new UsageError(
      "'--keygen' goes alone: it prints a new key pair and exits",
    );
  }
  if (
    values["curve-key"] !== undefined &&
    values["curve-server-key"] === undefined
  ) {
    throw new UsageError(
      "Cannot send as '--curve-key' needs '--curve-server-key' (the logger's public key): add it",
    );
  }
  for (const flag of ["curve-key", "curve-server-key"] as const) {
    if (values[flag] === "") {
      throw new UsageError(
        `Cannot send as '--${flag}' must name a key or a file: current value is ""`,
      );
    }
  }
  const port = parsePort(values.port, "send");
  const host = values.host;
  // Letters, digits and . - _ for names; : and % for IPv6, optionally in [ ].
  if (!/^(\[[\w.:%-]+\]|[\w.:%-]+)$/.test(host)) {
    throw new UsageError(
      `Cannot send as '--host' must be a host name or IP address: current value is ${
        JSON.stringify(host)
      }`,
    );
  }
  let timeout: number | undefined;
  if (values.timeout !== undefined) {
    timeout = /^\d+(\.\d+)?$/.test(values.timeout)
      ? Number(values.timeout)
      : NaN;
    if (!(timeout > 0)) {
      throw new UsageError(
        `Cannot send as '--timeout' must be a number of seconds above 0: current value is ${
          JSON.stringify(values.timeout)
        }`,
      );
    }
  }
  if (values.stdin && words.length > 0) {
    throw new UsageError(
      `Cannot send as '--stdin' reads the messages from standard input: remove the words ${
        JSON.stringify(words.join(" "))
      }`,
    );
  }
  const message = words.join(" ");
  if (encoder.encode(message).length > MAX_MESSAGE_SIZE - HEADER_ROOM) {
    throw new UsageError(
      `Cannot send as the message is longer than the logger takes (${
        MAX_MESSAGE_SIZE - HEADER_ROOM
      } bytes): send long text through --stdin, which cuts it into messages`,
    );
  }
  return {
    host,
    port,
    timeout,
    header: values.level !== undefined || values.tag !== undefined ||
      values.hostname !== undefined || values.timestamps,
    level: values.level === undefined
      ? "info"
      : parseLevel(values.level, "send"),
    tag: values.tag === undefined ? undefined : parseWord(values.tag, "--tag"),
    hostname: values.hostname === undefined
      ? undefined
      : parseWord(values.hostname, "--hostname"),
    timestamps: values.timestamps,
    stdin: values.stdin,
    message,
    curveServerKey: values["curve-server-key"],
    curveKey: values["curve-key"],
    keygen: values.keygen,
  };
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
  const name = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  return `tcp://${name}:${port}`;
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

function printUsage(): void {
  console.log(`Basic utility to send logs to the logger: joins its arguments
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
      --keygen          print a new key pair file and exit:
                        ${COMMAND} --keygen > ${KEYS_DIR}/sender.key
  -h, --help            print this help and exit

Options come first; the first word that is not an option starts the message.
Put -- before a message whose first word starts with '-'.

With --level, --tag, --timestamps or --hostname the message starts with a
header the logger reads: <LEVEL> SENT-TIME HOST TAG: text. Without them it
is sent as it is, like the book's script.

Example: ${COMMAND} arg1 arg2 arg3   logs the line "arg1 arg2 arg3"`);
}

const encoder = new TextEncoder();

/** The name of the program that logs: its main module's file name. */
function programName(): string {
  const file = Deno.mainModule.split("/").pop() ?? PROGRAM;
  return file.replace(/\.[^.]*$/, "").replace(/[\s:]/g, "_") || PROGRAM;
}

/** This machine's name; `undefined` if Deno may not ask. */
function hostName(): string | undefined {
  try {
    return Deno.hostname().replace(/[\s:]/g, "_");
  } catch {
    return undefined;
  }
}

// ---- The long-lived sender, for Deno programs ----

/** How to reach the logger, and what to say about the messages. */
export interface LogSenderOptions {
  /** The logger's host name or address (default `localhost`). */
  host?: string;
  /** The logger's port (default 5555). */
  port?: number;
  /** What is logging (default: the main module's file name). */
  tag?: string;
  /** This machine's name as sent (default: asked of the system). */
  hostname?: string;
  /** Put the sending time in each message (default true). */
  timestamps?: boolean;
  /** Send the bare text, without the header (default false). */
  plain?: boolean;
  /** Messages kept while the logger is unreachable (default 10,000). */
  bufferSize?: number;
  /** CurveZMQ: the logger's public key and this sender's key pair. */
  curve?: SenderCurve;
}

/** A sender's CurveZMQ keys: the logger's public key and its own pair. */
export interface SenderCurve {
  serverKey: string;
  publicKey: string;
  secretKey: string;
}

/**
 * The CurveZMQ keys the command line names: the logger's public key (given,
 * or read from its file) and this sender's pair (read, or made for this run).
 */
function senderCurve(options: SenderOptions): SenderCurve | undefined {
  if (options.curveServerKey === undefined) return undefined;
  const serverKey = isKey(options.curveServerKey)
    ? options.curveServerKey
    : readKeyFile(options.curveServerKey, "--curve-server-key", false)
      .publicKey;
  const own = options.curveKey === undefined
    ? newKeyPair()
    : readKeyFile(options.curveKey, "--curve-key", true);
  return { serverKey, publicKey: own.publicKey, secretKey: own.secretKey! };
}

/** Socket options that make a PUSH socket a CurveZMQ client. */
function curveClientOptions(curve?: SenderCurve): Record<number, string> {
  if (curve === undefined) return {};
  return {
    [ZMQ.CURVE_SERVERKEY]: curve.serverKey,
    [ZMQ.CURVE_PUBLICKEY]: curve.publicKey,
    [ZMQ.CURVE_SECRETKEY]: curve.secretKey,
  };
}

let monitors = 0;

/**
 * A socket that hears of `socket`'s failed handshakes (libzmq's socket
 * monitor): a refused or missing CurveZMQ key would otherwise look like a
 * missing logger.
 */
function watchHandshakes(context: Handle, socket: Handle): Handle {
  const endpoint = `inproc://${PROGRAM}-handshakes-${monitors++}`;
  const events = ZMQ.EVENT_HANDSHAKE_FAILED_NO_DETAIL |
    ZMQ.EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ.EVENT_HANDSHAKE_FAILED_AUTH;
  check(
    zmq().zmq_socket_monitor(socket, cString(endpoint), events),
    "Cannot watch the handshake with the logger",
  );
  const monitor = openSocket(context, ZMQ.PAIR, { [ZMQ.LINGER]: 0 });
  check(
    zmq().zmq_connect(monitor, cString(endpoint)),
    "Cannot watch the handshake with the logger",
  );
  return monitor;
}

/** Why the handshake with the logger failed, if `monitor` heard that it did. */
function handshakeProblem(
  monitor: Handle,
  where: string,
  curve?: SenderCurve,
): string | undefined {
  let problem: string | undefined;
  for (let frames; (frames = receiveFrames(monitor)) !== undefined;) {
    // Event frame: the event (16 bits) and a value (32 bits), little-endian.
    const event = new DataView(frames[0].buffer).getUint16(0, true);
    if (event === ZMQ.EVENT_HANDSHAKE_FAILED_AUTH && curve) {
      problem =
        `the logger at ${where} refused this sender: its CurveZMQ public key ${curve.publicKey} is not on the logger's --curve-allow list`;
    } else if (curve) {
      problem ??=
        `the CurveZMQ handshake with the logger at ${where} failed: is --curve-server-key the logger's public key, and does the logger run with --curve-key?`;
    } else {
      problem ??=
        `the handshake with the logger at ${where} failed: if it runs with --curve-key, give its public key with --curve-server-key`;
    }
  }
  return problem;
}

/**
 * A connection to the logger that stays open: open once, log many, close.
 *
 * It reconnects by itself when the logger restarts. While the logger is
 * unreachable, messages wait in a buffer of `bufferSize` messages (ZeroMQ's
 * send high-water mark) and are delivered once it is back. When the buffer is
 * full, {@link log} drops the message and counts it in {@link dropped}; the
 * next message that gets through is preceded by a warning that says how many
 * were dropped, and the first drop is reported on stderr. {@link send} waits
 * for room instead.
 *
 * With `curve` it talks CurveZMQ (see {@link SenderCurve}); once the logger
 * has refused its key or the handshake failed, {@link log}, {@link send} and
 * the like throw an Error that says so, {@link refused} holds the reason,
 * and {@link close} resolves to `false` at once.
 *
 * @example
 * ```ts
 * const log = new LogSender({ tag: "sensor" });
 * log.info("started");
 * await log.send("warn", "temperature 71 C"); // waits if the buffer is full
 * await log.close();
 * ```
 */
export class LogSender {
  readonly #context: Handle;
  readonly #socket: Handle;
  readonly #where: string;
  readonly #endpoint: string;
  readonly #options: LogSenderOptions & { tag: string; bufferSize: number };
  readonly #monitor?: Handle;
  #refused?: string;
  #checked = 0;
  #dropped = 0;
  #unreported = 0;
  #closed = false;

  constructor(options: LogSenderOptions = {}) {
    const host = options.host ?? HOST;
    const port = options.port ?? PORT;
    this.#where = `${host}:${port}`;
    this.#endpoint = connectEndpoint(host, port);
    this.#options = {
      ...options,
      tag: options.tag ?? programName(),
      hostname: options.hostname ?? hostName(),
      bufferSize: options.bufferSize ?? BUFFER_SIZE,
    };
    this.#context = zmq().zmq_ctx_new();
    // No immediate: messages queue for the logger while it is away, up to SNDHWM.
    this.#socket = openSocket(this.#context, ZMQ.PUSH, {
      [ZMQ.SNDHWM]: this.#options.bufferSize,
      [ZMQ.IPV6]: host.includes(":") ? 1 : 0,
      ...curveClientOptions(options.curve),
    });
    if (options.curve) {
      this.#monitor = watchHandshakes(this.#context, this.#socket);
    }
    check(
      zmq().zmq_connect(this.#socket, cString(this.#endpoint)),
      `Cannot connect to ${this.#where}`,
    );
  }

  /** Why the logger would not take this sender, once it said so. */
  get refused(): string | undefined {
    return this.#refused;
  }

  /** Messages dropped so far because the buffer was full. */
  get dropped(): number {
    return this.#dropped;
  }

  /** The wire text for a message at `level`. */
  format(level: Level, text: string): string {
    if (this.#options.plain) return text;
    return formatMessage({
      level,
      sent: this.#options.timestamps === false
        ? undefined
        : new Date().toISOString(),
      host: this.#options.hostname,
      tag: this.#options.tag,
      text,
    });
  }

  /**
   * Throws when the logger refused this sender's CurveZMQ handshake. Unless
   * `always`, it looks at most every HANDSHAKE_CHECK_MS, to keep log() cheap.
   */
  #checkHandshake(always = false): void {
    const now = Date.now();
    if (
      this.#monitor !== undefined && this.#refused === undefined &&
      (always || now - this.#checked >= HANDSHAKE_CHECK_MS)
    ) {
      this.#checked = now;
      this.#refused = handshakeProblem(
        this.#monitor,
        this.#where,
        this.#options.curve!,
      );
    }
    if (this.#refused !== undefined) throw new Error(this.#refused);
  }

  /** Queues raw wire text; false when the buffer is full. */
  #queue(raw: string): boolean {
    if (this.#closed) throw new Error("This LogSender is closed");
    this.#checkHandshake();
    if (this.#unreported > 0) {
      const notice = this.format(
        "warn",
        `${this.#unreported} messages dropped: the logger at ${this.#where} was unreachable and the buffer of ${this.#options.bufferSize} was full`,
      );
      if (!this.#trySend(notice)) return false;
      this.#unreported = 0;
    }
    return this.#trySend(raw);
  }

  #trySend(raw: string): boolean {
    const bytes = encoder.encode(raw);
    const rc = uninterrupted(() =>
      zmq().zmq_send(this.#socket, bytes, BigInt(bytes.length), ZMQ.DONTWAIT)
    );
    if (rc !== -1) return true;
    if (zmq().zmq_errno() !== ZMQ.EAGAIN) {
      check(rc, `Cannot send to ${this.#where}`);
    }
    return false;
  }

  /**
   * Logs `text` at `level` without waiting. Returns false, and counts the
   * message as dropped, when the buffer is full.
   */
  log(level: Level, text: string): boolean {
    if (this.#queue(this.format(level, text))) return true;
    if (this.#dropped === 0) {
      console.error(
        `${PROGRAM}: the logger at ${this.#where} is unreachable and the buffer of ${this.#options.bufferSize} messages is full; dropping messages (counted)`,
      );
    }
    this.#dropped++;
    this.#unreported++;
    return false;
  }

  debug(text: string): boolean {
    return this.log("debug", text);
  }
  info(text: string): boolean {
    return this.log("info", text);
  }
  warn(text: string): boolean {
    return this.log("warn", text);
  }
  error(text: string): boolean {
    return this.log("error", text);
  }
  critical(text: string): boolean {
    return this.log("critical", text);
  }

  /**
   * Logs `text` at `level`, waiting while the buffer is full. Rejects when
   * `timeoutMs` passes first.
   */
  async send(level: Level, text: string, timeoutMs = Infinity): Promise<void> {
    await this.sendRaw(this.format(level, text), timeoutMs);
  }

  /**
   * Sends wire text as it is, waiting while the buffer is full; `onSlow` is
   * called once if that takes more than half a second.
   */
  async sendRaw(
    raw: string,
    timeoutMs = Infinity,
    onSlow?: () => void,
  ): Promise<void> {
    const start = Date.now();
    let wait = 1;
    let told = false;
    // Look at the socket on a timer: a zmq_poll on a worker thread would use
    // the socket while log() may use it here.
    while (!this.#queue(raw)) {
      if (Date.now() - start >= timeoutMs) {
        throw new Error(
          `No room for the message: the logger at ${this.#where} is unreachable`,
        );
      }
      if (!told && onSlow && Date.now() - start >= WAIT_NOTICE_MS) {
        onSlow();
        told = true;
      }
      await new Promise((resolve) => setTimeout(resolve, wait));
      wait = Math.min(wait * 2, ROOM_WAIT_MAX_MS);
    }
  }

  /**
   * Closes the connection once everything queued is delivered. With a
   * `timeoutMs` it waits no longer than that, and resolves to `false` when
   * the logger could not be reached in that time: what was queued is then
   * lost, and the caller should say so. Without one it waits as long as it
   * takes and resolves to `true`.
   */
  async close(timeoutMs = Infinity): Promise<boolean> {
    if (this.#closed) return true;
    this.#closed = true;
    const started = Date.now();
    let reachable = true;
    try {
      this.#checkHandshake(true);
    } catch {
      reachable = false; // refused: what is queued can never be delivered
      timeoutMs = 0;
    }
    if (Number.isFinite(timeoutMs) && reachable) {
      // ZeroMQ cannot say whether a queue was delivered; it can say whether
      // a logger accepts connections: ask with a second, immediate socket.
      const probe = openSocket(this.#context, ZMQ.PUSH, {
        [ZMQ.IMMEDIATE]: 1,
        [ZMQ.LINGER]: 0,
        ...curveClientOptions(this.#options.curve),
      });
      zmq().zmq_connect(probe, cString(this.#endpoint));
      const [events] = await poll([probe], ZMQ.POLLOUT, Math.max(0, timeoutMs));
      reachable = (events & ZMQ.POLLOUT) !== 0;
      zmq().zmq_close(probe);
    }
    const left = timeoutMs - (Date.now() - started);
    const linger = !reachable
      ? 0
      : Number.isFinite(left)
      ? Math.max(100, Math.round(left))
      : -1;
    zmq().zmq_setsockopt(
      this.#socket,
      ZMQ.LINGER,
      new Int32Array([linger]),
      4n,
    );
    zmq().zmq_close(this.#socket);
    if (this.#monitor !== undefined) zmq().zmq_close(this.#monitor);
    await terminate(this.#context); // returns when delivered, or linger ran out
    return reachable;
  }
}

// ---- The command ----

/**
 * Waits until the PUSH socket has a connection to the logger. The socket has
 * `immediate` set, so it can send only once a logger accepted the connection.
 *
 * @returns `true` when connected, `false` when `timeoutMs` ran out first.
 */
async function waitForLogger(
  socket: Handle,
  timeoutMs: number,
  onSlow: () => void,
  handshakes: { monitor: Handle; problem: () => string | undefined },
): Promise<boolean> {
  const start = Date.now();
  let told = false;
  const sockets = [socket, handshakes.monitor];
  while (true) {
    const waited = Date.now() - start;
    if (waited >= timeoutMs) return false;
    const next = told ? timeoutMs : Math.min(timeoutMs, WAIT_NOTICE_MS);
    const [events, heard] = await poll(
      sockets,
      [ZMQ.POLLOUT, ZMQ.POLLIN],
      Math.min(next - waited, 2 ** 31 - 1),
    );
    if (events & ZMQ.POLLOUT) return true;
    if (heard) {
      const problem = handshakes.problem();
      if (problem !== undefined) throw new Error(problem);
    }
    if (!told && Date.now() - start >= WAIT_NOTICE_MS) {
      onSlow();
      told = true;
    }
  }
}

/** The message as sent: bare, or with the header the options ask for. */
export function wireText(options: SenderOptions, text: string): string {
  if (!options.header) return text;
  return formatMessage({
    level: options.level,
    sent: options.timestamps ? new Date().toISOString() : undefined,
    host: options.hostname ?? hostName(),
    tag: options.tag ?? PROGRAM,
    text,
  });
}

/** Sends the one message of the command line; resolves to the exit status. */
async function sendOnce(
  options: SenderOptions,
  curve?: SenderCurve,
): Promise<number> {
  const where = `${options.host}:${options.port}`;
  const timeoutMs = options.timeout === undefined
    ? Infinity
    : options.timeout * 1000;
  const started = Date.now();
  const context = zmq().zmq_ctx_new();
  // immediate: queue nothing until a logger is really there (see waitForLogger).
  const socket = openSocket(context, ZMQ.PUSH, {
    [ZMQ.IMMEDIATE]: 1,
    [ZMQ.LINGER]: 0,
    [ZMQ.IPV6]: options.host.includes(":") ? 1 : 0,
    ...curveClientOptions(curve),
  });
  // A failed handshake (a refused or missing key) is not a missing logger.
  const monitor = watchHandshakes(context, socket);
  const finish = async (linger: number) => {
    zmq().zmq_setsockopt(socket, ZMQ.LINGER, new Int32Array([linger]), 4n);
    zmq().zmq_close(socket);
    zmq().zmq_close(monitor);
    await terminate(context);
  };
  try {
    check(
      zmq().zmq_connect(
        socket,
        cString(connectEndpoint(options.host, options.port)),
      ),
      `Cannot connect to ${where}`,
    );
    const connected = await waitForLogger(
      socket,
      timeoutMs,
      () => {
        const limit = options.timeout === undefined
          ? "Ctrl-C to give up"
          : `giving up after ${options.timeout} s`;
        console.error(
          `${PROGRAM}: waiting for the logger at ${where} (${limit})`,
        );
      },
      { monitor, problem: () => handshakeProblem(monitor, where, curve) },
    );
    if (!connected) {
      await finish(0);
      console.error(
        `${PROGRAM}: no logger at ${where} after ${options.timeout} s; message not sent`,
      );
      return 1;
    }
    const bytes = encoder.encode(wireText(options, options.message));
    check(
      uninterrupted(() =>
        zmq().zmq_send(socket, bytes, BigInt(bytes.length), ZMQ.DONTWAIT)
      ),
      `Cannot send to ${where}`,
    );
  } catch (err) {
    await finish(0);
    console.error(`${PROGRAM}: ${describe(err)}`);
    return 1;
  }
  // Deliver before we end: the rest of --timeout, or as long as it takes.
  const left = timeoutMs - (Date.now() - started);
  await finish(Number.isFinite(left) ? Math.max(100, Math.round(left)) : -1);
  return 0;
}

/**
 * Sends each line of standard input as a message, skipping empty lines. It
 * reads no more than it can send: while the buffer is full it stops reading,
 * so memory stays bounded on endless input. Resolves to the exit status.
 */
async function sendLines(
  options: SenderOptions,
  curve?: SenderCurve,
): Promise<number> {
  const where = `${options.host}:${options.port}`;
  const timeoutMs = options.timeout === undefined
    ? Infinity
    : options.timeout * 1000;
  let sender: LogSender;
  try {
    sender = new LogSender({
      host: options.host,
      port: options.port,
      tag: options.tag ?? PROGRAM,
      hostname: options.hostname,
      timestamps: options.timestamps,
      plain: !options.header,
      curve,
    });
  } catch (err) {
    console.error(`${PROGRAM}: ${describe(err)}`);
    return 1;
  }
  const maxText = MAX_MESSAGE_SIZE - HEADER_ROOM;
  let sent = 0;
  let told = false;
  const onSlow = () => {
    if (told) return;
    told = true;
    const limit = options.timeout === undefined
      ? "Ctrl-C to give up"
      : `giving up after ${options.timeout} s`;
    console.error(
      `${PROGRAM}: waiting for the logger at ${where}; ${sent} lines sent, the rest wait (${limit})`,
    );
  };
  const sendLine = async (line: string) => {
    if (line.endsWith("\r")) line = line.slice(0, -1);
    if (line === "") return;
    for (const piece of splitText(line, maxText)) {
      await sender.sendRaw(
        sender.format(options.level, piece),
        timeoutMs,
        onSlow,
      );
      sent++;
    }
  };
  const decoder = new TextDecoder();
  let rest = "";
  try {
    for await (const chunk of Deno.stdin.readable) {
      const lines = (rest + decoder.decode(chunk, { stream: true })).split(
        "\n",
      );
      rest = lines.pop()!;
      for (const line of lines) await sendLine(line);
      // A line with no end in sight: send what we have, so memory stays bounded.
      if (rest.length > maxText) {
        const pieces = splitText(rest, maxText);
        rest = pieces.pop()!;
        for (const piece of pieces) await sendLine(piece);
      }
    }
    await sendLine(rest + decoder.decode());
  } catch (err) {
    await sender.close(0);
    console.error(`${PROGRAM}: ${describe(err)}; ${sent} lines sent`);
    return 1;
  }
  if (!await sender.close(timeoutMs)) {
    console.error(
      `${PROGRAM}: ${
        sender.refused ?? `no logger at ${where} after ${options.timeout} s`
      }; up to ${sent} lines were not delivered`,
    );
    return 1;
  }
  return 0;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Runs the sender; resolves to the process exit status. */
export async function main(args: string[]): Promise<number> {
  let options;
  try {
    options = parseSenderArgs(args);
  } catch (err) {
    console.error(`${PROGRAM}: ${describe(err)}`);
    return 2;
  }
  if (options === undefined) {
    printUsage();
    return 0;
  }
  let curve;
  try {
    if (options.keygen) {
      printNewKeys();
      return 0;
    }
    curve = senderCurve(options);
  } catch (err) {
    console.error(`${PROGRAM}: ${describe(err)}`);
    return 1;
  }
  return options.stdin
    ? await sendLines(options, curve)
    : await sendOnce(options, curve);
}

// ---- CurveZMQ keys (this section is the same in both scripts) ----
//
// Key files use czmq's zcert format, so keys made by its tools work too. A
// secret file holds both keys; the public key alone goes to the other side.

/** Where the scripts may read key files: their shebangs' --allow-read. */
export const KEYS_DIR = "./keys";

/** A CurveZMQ key pair (or a public key alone), as 40 characters of Z85. */
export interface CurveKeys {
  publicKey: string;
  secretKey?: string;
}

const Z85_KEY = /^[0-9a-zA-Z.\-:+=^!/*?&<>()[\]{}@%$#]{40}$/;

/** Whether `text` is a CurveZMQ key in Z85 (40 characters). */
export function isKey(text: string): boolean {
  return Z85_KEY.test(text);
}

/** A new key pair from libzmq (random, from the system's generator). */
function newKeyPair(): Required<CurveKeys> {
  const publicKey = new Uint8Array(41);
  const secretKey = new Uint8Array(41);
  check(
    zmq().zmq_curve_keypair(publicKey, secretKey),
    "Cannot make a CurveZMQ key pair",
  );
  const text = (z85: Uint8Array) =>
    new TextDecoder().decode(z85.subarray(0, 40));
  return { publicKey: text(publicKey), secretKey: text(secretKey) };
}

/** The public key that belongs to `secretKey`, from libzmq. */
function publicKeyOf(secretKey: string): string {
  const publicKey = new Uint8Array(41);
  check(
    zmq().zmq_curve_public(publicKey, cString(secretKey)),
    "Cannot check a CurveZMQ key",
  );
  return new TextDecoder().decode(publicKey.subarray(0, 40));
}

/**
 * The text of a secret key file, in czmq's zcert format.
 *
 * @example
 * ```ts
 * formatKeyFile({ publicKey: "...", secretKey: "..." }, "2026-11-24T10:00:00Z");
 * // "#   ****  Generated on 2026-11-24T10:00:00Z by zmqlog --keygen  ****\n..."
 * ```
 */
export function formatKeyFile(keys: Required<CurveKeys>, made: string): string {
  return [
    `#   ****  Generated on ${made} by zmqlog --keygen  ****`,
    "#   ZeroMQ CURVE **Secret** Certificate",
    "#   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.",
    "",
    "metadata",
    "curve",
    `    public-key = "${keys.publicKey}"`,
    `    secret-key = "${keys.secretKey}"`,
    "",
  ].join("\n");
}

/**
 * The keys in a key file's text (zcert format: `public-key = "..."` and, in
 * a secret file, `secret-key = "..."`), or a bare public key on a line.
 *
 * @example
 * ```ts
 * parseKeyFile('curve\n    public-key = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"\n');
 * // { publicKey: "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7" }
 * ```
 */
export function parseKeyFile(text: string): CurveKeys | undefined {
  const field = (name: string) =>
    text.match(new RegExp(`^\\s*${name}\\s*=\\s*"([^"]*)"\\s*$`, "m"))?.[1];
  const publicKey = field("public-key") ??
    text.split("\n").map((line) => line.trim()).find(isKey);
  const secretKey = field("secret-key");
  if (publicKey === undefined || !isKey(publicKey)) return undefined;
  if (secretKey !== undefined && !isKey(secretKey)) return undefined;
  return secretKey === undefined ? { publicKey } : { publicKey, secretKey };
}

/** The text of a file of keys given to `flag`, or one line on why not. */
function readKeyText(path: string, flag: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch (err) {
    const why = err instanceof Deno.errors.NotCapable
      ? `Deno may read key files only in ${KEYS_DIR}/ (the shebang's --allow-read), so keep them there`
      : err instanceof Deno.errors.NotFound
      ? "there is no such file"
      : describe(err);
    throw new Error(`Cannot read '${flag}' ${path}: ${why}`);
  }
}

/**
 * Reads the key file given to `flag`; with `secret`, it must hold a matching
 * key pair. Explains in one line what is wrong with it.
 */
function readKeyFile(path: string, flag: string, secret: boolean): CurveKeys {
  const keys = parseKeyFile(readKeyText(path, flag));
  if (keys === undefined) {
    throw new Error(
      `Cannot use '${flag}' as it holds no CurveZMQ public-key: current value is ${path}`,
    );
  }
  if (secret && keys.secretKey === undefined) {
    throw new Error(
      `Cannot use '${flag}' as it holds no secret-key (a public key file?): current value is ${path}`,
    );
  }
  if (keys.secretKey !== undefined) warnIfShared(path, flag);
  if (
    keys.secretKey !== undefined &&
    publicKeyOf(keys.secretKey) !== keys.publicKey
  ) {
    throw new Error(
      `Cannot use '${flag}' as its public-key does not belong to its secret-key: current value is ${path}`,
    );
  }
  return keys;
}

/** Warns on stderr when users other than the owner may read a secret key. */
function warnIfShared(path: string, flag: string): void {
  const mode = Deno.statSync(path).mode;
  if (mode !== null && (mode & 0o077) !== 0) {
    console.error(
      `${PROGRAM}: warning: '${flag}' ${path} holds a secret key that other users may read (mode ${
        (mode & 0o777).toString(8)
      }): chmod 600 ${path}`,
    );
  }
}

/** Prints a new key pair file on stdout and its public key on stderr. */
function printNewKeys(): void {
  const keys = newKeyPair();
  console.log(formatKeyFile(keys, new Date().toISOString()).trimEnd());
  console.error(
    `${PROGRAM}: new CurveZMQ key pair; keep its file secret (chmod 600). Its public key, for the other side: ${keys.publicKey}`,
  );
}

// ---- end of CurveZMQ keys ----

// ---- libzmq through Deno FFI (this section is the same in both scripts) ----
//
// zeromq.js waits for its sockets with libuv's uv_poll, which Deno stops after
// its first callback (Deno issue 36317, see PLATFORM.md): a receiver stalls
// after its first message. So we call libzmq's C API directly, in the native
// addon that npm:zeromq ships (libzmq 4.3.5 is linked into it). Calls that
// wait (zmq_poll, zmq_ctx_term) run on Deno's FFI worker threads. Handles are
// plain integers and data moves only through our own buffers, so Deno's
// `--allow-ffi` can stay scoped to ./node_modules.

const ZMQ_SYMBOLS = {
  zmq_errno: { parameters: [], result: "i32" },
  zmq_strerror: { parameters: ["i32"], result: "usize" },
  // From the C library the addon links to: to copy zmq_strerror's text, and
  // to remove the Unix socket file an ipc:// bind makes (libzmq leaves it).
  strlen: { parameters: ["usize"], result: "usize" },
  memcpy: { parameters: ["buffer", "usize", "usize"], result: "usize" },
  unlink: { parameters: ["buffer"], result: "i32" },
  zmq_ctx_new: { parameters: [], result: "usize" },
  zmq_ctx_term: { parameters: ["usize"], result: "i32", nonblocking: true },
  zmq_socket: { parameters: ["usize", "i32"], result: "usize" },
  zmq_close: { parameters: ["usize"], result: "i32" },
  zmq_setsockopt: {
    parameters: ["usize", "i32", "buffer", "usize"],
    result: "i32",
  },
  zmq_bind: { parameters: ["usize", "buffer"], result: "i32" },
  zmq_connect: { parameters: ["usize", "buffer"], result: "i32" },
  zmq_send: { parameters: ["usize", "buffer", "usize", "i32"], result: "i32" },
  zmq_recv: { parameters: ["usize", "buffer", "usize", "i32"], result: "i32" },
  zmq_poll: {
    parameters: ["buffer", "i32", "i64"],
    result: "i32",
    nonblocking: true,
  },
  zmq_getsockopt: {
    parameters: ["usize", "i32", "buffer", "buffer"],
    result: "i32",
  },
  zmq_socket_monitor: { parameters: ["usize", "buffer", "i32"], result: "i32" },
  zmq_curve_keypair: { parameters: ["buffer", "buffer"], result: "i32" },
  zmq_curve_public: { parameters: ["buffer", "buffer"], result: "i32" },
  zmq_z85_encode: {
    parameters: ["buffer", "buffer", "usize"],
    result: "usize",
  },
} as const;

/** The libzmq constants we use (zmq.h; errno values are Linux's). */
const ZMQ = {
  PAIR: 0,
  REQ: 3,
  REP: 4,
  PULL: 7,
  PUSH: 8,
  LINGER: 17,
  MAXMSGSIZE: 22,
  SNDHWM: 23,
  RCVHWM: 24,
  IMMEDIATE: 39,
  IPV6: 42,
  CURVE_SERVER: 47,
  CURVE_PUBLICKEY: 48,
  CURVE_SECRETKEY: 49,
  CURVE_SERVERKEY: 50,
  ZAP_DOMAIN: 55,
  RCVMORE: 13,
  DONTWAIT: 1,
  SNDMORE: 2,
  POLLIN: 1,
  POLLOUT: 2,
  EINTR: 4,
  EAGAIN: 11,
  EADDRINUSE: 98,
  EVENT_CONNECT_RETRIED: 0x0004,
  EVENT_HANDSHAKE_FAILED_NO_DETAIL: 0x0800,
  EVENT_HANDSHAKE_FAILED_PROTOCOL: 0x2000,
  EVENT_HANDSHAKE_FAILED_AUTH: 0x4000,
} as const;

type Libzmq = Deno.DynamicLibrary<typeof ZMQ_SYMBOLS>["symbols"];

/** A libzmq context or socket: the C pointer, as a number. */
type Handle = bigint;

/** A libzmq call failed: `errno` is libzmq's error number. */
class ZmqError extends Error {
  constructor(readonly errno: number, message: string) {
    super(message);
  }
}

let libzmq: Libzmq | undefined;

/**
 * libzmq, opened on first use from npm:zeromq's addon for this platform. The
 * package lists its builds in build/manifest.json; the first of ours that
 * loads wins (the builds differ in the glibc version they need).
 */
function zmq(): Libzmq {
  if (libzmq) return libzmq;
  const arch = Deno.build.arch === "aarch64" ? "arm64" : "x64";
  const libc = Deno.build.os === "darwin"
    ? "libc"
    : Deno.build.env === "musl"
    ? "musl"
    : "glibc";
  const builds = Object.entries(zeromqBuilds)
    .map(([key, path]) => ({ ...JSON.parse(key), path }))
    .filter((b) => b.os === Deno.build.os && b.arch === arch && b.libc === libc)
    .sort((a, b) => b.abi - a.abi);
  const problems: string[] = [];
  for (const build of builds) {
    try {
      libzmq = Deno.dlopen(new URL(build.path, ZEROMQ_BUILD_DIR), ZMQ_SYMBOLS)
        .symbols;
      return libzmq;
    } catch (err) {
      if (err instanceof Deno.errors.NotCapable) {
        // The same for every build: say it once, with what may fix it.
        throw new Error(
          `Cannot load libzmq: ${err.message}${
            Deno.build.standalone
              ? " (a compiled binary finds it under /tmp/deno-compile-<its name>: keep the name it was built with and leave TMPDIR unset)"
              : ""
          }`,
        );
      }
      problems.push(err instanceof Error ? err.message : String(err));
    }
  }
  throw new Error(
    `Cannot load libzmq from npm:zeromq for ${Deno.build.target}: ${
      problems.join("; ") || "it has no build for this platform"
    }`,
  );
}

/** Throws a ZmqError with libzmq's words for its last error when `rc` is -1. */
function check(rc: number, what: string): number {
  if (rc !== -1) return rc;
  const errno = zmq().zmq_errno();
  const text = zmq().zmq_strerror(errno);
  const bytes = new Uint8Array(Number(zmq().strlen(text)));
  zmq().memcpy(bytes, text, BigInt(bytes.length));
  throw new ZmqError(errno, `${what}: ${new TextDecoder().decode(bytes)}`);
}

/**
 * Calls libzmq until a signal does not interrupt it: a signal that lands
 * while libzmq is in a system call on this thread makes it fail with EINTR.
 */
function uninterrupted(call: () => number): number {
  while (true) {
    const rc = call();
    if (rc !== -1 || zmq().zmq_errno() !== ZMQ.EINTR) return rc;
  }
}

/** A NUL-terminated copy of `text`, for C. */
function cString(text: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(`${text}\0`);
}

/**
 * Creates a socket of `type` with options set, e.g. `{[ZMQ.LINGER]: 0}`;
 * a string value (a key, a domain) is passed as its bytes.
 */
function openSocket(
  context: Handle,
  type: number,
  options: Record<number, number | string>,
): Handle {
  const socket = zmq().zmq_socket(context, type);
  if (socket === 0n) check(-1, "Cannot create a ZeroMQ socket");
  for (const [option, value] of Object.entries(options)) {
    // ZMQ_MAXMSGSIZE is a 64-bit integer, the others we use are ints.
    const bytes = typeof value === "string"
      ? new TextEncoder().encode(value)
      : Number(option) === ZMQ.MAXMSGSIZE
      ? new BigInt64Array([BigInt(value)])
      : new Int32Array([value]);
    check(
      zmq().zmq_setsockopt(
        socket,
        Number(option),
        bytes,
        BigInt(bytes.byteLength),
      ),
      `Cannot set ZeroMQ socket option ${option}`,
    );
  }
  return socket;
}

/**
 * Waits up to `timeoutMs` (-1: no limit) until one of `sockets` has one of
 * `events` (ZMQ.POLLIN, ZMQ.POLLOUT; one for all, or one per socket);
 * returns the events each has. A signal that interrupts the wait counts as
 * the time running out.
 */
async function poll(
  sockets: Handle[],
  events: number | number[],
  timeoutMs: number,
): Promise<number[]> {
  // zmq_pollitem_t on 64-bit: void *socket; int fd; short events, revents.
  const items = new DataView(new ArrayBuffer(16 * sockets.length));
  sockets.forEach((socket, i) => {
    items.setBigUint64(16 * i, socket, true);
    items.setInt16(
      16 * i + 12,
      Array.isArray(events) ? events[i] : events,
      true,
    );
  });
  const rc = await zmq().zmq_poll(
    new Uint8Array(items.buffer),
    sockets.length,
    BigInt(Math.round(timeoutMs)),
  );
  // zmq_poll ran on a worker thread, whose errno we cannot read here; the
  // only error it can meet with our sockets is EINTR: no events, then.
  if (rc === -1) return sockets.map(() => 0);
  return sockets.map((_, i) => items.getInt16(16 * i + 14, true));
}

/**
 * Takes one waiting multi-frame message off `socket` without waiting: its
 * frames, each cut at `maxBytes`; undefined when nothing is waiting.
 */
function receiveFrames(
  socket: Handle,
  maxBytes = 256,
): Uint8Array<ArrayBuffer>[] | undefined {
  const frames: Uint8Array<ArrayBuffer>[] = [];
  const more = new Int32Array(1);
  const size = new BigUint64Array([4n]);
  do {
    const frame = new Uint8Array(maxBytes);
    const length = uninterrupted(() =>
      zmq().zmq_recv(socket, frame, BigInt(maxBytes), ZMQ.DONTWAIT)
    );
    if (length === -1) return frames.length > 0 ? frames : undefined;
    frames.push(frame.slice(0, Math.min(length, maxBytes)));
    zmq().zmq_getsockopt(
      socket,
      ZMQ.RCVMORE,
      new Uint8Array(more.buffer),
      new Uint8Array(size.buffer),
    );
  } while (more[0] !== 0);
  return frames;
}

/**
 * Ends a context once its sockets' queued messages are out (or their linger
 * ran out). zmq_ctx_term may be interrupted by a signal; it is then run again.
 */
async function terminate(context: Handle): Promise<void> {
  for (let tries = 0; tries < 100; tries++) {
    if (await zmq().zmq_ctx_term(context) === 0) return;
  }
}

// ---- end of libzmq ----

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
