/**
 * The logger's command line: its options, typed, one mode at a time.
 *
 * One command line picks one mode: listen and log (the default), `--show`
 * the log, talk to a running logger (`--set-level`, `--status`, `--reopen`), or
 * `--keygen`. Options that belong to another mode are refused in one line.
 * Its `--help` is lib/cli/logger_usage.ts.
 *
 * @example
 * ```ts
 * import { parseLoggerArgs } from "./logger_options.ts";
 * const defaults = { port: 5555, bind: "*", file: "./log.txt", maxMessageSize: 65536 };
 * (await parseLoggerArgs(["--port", "6000"], defaults))?.port; // 6000
 * ```
 *
 * @module
 */

import { UsageError } from "../base/errors.ts";
import type { ParseArgsConfig } from "node:util";
import { parsePort, readOptions } from "./args.ts";
import { joinAges, parseSize, parseTime } from "./values.ts";
import type { Filters } from "../log/log_line.ts";
import { filterPattern } from "../log/pattern.ts";
import type { StatsOptions } from "../read/stats_options.ts";
import { type ContextOptions, parseReadFlags } from "../read/read_options.ts";
import { type ForwardTarget, parseForwardUrl } from "../forward/target.ts";
import { FACILITIES, parseFacility } from "../forward/syslog_out.ts";
import { parseLevel } from "../log/wire.ts";
import {
  parseSealOptions,
  sealMode,
  sealModes,
  type SealOptions,
} from "../seal/seal_options.ts";

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
  mode:
    | "serve"
    | "show"
    | "stats"
    | "control"
    | "keygen"
    | "seal-init"
    | "verify";
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
  /** With `--show`: lines around each from its host and tag (`--context`, `-B`, `-A`). */
  context?: ContextOptions;
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
  /** `--seal`, or `--verify` and its files and key (lib/seal/seal_options.ts). */
  seal?: SealOptions;
}

/**
 * Compiles `--include` style patterns, naming the bad one. They run in linear
 * time (lib/log/pattern.ts says why): the text they match is any sender's.
 */
function parsePatterns(texts: string[], flag: string): RegExp[] {
  return texts.map((text) => filterPattern(text, flag));
}

/** The logger's options, as `parseArgs` is told of them. */
function flagConfig(args: string[], defaults: LoggerDefaults) {
  return {
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
      context: { type: "string", short: "C" },
      "before-context": { type: "string", short: "B" },
      "after-context": { type: "string", short: "A" },
      capacity: { type: "boolean", default: false },
      "set-level": { type: "string" },
      status: { type: "boolean", default: false },
      reopen: { type: "boolean", default: false },
      keygen: { type: "boolean", default: false },
      seal: { type: "boolean", default: false },
      "seal-init": { type: "boolean", default: false },
      verify: { type: "boolean", default: false },
      "verify-key": { type: "string" },
      forward: { type: "string" },
      facility: { type: "string" },
      "curve-key": { type: "string" },
      "curve-allow": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  } satisfies ParseArgsConfig;
}

/**
 * The flags as `parseArgs` reads them, with the defaults filled in. With no
 * argument (the book's plain call) `node:util` is not even loaded.
 */
function readFlags(args: string[], defaults: LoggerDefaults) {
  return readOptions(flagConfig(args, defaults), "try --help");
}

type Flags = Awaited<ReturnType<typeof readFlags>>;

/** The one mode the flags ask for; refuses flags of another mode. */
function pickMode(flags: Flags, args: string[]): LoggerOptions["mode"] {
  const modes = [
    flags.show && "--show",
    flags.stats && "--stats",
    flags["set-level"] !== undefined && "--set-level",
    flags.status && "--status",
    flags.reopen && "--reopen",
    flags.keygen && "--keygen",
    ...sealModes(flags),
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
    : sealMode(flags) ?? (modes.length ? "control" : "serve");
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
 * (await parseLoggerArgs(["--port", "6000"], defaults))?.port; // 6000
 * ```
 */
export async function parseLoggerArgs(
  args: string[],
  defaults: LoggerDefaults,
  now = Date.now(),
): Promise<LoggerOptions | undefined> {
  const flags = await readFlags(joinAges(args), defaults);
  if (flags.help) return undefined;
  const mode = pickMode(flags, args);
  const port = parsePort(flags.port, "listen");
  checkWhere(flags);
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
    lines: parseLines(flags),
    forward: flags.forward === undefined
      ? undefined
      : parseForwardUrl(flags.forward),
    facility: flags.facility === undefined
      ? FACILITIES.user
      : parseFacility(flags.facility, "--facility"),
    curveKey: flags["curve-key"],
    curveAllow: flags["curve-allow"],
    request: controlRequest(flags),
    seal: parseSealOptions(flags, mode, args),
  };
  Object.assign(options, parseReadFlags(flags, mode)); // --context, --stats' options
  if (flags.since !== undefined) {
    options.since = parseTime(flags.since, "--since", now);
  }
  if (flags.until !== undefined) {
    options.until = parseTime(flags.until, "--until", now);
  }
  const { since, until } = options;
  if (since !== undefined && until !== undefined && since > until) {
    throw new UsageError(
      `Cannot ${
        mode === "stats" ? "count" : "show the log"
      } as '--since' is after '--until': current values are ${
        JSON.stringify(flags.since)
      } and ${JSON.stringify(flags.until)}`,
    );
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
