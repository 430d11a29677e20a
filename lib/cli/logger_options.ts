/**
 * The logger's command line: its options, typed, one mode at a time.
 *
 * One command line picks one mode: listen and log (the default), `--show`
 * the log, talk to a running logger (`--set-level`, `--status`, `--reopen`), or
 * `--keygen`. Options that belong to another mode are refused in one line.
 * Its `--help` is lib/logger_usage.ts.
 *
 * @example
 * ```ts
 * import { parseLoggerArgs } from "./lib/logger_options.ts";
 * const defaults = { port: 5555, bind: "*", file: "./log.txt", maxMessageSize: 65536 };
 * parseLoggerArgs(["--port", "6000"], defaults)?.port; // 6000
 * ```
 *
 * @module
 */

import {
  parseArgsProblem,
  parseCommandLine,
  parsePort,
  UsageError,
} from "./args.ts";
import type { Filters } from "../log/log_line.ts";
import { filterPattern } from "../log/pattern.ts";
import { type GroupBy, parseDuration } from "../read/stats.ts";
import { type ForwardTarget, parseForwardUrl } from "../forward/forward.ts";
import { FACILITIES, parseFacility } from "../log/syslog.ts";
import { parseLevel } from "../log/wire.ts";

/** Lines `--show --follow` starts with, like `tail -f`. */
const FOLLOW_LINES = 10;

/** What the logger does when not told otherwise: the book's choices. */
export interface LoggerDefaults {
  port: number;
  bind: string;
  file: string;
  maxMessageSize: number;
}

/** What the logger was asked to do on its command line. */
export interface LoggerOptions {
  /** Listen and log (the default), show the log, or talk to a running logger. */
  mode: "serve" | "show" | "stats" | "control" | "keygen";
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
  /** With `--stats`: how to count and what to print. */
  stats?: StatsOptions;
  /** With `--set-level`, `--status` or `--reopen`: what to ask the running logger. */
  request?: string;
  /** Forward every line logged to this syslog server (`--forward`). */
  forward?: ForwardTarget;
  /** The syslog facility of forwarded lines (`--facility`). */
  facility: number;
  /** CurveZMQ: the logger's key pair file; senders must know its public key. */
  curveKey?: string;
  /** CurveZMQ: the file of sender public keys let in; others are refused. */
  curveAllow?: string;
}

/** What `--stats` counts and prints. */
export interface StatsOptions {
  /** Group by level (default), host or tag. */
  by: GroupBy;
  /** Bucket length in ms; by default a screenful of rows. */
  every?: number;
  format: StatsFormat;
}

/** How `--stats` prints its counts. */
export type StatsFormat = "text" | "csv" | "json" | "html";

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

/**
 * Compiles `--include` style patterns, naming the bad one. They run in linear
 * time (lib/pattern.ts says why): the text they match is any sender's.
 */
function parsePatterns(texts: string[], flag: string): RegExp[] {
  return texts.map((text) => filterPattern(text, flag));
}

/**
 * `--since -1h` as `--since=-1h`: parseArgs takes a value that starts with
 * `-` for an option of its own, but an age is the value the help shows.
 *
 * @example
 * ```ts
 * joinAges(["--show", "--since", "-1h"]); // ["--show", "--since=-1h"]
 * ```
 */
export function joinAges(args: string[]): string[] {
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const [arg, next] = [args[i], args[i + 1]];
    if (
      (arg === "--since" || arg === "--until") &&
      /^-\d+[smhd]$/.test(next ?? "")
    ) {
      joined.push(`${arg}=${next}`);
      i++;
    } else {
      joined.push(arg);
    }
  }
  return joined;
}

/** The flags as `parseArgs` reads them, with the defaults filled in. */
function readFlags(args: string[], defaults: LoggerDefaults) {
  try {
    return parseCommandLine({
      args,
      options: {
        port: { type: "string", short: "p", default: String(defaults.port) },
        bind: { type: "string", short: "b", default: defaults.bind },
        file: { type: "string", short: "f", default: defaults.file },
        timestamps: { type: "boolean", short: "T", default: false },
        format: { type: "string" },
        level: { type: "string", short: "l", default: "debug" },
        include: { type: "string", multiple: true, default: [] },
        exclude: { type: "string", multiple: true, default: [] },
        "include-host": { type: "string", multiple: true, default: [] },
        "exclude-host": { type: "string", multiple: true, default: [] },
        "max-message-size": {
          type: "string",
          default: String(defaults.maxMessageSize),
        },
        show: { type: "boolean", default: false },
        stats: { type: "boolean", default: false },
        by: { type: "string" },
        every: { type: "string" },
        since: { type: "string" },
        until: { type: "string" },
        follow: { type: "boolean", short: "F", default: false },
        lines: { type: "string", short: "n" },
        "set-level": { type: "string" },
        status: { type: "boolean", default: false },
        reopen: { type: "boolean", default: false },
        keygen: { type: "boolean", default: false },
        forward: { type: "string" },
        facility: { type: "string" },
        "curve-key": { type: "string" },
        "curve-allow": { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    }).values;
  } catch (err) {
    throw new UsageError(`${parseArgsProblem(err)} (try --help)`);
  }
}

type Flags = ReturnType<typeof readFlags>;

/** The one mode the flags ask for; refuses flags of another mode. */
function pickMode(flags: Flags, args: string[]): LoggerOptions["mode"] {
  const modes = [
    flags.show && "--show",
    flags.stats && "--stats",
    flags["set-level"] !== undefined && "--set-level",
    flags.status && "--status",
    flags.reopen && "--reopen",
    flags.keygen && "--keygen",
  ].filter(Boolean);
  if (modes.length > 1) {
    throw new UsageError(`Cannot do ${modes.join(" and ")} at once: pick one`);
  }
  const mode = flags.show
    ? "show"
    : flags.stats
    ? "stats"
    : flags.keygen
    ? "keygen"
    : modes.length
    ? "control"
    : "serve";
  if (mode === "keygen" && args.length > 1) {
    throw new UsageError(
      "'--keygen' goes alone: it prints a new key pair and exits",
    );
  }
  for (
    const flag of ["curve-key", "curve-allow", "forward", "facility"] as const
  ) {
    if (mode !== "serve" && flags[flag] !== undefined) {
      throw new UsageError(
        `'--${flag}' goes with listening: remove it from --show, --stats, --set-level, --status, --reopen or --keygen`,
      );
    }
  }
  for (const flag of ["since", "until"] as const) {
    if (mode !== "show" && mode !== "stats" && flags[flag] !== undefined) {
      throw new UsageError(
        `'--${flag}' goes with --show or --stats: add --show to read the log`,
      );
    }
  }
  for (const flag of ["follow", "lines"] as const) {
    if (mode !== "show" && flags[flag] !== undefined && flags[flag] !== false) {
      throw new UsageError(
        `'--${flag}' goes with --show: add --show to read the log`,
      );
    }
  }
  for (const flag of ["by", "every"] as const) {
    if (mode !== "stats" && flags[flag] !== undefined) {
      throw new UsageError(
        `'--${flag}' goes with --stats: add --stats to count the log`,
      );
    }
  }
  return mode;
}

/** Checks the values that say where and how to log. */
function checkWhere(flags: Flags): void {
  if (flags.bind === "" || /[\s/]/.test(flags.bind)) {
    throw new UsageError(
      `Cannot listen as '--bind' must be an address or interface: current value is ${
        JSON.stringify(flags.bind)
      }`,
    );
  }
  if (flags.file === "") {
    throw new UsageError(
      "Cannot log as '--file' must name a file: current value is \"\"",
    );
  }
  if (
    flags.format !== undefined && flags.format !== "text" &&
    flags.format !== "json" && !flags.stats
  ) {
    throw new UsageError(
      `Cannot log as '--format' must be text or json: current value is ${
        JSON.stringify(flags.format)
      }`,
    );
  }
  if (flags.facility !== undefined && flags.forward === undefined) {
    throw new UsageError(
      "'--facility' goes with --forward: it is the syslog facility of the lines forwarded",
    );
  }
  if (flags["curve-allow"] !== undefined && flags["curve-key"] === undefined) {
    throw new UsageError(
      "Cannot check senders' keys as '--curve-allow' needs '--curve-key' (the logger's key pair): add --curve-key",
    );
  }
  for (const flag of ["curve-key", "curve-allow"] as const) {
    if (flags[flag] === "") {
      throw new UsageError(
        `Cannot use CurveZMQ as '--${flag}' must name a file: current value is ""`,
      );
    }
  }
}

/** `--lines N`, a whole number; `--follow` alone starts with the last few. */
function parseLines(flags: Flags): number | undefined {
  if (flags.lines === undefined) {
    return flags.follow ? FOLLOW_LINES : undefined;
  }
  const lines = /^\d+$/.test(flags.lines) ? Number(flags.lines) : NaN;
  if (Number.isNaN(lines)) {
    throw new UsageError(
      `Cannot show the log as '--lines' must be a whole number: current value is ${
        JSON.stringify(flags.lines)
      }`,
    );
  }
  return lines;
}

/** `--by`, `--every` and `--format` of `--stats`. */
function parseStats(flags: Flags): StatsOptions {
  const by = flags.by ?? "level";
  if (by !== "level" && by !== "host" && by !== "tag") {
    throw new UsageError(
      `Cannot count as '--by' must be level, host or tag: current value is ${
        JSON.stringify(by)
      }`,
    );
  }
  const format = flags.format ?? "text";
  if (!["text", "csv", "json", "html"].includes(format)) {
    throw new UsageError(
      `Cannot count as '--format' must be text, csv, json or html with --stats: current value is ${
        JSON.stringify(format)
      }`,
    );
  }
  const every = flags.every === undefined
    ? undefined
    : parseDuration(flags.every, "--every");
  return { by, every, format: format as StatsFormat };
}

/** What `--set-level`, `--status` or `--reopen` asks a running logger. */
function controlRequest(flags: Flags): string | undefined {
  if (flags["set-level"] !== undefined) {
    return `level ${
      parseLevel(flags["set-level"], "change the level", "--set-level")
    }`;
  }
  if (flags.reopen) return "reopen";
  return flags.status ? "status" : undefined;
}

/**
 * Parses the logger's command line.
 *
 * @returns the options, or `undefined` when `--help` was asked for.
 * @example
 * ```ts
 * parseLoggerArgs(["--port", "6000"], defaults)?.port; // 6000
 * ```
 */
export function parseLoggerArgs(
  args: string[],
  defaults: LoggerDefaults,
  now = Date.now(),
): LoggerOptions | undefined {
  const flags = readFlags(joinAges(args), defaults);
  if (flags.help) return undefined;
  const mode = pickMode(flags, args);
  const port = parsePort(flags.port, "listen");
  checkWhere(flags);
  const lines = parseLines(flags);
  const options: LoggerOptions = {
    mode,
    port,
    bind: flags.bind,
    file: flags.file,
    timestamps: flags.timestamps,
    format: flags.stats ? "text" : (flags.format ?? "text") as "text" | "json",
    maxMessageSize: parseSize(flags["max-message-size"], "--max-message-size"),
    filters: {
      level: parseLevel(
        flags.level,
        mode === "show" ? "show the log" : mode === "stats" ? "count" : "log",
      ),
      include: parsePatterns(flags.include, "--include"),
      exclude: parsePatterns(flags.exclude, "--exclude"),
      includeHost: parsePatterns(flags["include-host"], "--include-host"),
      excludeHost: parsePatterns(flags["exclude-host"], "--exclude-host"),
    },
    follow: flags.follow,
    lines,
    forward: flags.forward === undefined
      ? undefined
      : parseForwardUrl(flags.forward),
    facility: flags.facility === undefined
      ? FACILITIES.user
      : parseFacility(flags.facility, "--facility"),
    curveKey: flags["curve-key"],
    curveAllow: flags["curve-allow"],
    request: controlRequest(flags),
  };
  if (mode === "stats") options.stats = parseStats(flags);
  if (flags.since !== undefined) {
    options.since = parseTime(flags.since, "--since", now);
  }
  if (flags.until !== undefined) {
    options.until = parseTime(flags.until, "--until", now);
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
