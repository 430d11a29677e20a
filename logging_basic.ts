#!/usr/bin/env -S deno run -q --no-prompt -P=logging_basic --allow-write=./log.txt --allow-read=./log.txt,./keys
/**
 * A very basic logger: chapter 2 of the book, on Deno.
 *
 * It binds a ZeroMQ PULL socket and appends every message it receives, as
 * one line, to a log file. With no options, received logs are not parsed or
 * modified in any way: they are written as they came, each followed by a
 * newline, and each line is in the file before the logger waits for more.
 *
 * Usage:
 *
 * ```sh
 * ./logging_basic.ts                        # tcp://*:5555 -> ./log.txt
 * ./logging_basic.ts --port 6000 --bind 127.0.0.1
 * ./logging_basic.ts --timestamps           # prefix the time each arrived
 * ./logging_basic.ts --level warn           # keep warn, error, critical
 * ./logging_basic.ts --exclude heartbeat --include-host '^pi'
 * ./logging_basic.ts --format json          # JSON Lines, for jq
 *
 * ./logging_basic.ts --set-level debug      # change the running logger's level
 * ./logging_basic.ts --status               # ask it what it has logged and dropped
 * ./logging_basic.ts --show --level error --since -1h
 * ./logging_basic.ts --show --follow --include-host '^pi'   # like tail -f | grep
 * ./logging_basic.ts --help
 *
 * (umask 077; ./logging_basic.ts --keygen > keys/logger.key)   # CurveZMQ keys
 * ./logging_basic.ts --curve-key keys/logger.key --curve-allow keys/allowed.txt
 * ```
 *
 * The shebang lets Deno write and read `./log.txt` and no other file (and read
 * CurveZMQ key files in `./keys`). To log
 * somewhere else, grant that one file when you start it:
 *
 * ```sh
 * deno run -q --no-prompt -P=logging_basic --allow-write=/var/log/zmq.log \
 *   --allow-read=/var/log/zmq.log logging_basic.ts --file /var/log/zmq.log
 * ```
 *
 * Stop it with Ctrl-C (or SIGTERM): what it has received is written, the
 * file closed, and it exits 0. SIGUSR1 prints what it has logged and dropped.
 *
 * Reading this file: constants; levels and the wire format (shared with
 * log_cmd_basic.ts); options and the small pure functions; "Listening and
 * logging" (serve: set-up, the receive/write loop, shutdown); "Talking to a
 * running logger" (--set-level, --status); "Reading the log" (--show);
 * main(); then CurveZMQ keys and the libzmq binding (both shared with
 * log_cmd_basic.ts).
 *
 * @module
 */

import { parseArgs } from "node:util";
// npm:zeromq's list of its native builds, each with libzmq inside: see zmq().
import zeromqBuilds from "zeromq/build/manifest.json" with { type: "json" };
const ZEROMQ_BUILD_DIR = import.meta.resolve("zeromq/build/manifest.json");

/** The log file, relative to the directory the logger is started in. */
export const LOG_FILENAME = "./log.txt";

/** The port to listen on. It MUST match the port in log_cmd_basic.ts. */
export const PORT = 5555;

/** Where to listen: `*` is every interface, as in the book. */
export const BIND_ADDRESS = "*";

/** Largest message accepted; a sender of a larger one is disconnected. */
export const MAX_MESSAGE_SIZE = 65536;

/** The running logger answers `--set-level` and `--status` on a local socket
 * next to its log file: `./log.txt.ctl` for `./log.txt`. */
export const CONTROL_SUFFIX = ".ctl";

/** How long `--set-level` and `--status` wait for the logger to answer. */
const CONTROL_TIMEOUT_MS = 1000;

/** How often an idle logger looks whether it was asked to stop. */
const STOP_CHECK_MS = 200;

/** How often a logger that cannot write tries again. */
const WRITE_RETRY_MS = 1000;

/** How often `--show --follow` looks for new lines. */
const FOLLOW_INTERVAL_MS = 200;

/** Lines `--show --follow` starts with, like `tail -f`. */
const FOLLOW_LINES = 10;

/** Most messages taken in one go before they are written to the file. */
const MAX_BATCH = 4096;

const PROGRAM = "logging_basic";

/** How a user runs us, for --help: a compiled binary goes by its name. */
const COMMAND = Deno.build.standalone ? PROGRAM : `./${PROGRAM}.ts`;
const SENDER_COMMAND = Deno.build.standalone
  ? "log_cmd_basic"
  : "./log_cmd_basic.ts";

/** Where libzmq looks for the ZAP handler (ZeroMQ RFC 27), and our domain. */
const ZAP_ENDPOINT = "inproc://zeromq.zap.01";
const ZAP_DOMAIN = "zmqlog";

/** A refused sender key is logged at most once in this time (it retries). */
const REFUSAL_LOG_MS = 60_000;

/** Refusal lines in the log per REFUSAL_LOG_MS, all keys together. */
const REFUSAL_LINES = 10;

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

/** Which messages are kept: where logs are stored, and where they are read. */
export interface Filters {
  /** Drop messages below this level. */
  level: Level;
  /** Keep only messages whose text matches one of these (if any). */
  include: RegExp[];
  /** Drop messages whose text matches one of these. */
  exclude: RegExp[];
  /** Keep only messages whose host matches one of these (if any). */
  includeHost: RegExp[];
  /** Drop messages whose host matches one of these. */
  excludeHost: RegExp[];
}

/** What the logger was asked to do on its command line. */
export interface LoggerOptions {
  /** Listen and log (the default), show the log, or talk to a running logger. */
  mode: "serve" | "show" | "control" | "keygen";
  /** TCP port to bind. */
  port: number;
  /** Interface address to bind, `*` for all. */
  bind: string;
  /** Path of the log file. */
  file: string;
  /** Prefix each line with the time it arrived. */
  timestamps: boolean;
  /** Write lines as they came (`text`) or as JSON Lines. */
  format: "text" | "json";
  /** Largest message accepted, in bytes. */
  maxMessageSize: number;
  filters: Filters;
  /** With `--show`: the time range, in ms since the epoch. */
  since?: number;
  until?: number;
  /** With `--show`: keep reading as the file grows. */
  follow: boolean;
  /** With `--show`: only the last this many matching lines. */
  lines?: number;
  /** With `--set-level` or `--status`: what to ask the running logger. */
  request?: string;
  /** CurveZMQ: the logger's key pair file; senders must know its public key. */
  curveKey?: string;
  /** CurveZMQ: the file of sender public keys let in; others are refused. */
  curveAllow?: string;
}

/** A command-line mistake: shown to the user as one line, exit status 2. */
export class UsageError extends Error {}

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
 * parsePort("5555", "listen"); // 5555
 * parsePort("70000", "listen"); // throws UsageError
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

/**
 * Reads a size in bytes: a whole number, optionally with K or M (KiB, MiB).
 *
 * @example
 * ```ts
 * parseSize("64K", "--max-message-size"); // 65536
 * ```
 */
export function parseSize(text: string, flag: string): number {
  const match = /^(\d+)([kKmM]?)$/.exec(text);
  const unit = match?.[2].toLowerCase() === "k"
    ? 1024
    : match?.[2].toLowerCase() === "m"
    ? 1024 * 1024
    : 1;
  const size = match ? Number(match[1]) * unit : NaN;
  if (!(size >= 1 && size <= 16 * 1024 * 1024)) {
    throw new UsageError(
      `Cannot listen as '${flag}' must be 1 byte to 16M: current value is ${
        JSON.stringify(text)
      }`,
    );
  }
  return size;
}

/**
 * Reads a point in time for `--since` and `--until`: RFC 3339 (a time
 * without a zone is local time), a date, `now`, `today`, `yesterday`, or an
 * age such as `-30s`, `-10m`, `-2h`, `-7d`.
 *
 * @returns milliseconds since the epoch.
 * @example
 * ```ts
 * parseTime("2026-11-24T10:00:00Z", "--since", Date.now()); // 1795514400000
 * parseTime("-1h", "--since", 3_600_000); // 0
 * ```
 */
export function parseTime(text: string, flag: string, now: number): number {
  const age = /^-(\d+)([smhd])$/.exec(text);
  if (age) {
    const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[
      age[2] as "s" | "m" | "h" | "d"
    ];
    return now - Number(age[1]) * unit;
  }
  const midnight = new Date(now);
  midnight.setHours(0, 0, 0, 0);
  if (text === "now") return now;
  if (text === "today") return midnight.getTime();
  if (text === "yesterday") return midnight.setDate(midnight.getDate() - 1);
  const parts =
    /^(\d{4})-(\d\d)-(\d\d)(?:[T ](\d\d):(\d\d)(?::(\d\d)(\.\d+)?)?)?(Z|[+-]\d\d:\d\d)?$/
      .exec(text);
  let time = NaN;
  if (parts) {
    const [, y, mo, d, h = "00", mi = "00", s = "00", frac = "", zone] = parts;
    const local = `${y}-${mo}-${d}T${h}:${mi}:${s}${frac}`;
    time = zone ? Date.parse(local + zone) : new Date(local).getTime();
  }
  if (Number.isNaN(time)) {
    throw new UsageError(
      `Cannot show the log as '${flag}' must be a time such as 2026-11-24T10:00, today or -1h: current value is ${
        JSON.stringify(text)
      }`,
    );
  }
  return time;
}

/** Compiles `--include` style patterns, naming the bad one. */
function parsePatterns(texts: string[], flag: string): RegExp[] {
  return texts.map((text) => {
    try {
      return new RegExp(text);
    } catch {
      throw new UsageError(
        `Cannot filter as '${flag}' must be a regular expression: current value is ${
          JSON.stringify(text)
        }`,
      );
    }
  });
}

/**
 * Parses the logger's command line.
 *
 * @returns the options, or `undefined` when `--help` was asked for.
 * @example
 * ```ts
 * parseLoggerArgs(["--port", "6000"])?.port; // 6000
 * ```
 */
export function parseLoggerArgs(
  args: string[],
  now = Date.now(),
): LoggerOptions | undefined {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        port: { type: "string", short: "p", default: String(PORT) },
        bind: { type: "string", short: "b", default: BIND_ADDRESS },
        file: { type: "string", short: "f", default: LOG_FILENAME },
        timestamps: { type: "boolean", short: "T", default: false },
        format: { type: "string", default: "text" },
        level: { type: "string", short: "l", default: "debug" },
        include: { type: "string", multiple: true, default: [] },
        exclude: { type: "string", multiple: true, default: [] },
        "include-host": { type: "string", multiple: true, default: [] },
        "exclude-host": { type: "string", multiple: true, default: [] },
        "max-message-size": {
          type: "string",
          default: String(MAX_MESSAGE_SIZE),
        },
        show: { type: "boolean", default: false },
        since: { type: "string" },
        until: { type: "string" },
        follow: { type: "boolean", short: "F", default: false },
        lines: { type: "string", short: "n" },
        "set-level": { type: "string" },
        status: { type: "boolean", default: false },
        keygen: { type: "boolean", default: false },
        "curve-key": { type: "string" },
        "curve-allow": { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (err) {
    throw new UsageError(`${parseArgsProblem(err)} (try --help)`);
  }
  if (values.help) return undefined;

  const modes = [
    values.show && "--show",
    values["set-level"] !== undefined && "--set-level",
    values.status && "--status",
    values.keygen && "--keygen",
  ].filter(Boolean);
  if (modes.length > 1) {
    throw new UsageError(`Cannot do ${modes.join(" and ")} at once: pick one`);
  }
  const mode = values.show
    ? "show"
    : values.keygen
    ? "keygen"
    : modes.length
    ? "control"
    : "serve";
  if (mode === "keygen" && args.length > 1) {
    throw new UsageError(
      "'--keygen' goes alone: it prints a new key pair and exits",
    );
  }
  for (const flag of ["curve-key", "curve-allow"] as const) {
    if (mode !== "serve" && values[flag] !== undefined) {
      throw new UsageError(
        `'--${flag}' goes with listening: remove it from --show, --set-level, --status or --keygen`,
      );
    }
  }
  for (const flag of ["since", "until", "follow", "lines"] as const) {
    if (
      mode !== "show" && values[flag] !== undefined && values[flag] !== false
    ) {
      throw new UsageError(
        `'--${flag}' goes with --show: add --show to read the log`,
      );
    }
  }

  const port = parsePort(values.port, "listen");
  if (values.bind === "" || /[\s/]/.test(values.bind)) {
    throw new UsageError(
      `Cannot listen as '--bind' must be an address or interface: current value is ${
        JSON.stringify(values.bind)
      }`,
    );
  }
  if (values.file === "") {
    throw new UsageError(
      "Cannot log as '--file' must name a file: current value is \"\"",
    );
  }
  if (values.format !== "text" && values.format !== "json") {
    throw new UsageError(
      `Cannot log as '--format' must be text or json: current value is ${
        JSON.stringify(values.format)
      }`,
    );
  }
  let lines: number | undefined;
  if (values.lines !== undefined) {
    lines = /^\d+$/.test(values.lines) ? Number(values.lines) : NaN;
    if (Number.isNaN(lines)) {
      throw new UsageError(
        `Cannot show the log as '--lines' must be a whole number: current value is ${
          JSON.stringify(values.lines)
        }`,
      );
    }
  }
  const options: LoggerOptions = {
    mode,
    port,
    bind: values.bind,
    file: values.file,
    timestamps: values.timestamps,
    format: values.format,
    maxMessageSize: parseSize(values["max-message-size"], "--max-message-size"),
    filters: {
      level: parseLevel(values.level, mode === "show" ? "show the log" : "log"),
      include: parsePatterns(values.include, "--include"),
      exclude: parsePatterns(values.exclude, "--exclude"),
      includeHost: parsePatterns(values["include-host"], "--include-host"),
      excludeHost: parsePatterns(values["exclude-host"], "--exclude-host"),
    },
    follow: values.follow,
    lines: lines ?? (values.follow ? FOLLOW_LINES : undefined),
  };
  if (
    values["curve-allow"] !== undefined && values["curve-key"] === undefined
  ) {
    throw new UsageError(
      "Cannot check senders' keys as '--curve-allow' needs '--curve-key' (the logger's key pair): add --curve-key",
    );
  }
  for (const flag of ["curve-key", "curve-allow"] as const) {
    if (values[flag] === "") {
      throw new UsageError(
        `Cannot use CurveZMQ as '--${flag}' must name a file: current value is ""`,
      );
    }
  }
  options.curveKey = values["curve-key"];
  options.curveAllow = values["curve-allow"];
  if (values.since !== undefined) {
    options.since = parseTime(values.since, "--since", now);
  }
  if (values.until !== undefined) {
    options.until = parseTime(values.until, "--until", now);
  }
  if (values["set-level"] !== undefined) {
    options.request = `level ${
      parseLevel(values["set-level"], "change the level", "--set-level")
    }`;
  } else if (values.status) {
    options.request = "status";
  }
  return options;
}

/**
 * The ZeroMQ endpoint to bind for an address and port.
 *
 * @example
 * ```ts
 * bindEndpoint("*", 5555); // "tcp://*:5555"
 * bindEndpoint("::1", 5555); // "tcp://[::1]:5555"
 * ```
 */
export function bindEndpoint(bind: string, port: number): string {
  const host = bind.includes(":") && !bind.startsWith("[") ? `[${bind}]` : bind;
  return `tcp://${host}:${port}`;
}

/**
 * Why the filters drop a message, or `undefined` when they keep it. A message
 * with no host has the host "" for the host patterns.
 *
 * @example
 * ```ts
 * const filters = { level: "warn", include: [], exclude: [/tick/], includeHost: [], excludeHost: [] };
 * dropReason({ level: "info", text: "hi" }, filters); // "level"
 * dropReason({ level: "error", text: "tick" }, filters); // "filter"
 * ```
 */
export function dropReason(
  message: LogMessage,
  filters: Filters,
): "level" | "filter" | undefined {
  if (LEVELS.indexOf(message.level) < LEVELS.indexOf(filters.level)) {
    return "level";
  }
  const { text } = message;
  const host = message.host ?? "";
  const { include, exclude, includeHost, excludeHost } = filters;
  if (include.length > 0 && !include.some((re) => re.test(text))) {
    return "filter";
  }
  if (exclude.some((re) => re.test(text))) return "filter";
  if (includeHost.length > 0 && !includeHost.some((re) => re.test(host))) {
    return "filter";
  }
  if (excludeHost.some((re) => re.test(host))) return "filter";
  return undefined;
}

/** True when the filters keep everything, so messages need not be parsed. */
function keepsAll(filters: Filters): boolean {
  return filters.level === "debug" && filters.include.length === 0 &&
    filters.exclude.length === 0 && filters.includeHost.length === 0 &&
    filters.excludeHost.length === 0;
}

/**
 * A log file line for a message: in text, the message as it came (`raw`),
 * after the time it arrived with `--timestamps`; in JSON, every field.
 *
 * @example
 * ```ts
 * formatLine("arg1 arg2", parseMessage("arg1 arg2"), 0, { timestamps: true, format: "text" });
 * // "1970-01-01T00:00:00.000Z arg1 arg2"
 * ```
 */
export function formatLine(
  raw: string,
  message: LogMessage,
  received: number,
  style: { timestamps: boolean; format: "text" | "json" },
): string {
  const time = new Date(received).toISOString();
  if (style.format === "json") return jsonLine(message, time);
  const text = escapeControlText(raw);
  return style.timestamps ? `${time} ${text}` : text;
}

/** True for the bytes escaped in text lines: controls but tab, and DEL. */
function isControl(byte: number): boolean {
  return (byte < 0x20 && byte !== 0x09) || byte === 0x7f;
}

/** The index of the first control byte in `bytes[start, end)`, or `end`. */
function controlAt(bytes: Uint8Array, start: number, end: number): number {
  for (let i = start; i < end; i++) if (isControl(bytes[i])) return i;
  return end;
}

/**
 * Escapes control characters as rsyslog does, `#` and three octal digits,
 * so a message cannot start a line of its own or drive a terminal: newline
 * becomes `#012`, carriage return `#015`, escape `#033`. Tab stays a tab.
 *
 * @example
 * ```ts
 * new TextDecoder().decode(escapeControls(new TextEncoder().encode("a\nb")));
 * // "a#012b"
 * ```
 */
export function escapeControls(bytes: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (const byte of bytes) {
    if (!isControl(byte)) out.push(byte);
    else {out.push(
        0x23,
        ...[...byte.toString(8).padStart(3, "0")].map((d) => d.charCodeAt(0)),
      );}
  }
  return new Uint8Array(out);
}

/** {@link escapeControls} for a string. */
export function escapeControlText(text: string): string {
  return text.replace(
    CONTROLS,
    (c) => `#${c.charCodeAt(0).toString(8).padStart(3, "0")}`,
  );
}

// deno-lint-ignore no-control-regex -- matching control characters is the point
const CONTROLS = /[\x00-\x08\x0a-\x1f\x7f]/g;

/**
 * A JSON Lines record for a message, with every field (null when unknown).
 *
 * @example
 * ```ts
 * jsonLine({ level: "info", text: "hi" }, null);
 * // '{"received":null,"sent":null,"host":null,"tag":null,"level":"info","message":"hi"}'
 * ```
 */
export function jsonLine(message: LogMessage, received: string | null): string {
  return JSON.stringify({
    received,
    sent: message.sent ?? null,
    host: message.host ?? null,
    tag: message.tag ?? null,
    level: message.level,
    message: message.text,
  });
}

/** A line of a log file, read back. */
export interface LogLine {
  /** When the logger received it, if the line says. */
  received?: string;
  message: LogMessage;
}

const RECEIVED_PREFIX = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z) /;

/**
 * Reads back a line the logger wrote, in either format.
 *
 * @example
 * ```ts
 * parseLogLine("2026-11-24T10:00:00.000Z <warn> - pi app: hot").message.level; // "warn"
 * ```
 */
export function parseLogLine(line: string): LogLine {
  if (line.startsWith("{")) {
    try {
      const json = JSON.parse(line);
      if (typeof json?.message === "string" && LEVELS.includes(json.level)) {
        const message: LogMessage = { level: json.level, text: json.message };
        if (typeof json.sent === "string") message.sent = json.sent;
        if (typeof json.host === "string") message.host = json.host;
        if (typeof json.tag === "string") message.tag = json.tag;
        return typeof json.received === "string"
          ? { received: json.received, message }
          : { message };
      }
    } catch {
      // Not JSON after all: a text line that starts with "{".
    }
  }
  const prefix = RECEIVED_PREFIX.exec(line);
  if (prefix === null) return { message: parseMessage(line) };
  return {
    received: prefix[1],
    message: parseMessage(line.slice(prefix[0].length)),
  };
}

/**
 * The sender public keys of an allow-list file: one Z85 key per line, with
 * an optional name after it (used in the log); `#` starts a comment line.
 *
 * @example
 * ```ts
 * parseAllowList("# kitchen\nrq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7 pi-kitchen\n");
 * // Map { "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7" => "pi-kitchen" }
 * ```
 */
export function parseAllowList(text: string): Map<string, string> {
  const keys = new Map<string, string>();
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    const [key, ...name] = line.split(/\s+/);
    if (isKey(key)) {
      keys.set(key, name.join(" ") || key);
    } else if (line !== "" && !line.startsWith("#")) {
      throw new Error(
        `Cannot use '--curve-allow' as its line ${
          i + 1
        } is not a public key (40 characters of Z85): current value is ${
          JSON.stringify(line)
        }`,
      );
    }
  });
  return keys;
}

function printUsage(): void {
  console.log(`A very basic logger: appends every ZeroMQ message it receives,
as one line, to a log file.

Usage: ${COMMAND} [options]             listen and log
       ${COMMAND} --show [filters]      read the log
       ${COMMAND} --set-level LEVEL     change a running logger's level
       ${COMMAND} --status              ask a running logger what it did

Options:
  -p, --port PORT          TCP port to listen on (default ${PORT})
  -b, --bind ADDR          address to listen on; * is every interface (default ${BIND_ADDRESS})
  -f, --file PATH          log file, appended to, never truncated (default ${LOG_FILENAME})
  -T, --timestamps         start each line with the time it arrived (RFC 3339, UTC)
      --format text|json   lines as they came (default), or JSON Lines
      --max-message-size N largest message, bytes or K/M (default 64K); a
                           sender of a larger one is disconnected

Filters, where logs are stored and with --show:
  -l, --level LEVEL        drop messages below LEVEL: ${LEVELS.join(", ")}
                           (messages without a level are info)
      --include REGEX      keep only messages whose text matches (repeatable)
      --exclude REGEX      drop messages whose text matches (repeatable)
      --include-host REGEX keep only messages from matching hosts (repeatable)
      --exclude-host REGEX drop messages from matching hosts (repeatable)

Reading the log (--show):
      --since TIME         from TIME: 2026-11-24T10:00 (local), ...Z (UTC),
                           today, yesterday, -30m, -2h, -7d
      --until TIME         up to TIME
  -n, --lines N            only the last N matching lines
  -F, --follow             keep printing new lines as they arrive (tail -f)

CurveZMQ, encryption and sender keys (key files are read from ${KEYS_DIR}/):
      --keygen             print a new key pair file and exit:
                           ${COMMAND} --keygen > ${KEYS_DIR}/logger.key
      --curve-key FILE     encrypt: senders must know this key pair's public key
      --curve-allow FILE   let in only senders whose public key is in FILE (one
                           per line, a name may follow); refusals are logged

  -h, --help               print this help and exit

Send it logs with ${SENDER_COMMAND}, or any ZeroMQ PUSH socket.
Stop it with Ctrl-C; SIGUSR1 prints what it has logged and dropped; SIGHUP
opens the log file again (after logrotate) and reads --curve-allow again.

${
    Deno.build.standalone
      ? `This binary may write only the file it was built for. For another:
  deno task compile --file PATH`
      : `The shebang allows ${LOG_FILENAME} only. For another file, grant it:
  deno run -q --no-prompt -P=logging_basic --allow-write=PATH --allow-read=PATH \\
    logging_basic.ts --file PATH`
  }`);
}

// ---- Listening and logging ----

/** Opens the log file for appending, or explains in one line why it cannot. */
function openLogFile(path: string): Deno.FsFile {
  try {
    return Deno.openSync(path, { append: true, create: true });
  } catch (err) {
    throw new Error(
      `Cannot open log file '${path}': ${fileProblem(err, path, "write")}`,
    );
  }
}

/** What went wrong with a file, with the remedy for a missing Deno permission. */
function fileProblem(
  err: unknown,
  path: string,
  access: "read" | "write",
): string {
  if (err instanceof Deno.errors.NotCapable) {
    return `Deno was not given ${access} permission for it (the shebang allows ${LOG_FILENAME} only); ` +
      `start the logger as 'deno run -q --no-prompt -P=logging_basic --allow-write=${path} ` +
      `--allow-read=${path} logging_basic.ts --file ${path}'`;
  }
  return describe(err);
}

/**
 * Binds the PULL socket, or explains in one line why it cannot. With `keys`
 * it is a CurveZMQ server: only senders that know its public key get in, and
 * with `checkSenders` libzmq asks our ZAP handler about each one.
 */
function bindSocket(
  context: Handle,
  options: LoggerOptions,
  keys?: CurveKeys,
  checkSenders = false,
): Handle {
  const endpoint = bindEndpoint(options.bind, options.port);
  // linger 0: nothing is ever queued for sending on a PULL socket, so exit at once.
  const curve: Record<number, number | string> = {};
  if (keys?.secretKey !== undefined) {
    curve[ZMQ.CURVE_SERVER] = 1;
    curve[ZMQ.CURVE_SECRETKEY] = keys.secretKey;
    if (checkSenders) curve[ZMQ.ZAP_DOMAIN] = ZAP_DOMAIN;
  }
  const socket = openSocket(context, ZMQ.PULL, {
    [ZMQ.LINGER]: 0,
    [ZMQ.IPV6]: options.bind.includes(":") ? 1 : 0,
    [ZMQ.MAXMSGSIZE]: options.maxMessageSize,
    ...curve,
  });
  try {
    check(zmq().zmq_bind(socket, cString(endpoint)), "bind");
  } catch (err) {
    zmq().zmq_close(socket);
    const why = err instanceof ZmqError && err.errno === ZMQ.EADDRINUSE
      ? `port ${options.port} is already in use (is another logger running?)`
      : describe(err).replace(/^bind: /, "");
    throw new Error(`Cannot listen on ${endpoint}: ${why}`);
  }
  return socket;
}

/** Reads the allow-list file, or explains in one line what is wrong with it. */
function readAllowList(path: string): Map<string, string> {
  const keys = parseAllowList(readKeyText(path, "--curve-allow"));
  if (keys.size === 0) {
    throw new Error(
      `Cannot use '--curve-allow' as it lists no public key: current value is ${path}`,
    );
  }
  return keys;
}

/**
 * Binds the ZAP handler, where libzmq asks whether a CurveZMQ sender may come
 * in (ZeroMQ RFC 27). It must be bound before the PULL socket takes senders.
 */
function bindZapHandler(context: Handle): Handle {
  const socket = openSocket(context, ZMQ.REP, { [ZMQ.LINGER]: 0 });
  check(zmq().zmq_bind(socket, cString(ZAP_ENDPOINT)), "Cannot check keys");
  return socket;
}

/** A 32-byte key as libzmq hands it to a ZAP handler, in Z85. */
function encodeKey(raw: Uint8Array<ArrayBuffer>): string {
  const z85 = new Uint8Array(41);
  zmq().zmq_z85_encode(z85, raw, 32n);
  return new TextDecoder().decode(z85.subarray(0, 40));
}

/** Sends `frames` as one multi-frame message, without waiting. */
function sendFrames(socket: Handle, frames: Uint8Array<ArrayBuffer>[]): void {
  frames.forEach((frame, i) => {
    const flags = ZMQ.DONTWAIT | (i < frames.length - 1 ? ZMQ.SNDMORE : 0);
    uninterrupted(() =>
      zmq().zmq_send(socket, frame, BigInt(frame.length), flags)
    );
  });
}

/**
 * Answers libzmq's waiting questions about senders: a key on the allow-list
 * gets in, any other is refused and `refused` is told (key, address).
 */
function answerZap(
  zap: Handle,
  allowed: Map<string, string>,
  refused: (key: string, address: string) => void,
): void {
  while (true) {
    // version, request id, domain, address, routing id, mechanism, key.
    const request = receiveFrames(zap);
    if (request === undefined) return;
    const [version, id, , address, , mechanism, credential] = request;
    let key = "";
    if (
      decoder.decode(mechanism) === "CURVE" && credential?.length === 32
    ) key = encodeKey(credential);
    const name = allowed.get(key);
    if (name === undefined) refused(key, decoder.decode(address));
    sendFrames(zap, [
      version ?? encoder.encode("1.0"),
      id ?? new Uint8Array(0),
      encoder.encode(name === undefined ? "400" : "200"),
      encoder.encode(name === undefined ? "not on the allow-list" : "OK"),
      encoder.encode(name ?? ""),
      new Uint8Array(0),
    ]);
  }
}

/**
 * Decides which refused senders go into the log: a key's first refusal, then
 * at most one line per key every REFUSAL_LOG_MS (a refused sender retries),
 * and no more than REFUSAL_LINES lines in that time for all keys together, so
 * a peer that makes a new key for every try cannot flood the log; what is held
 * back is counted and said once the time is up.
 *
 * @example
 * ```ts
 * const refusals = new RefusalLog("keys/allowed.txt");
 * refusals.refused(key, "10.0.0.7");
 * // "refused a sender at 10.0.0.7: its CurveZMQ key ... is not in keys/allowed.txt"
 * refusals.refused(key, "10.0.0.7"); // undefined: said a moment ago
 * ```
 */
export class RefusalLog {
  readonly #keys = new Map<string, { logged: number; since: number }>();
  #windowStart = -Infinity;
  #lines = 0;
  #heldBack = 0;

  constructor(
    readonly allowList: string,
    readonly now: () => number = Date.now,
  ) {}

  /** The line to log for a refused `key`, or undefined to log nothing now. */
  refused(key: string, address: string): string | undefined {
    const now = this.now();
    const seen = this.#keys.get(key);
    if (seen !== undefined && now - seen.logged < REFUSAL_LOG_MS) {
      seen.since++;
      return undefined;
    }
    if (now - this.#windowStart >= REFUSAL_LOG_MS) {
      this.#windowStart = now;
      this.#lines = 0;
    }
    if (this.#lines >= REFUSAL_LINES) {
      this.#heldBack++;
      return undefined;
    }
    this.#lines++;
    if (this.#keys.size >= 10_000) this.#forgetOld(now);
    this.#keys.set(key, { logged: now, since: 0 });
    const again = seen?.since
      ? ` (and ${seen.since} more time${seen.since === 1 ? "" : "s"} since)`
      : "";
    return `refused a sender at ${address}: its CurveZMQ key ${
      key || "(none)"
    } is not in ${this.allowList}${again}`;
  }

  /** Once the time is up, the line that counts refusals not logged one by one. */
  heldBack(): string | undefined {
    if (this.#heldBack === 0) return undefined;
    if (this.now() - this.#windowStart < REFUSAL_LOG_MS) return undefined;
    const count = this.#heldBack;
    this.#heldBack = 0;
    return `refused ${count} more sender${
      count === 1 ? "" : "s"
    } with other keys not in ${this.allowList} (not logged one by one: over ${REFUSAL_LINES} refusals in ${
      REFUSAL_LOG_MS / 1000
    } s)`;
  }

  /** Keeps memory bounded when many keys come and go. */
  #forgetOld(now: number): void {
    for (const [key, seen] of this.#keys) {
      if (now - seen.logged >= REFUSAL_LOG_MS) this.#keys.delete(key);
    }
  }
}

/**
 * Binds the local control socket that `--set-level` and `--status` talk to:
 * a Unix socket next to the log file, so only users who may use that
 * directory on this machine can reach it, and no one over the network.
 * Without it the logger still logs; it says why on stderr.
 */
function bindControl(context: Handle, file: string): Handle | undefined {
  const socket = openSocket(context, ZMQ.REP, { [ZMQ.LINGER]: 0 });
  try {
    check(
      zmq().zmq_bind(socket, cString(`ipc://${file}${CONTROL_SUFFIX}`)),
      `Cannot offer --set-level and --status at ${file}${CONTROL_SUFFIX}`,
    );
    return socket;
  } catch (err) {
    zmq().zmq_close(socket);
    console.error(`${PROGRAM}: ${describe(err)}`);
    return undefined;
  }
}

/**
 * Whether another logger already logs to `file`: its control socket answers.
 * Binding there would quietly take the socket over (libzmq removes the path
 * first), leaving two loggers on one file and --status talking to the wrong
 * one. Where nothing listens, the connection fails at once and the socket
 * monitor says so, so a logger starting alone does not wait.
 */
async function anotherLoggerAt(
  context: Handle,
  file: string,
): Promise<boolean> {
  const probe = openSocket(context, ZMQ.REQ, {
    [ZMQ.LINGER]: 0,
    [ZMQ.IMMEDIATE]: 1, // writable only once a logger is really there
  });
  const endpoint = `inproc://${PROGRAM}-probe`;
  const monitor = openSocket(context, ZMQ.PAIR, { [ZMQ.LINGER]: 0 });
  try {
    check(
      zmq().zmq_socket_monitor(
        probe,
        cString(endpoint),
        ZMQ.EVENT_CONNECT_RETRIED,
      ),
      "Cannot look for another logger",
    );
    check(
      zmq().zmq_connect(monitor, cString(endpoint)),
      "Cannot look for another logger",
    );
    check(
      zmq().zmq_connect(probe, cString(`ipc://${file}${CONTROL_SUFFIX}`)),
      `Cannot look for another logger at ${file}${CONTROL_SUFFIX}`,
    );
    const [ready] = await poll(
      [probe, monitor],
      [ZMQ.POLLOUT, ZMQ.POLLIN],
      CONTROL_TIMEOUT_MS,
    );
    return (ready & ZMQ.POLLOUT) !== 0;
  } finally {
    zmq().zmq_close(probe);
    zmq().zmq_close(monitor);
  }
}

/** Grows as needed; holds the bytes of the lines to write next. */
class LineBuffer {
  bytes = new Uint8Array(1 << 17);
  length = 0;

  /** Makes room for `size` more bytes after `length`. */
  reserve(size: number): void {
    if (this.length + size <= this.bytes.length) return;
    let capacity = this.bytes.length * 2;
    while (capacity < this.length + size) capacity *= 2;
    const bigger = new Uint8Array(capacity);
    bigger.set(this.bytes.subarray(0, this.length));
    this.bytes = bigger;
  }

  /** Adds `text` and a newline. */
  addLine(text: string): void {
    this.reserve(text.length * 3 + 1);
    const at = this.length;
    this.length += encoder.encodeInto(text, this.bytes.subarray(at)).written;
    this.bytes[this.length++] = 0x0a;
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** What the logger has done so far. */
interface Counts {
  logged: number;
  droppedLevel: number;
  droppedFilter: number;
}

/**
 * How a received message becomes a line: `undefined` when it is written as
 * it came (no options that need to read it), else a function that returns
 * its line, or the reason it is dropped.
 */
type Transform = (bytes: Uint8Array) => string | "level" | "filter";

/** The transform for these options (see {@link Transform}). */
function transformFor(
  options: LoggerOptions,
  level: () => Level,
): Transform | undefined {
  const { filters } = options;
  const plain = options.format === "text" && !options.timestamps;
  if (plain && keepsAll({ ...filters, level: level() })) return undefined;
  return (bytes) => {
    const raw = decoder.decode(bytes);
    const message = parseMessage(raw);
    const dropped = dropReason(message, { ...filters, level: level() });
    return dropped ?? formatLine(raw, message, Date.now(), options);
  };
}

/**
 * Takes the messages queued on the socket, without waiting, and adds their
 * lines to `out`. ZeroMQ writes each message straight into `out`; with no
 * transform it stays there as it came, followed by a newline. Each frame of a
 * multi-frame message is a message of its own, as the book's recv() loop
 * reads them. Returns how many messages it took (at most MAX_BATCH).
 */
function receiveQueued(
  socket: Handle,
  maxSize: number,
  transform: Transform | undefined,
  out: LineBuffer,
  counts: Counts,
): number {
  const maxSize64 = BigInt(maxSize);
  let taken = 0;
  while (taken < MAX_BATCH) {
    out.reserve(maxSize + 1);
    const start = out.length;
    const size = uninterrupted(() =>
      zmq().zmq_recv(socket, out.bytes.subarray(start), maxSize64, ZMQ.DONTWAIT)
    );
    if (size === -1) {
      if (zmq().zmq_errno() === ZMQ.EAGAIN) break;
      check(size, "Cannot receive");
    }
    taken++;
    if (transform === undefined) {
      const end = start + size;
      if (controlAt(out.bytes, start, end) < end) {
        // Rare: a control character; escape it so it cannot forge a line.
        const escaped = escapeControls(out.bytes.slice(start, end));
        out.reserve(escaped.length + 1);
        out.bytes.set(escaped, start);
        out.length = start + escaped.length;
      } else {
        out.length = end;
      }
      out.bytes[out.length++] = 0x0a;
      counts.logged++;
      continue;
    }
    const line = transform(out.bytes.slice(start, start + size));
    if (line === "level") counts.droppedLevel++;
    else if (line === "filter") counts.droppedFilter++;
    else {
      out.addLine(line);
      counts.logged++;
    }
  }
  return taken;
}

/** Writes all of `bytes`; a log file is opened for appending, so lines stay whole. */
function writeAll(
  file: { writeSync(bytes: Uint8Array): number },
  bytes: Uint8Array,
): void {
  let done = 0;
  while (done < bytes.length) done += file.writeSync(bytes.subarray(done));
}

/** One line on what the logger has logged and dropped. */
function summary(counts: Counts, file: string, level: Level): string {
  const n = (count: number, what: string) =>
    `${count} ${what}${count === 1 ? "" : "s"}`;
  let text = `${n(counts.logged, "message")} logged to ${file}`;
  if (counts.droppedLevel > 0) {
    text += `, ${counts.droppedLevel} dropped below level ${level}`;
  }
  if (counts.droppedFilter > 0) {
    text += `, ${counts.droppedFilter} dropped by filters`;
  }
  return text;
}

/** This machine's name; `undefined` if Deno may not ask. */
function hostName(): string | undefined {
  try {
    return Deno.hostname().replace(/[\s:]/g, "_");
  } catch {
    return undefined;
  }
}

/**
 * Answers one request on the control socket: `level NAME` changes the level
 * (and says so in the log), `status` tells what was logged and dropped.
 */
function answerControl(
  control: Handle,
  state: { level: Level },
  note: (text: string) => void,
  status: () => string,
): void {
  const request = new Uint8Array(256);
  const size = uninterrupted(() =>
    zmq().zmq_recv(control, request, 256n, ZMQ.DONTWAIT)
  );
  if (size === -1) return; // nothing after all
  const words = decoder.decode(request.subarray(0, Math.min(size, 256)))
    .split(" ");
  let reply: string;
  if (
    words[0] === "level" && (LEVELS as readonly string[]).includes(words[1])
  ) {
    const before = state.level;
    state.level = words[1] as Level;
    reply = `level changed from ${before} to ${state.level}`;
    note(reply);
  } else if (words[0] === "status") {
    reply = status();
  } else {
    reply = `unknown request ${JSON.stringify(words.join(" "))}`;
  }
  const bytes = encoder.encode(reply);
  uninterrupted(() =>
    zmq().zmq_send(control, bytes, BigInt(bytes.length), ZMQ.DONTWAIT)
  );
}

/** Listens and logs until Ctrl-C or SIGTERM; resolves to the exit status. */
async function serve(options: LoggerOptions): Promise<number> {
  let file: Deno.FsFile;
  let context: Handle;
  let socket: Handle;
  let zap: Handle | undefined;
  let allowed = new Map<string, string>();
  try {
    const keys = options.curveKey === undefined
      ? undefined
      : readKeyFile(options.curveKey, "--curve-key", true);
    if (options.curveAllow !== undefined) {
      allowed = readAllowList(options.curveAllow);
    }
    file = openLogFile(options.file);
    try {
      context = zmq().zmq_ctx_new();
      if (options.curveAllow !== undefined) zap = bindZapHandler(context);
      socket = bindSocket(context, options, keys, zap !== undefined);
      if (await anotherLoggerAt(context, options.file)) {
        throw new Error(
          `Cannot log to ${options.file}: another logger is logging to it already (it answers at ${options.file}${CONTROL_SUFFIX}); stop that one, or give this one another --file`,
        );
      }
    } catch (err) {
      file.close();
      throw err;
    }
  } catch (err) {
    console.error(`${PROGRAM}: ${describe(err)}`);
    return 1;
  }
  const control = bindControl(context, options.file);

  const state = { level: options.filters.level };
  const counts: Counts = { logged: 0, droppedLevel: 0, droppedFilter: 0 };
  const status = () =>
    `level ${state.level}; ${summary(counts, options.file, state.level)}`;
  const lines = new LineBuffer();
  let transform = transformFor(options, () => state.level);
  // The logger's own notes (a level change) go into the log like a message.
  const note = (text: string, level: Level = "info") => {
    const message: LogMessage = {
      level,
      sent: new Date().toISOString(),
      host: hostName(),
      tag: PROGRAM,
      text,
    };
    const raw = formatMessage(message);
    lines.addLine(formatLine(raw, message, Date.now(), options));
    transform = transformFor(options, () => state.level);
  };

  // Ctrl-C and SIGTERM end the loop below; it writes what it has, then exits.
  // SIGHUP (after logrotate moved the file) makes it open its path again,
  // and read --curve-allow again.
  let stopping = false;
  let reopen = false;
  const stop = () => stopping = true;
  let reloadKeys = false;
  const hangUp = () => {
    reopen = true;
    reloadKeys = options.curveAllow !== undefined;
  };
  const report = () => console.error(`${PROGRAM}: ${status()}`);
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  Deno.addSignalListener("SIGHUP", hangUp);
  Deno.addSignalListener("SIGUSR1", report);

  /** Opens the log file's path again, keeping the old file if that fails. */
  const reopenFile = () => {
    reopen = false;
    try {
      const fresh = openLogFile(options.file);
      file.close();
      file = fresh;
    } catch (err) {
      console.error(
        `${PROGRAM}: ${describe(err)}; still writing to the file it had open`,
      );
    }
  };

  /**
   * Reads --curve-allow again (SIGHUP): added and removed keys count for the
   * senders that connect from now on. A bad file keeps the list it had.
   */
  const reloadAllowList = () => {
    reloadKeys = false;
    try {
      const fresh = readAllowList(options.curveAllow!);
      const added = [...fresh.keys()].filter((key) => !allowed.has(key));
      const removed = [...allowed.keys()].filter((key) => !fresh.has(key));
      allowed = fresh;
      note(
        `read ${options.curveAllow} again: ${fresh.size} sender key${
          fresh.size === 1 ? "" : "s"
        }, ${added.length} added, ${removed.length} removed`,
      );
    } catch (err) {
      console.error(
        `${PROGRAM}: ${describe(err)}; still using the allow-list it had`,
      );
    }
  };

  /**
   * Writes the lines waiting in `lines`. A write that fails (disk full, file
   * made read-only) is reported once on stderr and tried again every
   * WRITE_RETRY_MS, SIGHUP reopening the path meanwhile; no more messages are
   * taken in the meantime, so they wait in ZeroMQ's queues and the senders'.
   * Stopping while it fails ends the logger with status 1 and the count of
   * lines that were not written.
   */
  const writeLines = async () => {
    let written = 0;
    let failing = false;
    while (written < lines.length) {
      try {
        written += file.writeSync(lines.bytes.subarray(written, lines.length));
      } catch (err) {
        const held = lines.bytes.subarray(written, lines.length)
          .filter((b) => b === 0x0a).length;
        if (stopping) {
          throw new Error(
            `stopped with ${held} line${
              held === 1 ? "" : "s"
            } not written to '${options.file}': ${describe(err)}`,
          );
        }
        if (!failing) {
          console.error(
            `${PROGRAM}: Cannot write to '${options.file}': ${
              describe(err)
            }; keeping ${held} line${
              held === 1 ? "" : "s"
            } and trying again every ${
              WRITE_RETRY_MS / 1000
            } s (senders wait meanwhile)`,
          );
          failing = true;
        }
        await new Promise((resolve) => setTimeout(resolve, WRITE_RETRY_MS));
        if (reopen) reopenFile();
      }
    }
    if (failing) {
      console.error(`${PROGRAM}: writing to '${options.file}' again`);
    }
    lines.length = 0;
  };

  const refusals = new RefusalLog(options.curveAllow ?? "");
  const refused = (key: string, address: string) => {
    const line = refusals.refused(key, address);
    if (line !== undefined) note(line, "warn");
  };

  const sockets = [socket, control, zap].filter((s) => s !== undefined);
  let exitStatus = 0;
  try {
    while (true) {
      const taken = receiveQueued(
        socket,
        options.maxMessageSize,
        transform,
        lines,
        counts,
      );
      // Between batches, so a busy logger still answers --set-level at once.
      if (control !== undefined) answerControl(control, state, note, status);
      if (zap !== undefined) {
        answerZap(zap, allowed, refused);
        const held = refusals.heldBack();
        if (held !== undefined) note(held, "warn");
      }
      // The book's write() and flush(): lines reach the file before we wait again.
      if (lines.length > 0) await writeLines();
      if (reopen) reopenFile();
      if (reloadKeys) reloadAllowList();
      if (taken > 0) continue;
      if (stopping) break;
      await poll(sockets, ZMQ.POLLIN, STOP_CHECK_MS);
    }
  } catch (err) {
    console.error(`${PROGRAM}: ${describe(err)}`);
    exitStatus = 1;
  } finally {
    Deno.removeSignalListener("SIGINT", stop);
    Deno.removeSignalListener("SIGTERM", stop);
    Deno.removeSignalListener("SIGHUP", hangUp);
    Deno.removeSignalListener("SIGUSR1", report);
    zmq().zmq_close(socket);
    if (zap !== undefined) zmq().zmq_close(zap);
    if (control !== undefined) {
      zmq().zmq_close(control);
      zmq().unlink(cString(`${options.file}${CONTROL_SUFFIX}`));
    }
    await terminate(context);
    file.close();
  }
  if (exitStatus === 0) {
    console.error(
      `${PROGRAM}: stopped; ${summary(counts, options.file, state.level)}`,
    );
  }
  return exitStatus;
}

// ---- Talking to a running logger ----

/** Sends `--set-level` or `--status` to the logger of this log file. */
async function askLogger(options: LoggerOptions): Promise<number> {
  const where = `${options.file}${CONTROL_SUFFIX}`;
  const context = zmq().zmq_ctx_new();
  // immediate: not writable until a logger is really at the other end.
  const socket = openSocket(context, ZMQ.REQ, {
    [ZMQ.LINGER]: 0,
    [ZMQ.IMMEDIATE]: 1,
  });
  try {
    check(zmq().zmq_connect(socket, cString(`ipc://${where}`)), "connect");
    const [ready] = await poll([socket], ZMQ.POLLOUT, CONTROL_TIMEOUT_MS);
    if (!(ready & ZMQ.POLLOUT)) {
      throw new Error(
        `No logger is running for ${options.file}: nothing answers at ${where}`,
      );
    }
    const request = encoder.encode(options.request);
    check(
      uninterrupted(() =>
        zmq().zmq_send(socket, request, BigInt(request.length), ZMQ.DONTWAIT)
      ),
      "send",
    );
    const [answered] = await poll([socket], ZMQ.POLLIN, CONTROL_TIMEOUT_MS);
    if (!(answered & ZMQ.POLLIN)) {
      throw new Error(
        `The logger for ${options.file} did not answer at ${where}`,
      );
    }
    const reply = new Uint8Array(4096);
    const size = check(
      uninterrupted(() => zmq().zmq_recv(socket, reply, 4096n, ZMQ.DONTWAIT)),
      "receive",
    );
    console.log(
      `${PROGRAM}: ${decoder.decode(reply.subarray(0, Math.min(size, 4096)))}`,
    );
    return 0;
  } catch (err) {
    console.error(`${PROGRAM}: ${describe(err)}`);
    return 1;
  } finally {
    zmq().zmq_close(socket);
    await terminate(context);
  }
}

// ---- Reading the log ----

/** True when the line passes `--show`'s filters and time range. */
function shows(line: LogLine, options: LoggerOptions): boolean {
  if (dropReason(line.message, options.filters) !== undefined) return false;
  if (options.since === undefined && options.until === undefined) return true;
  const time = Date.parse(line.received ?? line.message.sent ?? "");
  if (Number.isNaN(time)) return false;
  return (options.since === undefined || time >= options.since) &&
    (options.until === undefined || time <= options.until);
}

/** The line as `--show` prints it: as it is in the file, or as JSON. */
function showLine(text: string, line: LogLine, options: LoggerOptions): string {
  return options.format === "json"
    ? jsonLine(line.message, line.received ?? null)
    : text;
}

/**
 * Prints the log's lines that pass the filters; with `--follow`, goes on
 * printing new ones as they are written, and starts over when the file is
 * truncated or replaced (logrotate).
 */
async function showLog(options: LoggerOptions): Promise<number> {
  let file: Deno.FsFile;
  let identity: string;
  const open = () => {
    file = Deno.openSync(options.file, { read: true });
    const info = file.statSync();
    identity = `${info.dev}:${info.ino}`;
  };
  try {
    open();
  } catch (err) {
    console.error(
      `${PROGRAM}: Cannot read log file '${options.file}': ${
        fileProblem(err, options.file, "read")
      }`,
    );
    return 1;
  }
  const print = (text: string) => writeAll(Deno.stdout, encoder.encode(text));
  let last: string[] | undefined = options.lines !== undefined ? [] : undefined;
  let rest = "";
  let offset = 0;
  const chunk = new Uint8Array(1 << 16);
  const streaming = new TextDecoder();
  let stopping = false;
  const stop = () => stopping = true;
  if (options.follow) Deno.addSignalListener("SIGINT", stop);
  try {
    while (!stopping) {
      const n = file!.readSync(chunk);
      if (n !== null && n > 0) {
        offset += n;
        const text = rest +
          streaming.decode(chunk.subarray(0, n), { stream: true });
        const parts = text.split("\n");
        rest = parts.pop()!;
        let output = "";
        for (const part of parts) {
          const line = parseLogLine(part);
          if (!shows(line, options)) continue;
          const shown = showLine(part, line, options);
          if (last === undefined) output += `${shown}\n`;
          else {
            last.push(shown);
            if (last.length > options.lines!) last.shift();
          }
        }
        if (output) print(output);
        continue;
      }
      // End of the file, for now.
      if (last !== undefined) {
        if (last.length > 0) print(`${last.join("\n")}\n`);
        last = undefined;
      }
      if (!options.follow) break;
      await new Promise((resolve) => setTimeout(resolve, FOLLOW_INTERVAL_MS));
      let info: Deno.FileInfo | undefined;
      try {
        info = Deno.statSync(options.file);
      } catch {
        continue; // moved away and not yet created again
      }
      if (`${info.dev}:${info.ino}` !== identity! || info.size < offset) {
        file!.close();
        open();
        offset = 0;
        rest = "";
      }
    }
  } catch (err) {
    if (err instanceof Deno.errors.BrokenPipe) return 0; // e.g. piped into head
    console.error(
      `${PROGRAM}: Cannot read log file '${options.file}': ${describe(err)}`,
    );
    return 1;
  } finally {
    if (options.follow) Deno.removeSignalListener("SIGINT", stop);
    file!.close();
  }
  return 0;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Runs the logger; resolves to the process exit status. */
export async function main(args: string[]): Promise<number> {
  let options;
  try {
    options = parseLoggerArgs(args);
  } catch (err) {
    console.error(`${PROGRAM}: ${describe(err)}`);
    return 2;
  }
  if (options === undefined) {
    printUsage();
    return 0;
  }
  if (options.mode === "show") return await showLog(options);
  if (options.mode === "control") return await askLogger(options);
  if (options.mode === "keygen") {
    try {
      printNewKeys();
      return 0;
    } catch (err) {
      console.error(`${PROGRAM}: ${describe(err)}`);
      return 1;
    }
  }
  return await serve(options);
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
