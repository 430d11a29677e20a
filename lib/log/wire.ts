/**
 * Levels and the wire format, as both scripts speak them.
 *
 * A log message is one ZeroMQ frame of UTF-8 text. Any text is a valid
 * message: the book's senders send just that. A message may start with a
 * header that names its level, when and where it was sent, and by what:
 *
 * ```text
 * <warn> 2026-11-24T10:15:02.120Z raspberrypi backup: disk almost full
 * ```
 *
 * that is `<LEVEL> SENT HOST TAG: TEXT`, with `-` for a field not given. A
 * message without that header is an info message from an unknown host.
 *
 * @example
 * ```ts
 * import { formatMessage, parseWire } from "./wire.ts";
 * parseWire(formatMessage({ level: "warn", tag: "backup", text: "disk" })).level; // "warn"
 * ```
 *
 * @module
 */

import { UsageError } from "../base/errors.ts";

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

const HEADER_AT = new RegExp(HEADER.source.slice(1), "y");

/**
 * Where the text starts when `raw` holds a header at `at`, else -1: a test
 * without the allocations of {@link parseMessage}, for reading many lines.
 *
 * @example
 * ```ts
 * headerEnd("<warn> - pi backup: disk", 0); // 20
 * headerEnd("<warn> disk", 0); // -1
 * ```
 */
export function headerEnd(raw: string, at: number): number {
  HEADER_AT.lastIndex = at;
  return HEADER_AT.test(raw) ? HEADER_AT.lastIndex : -1;
}

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
 * Reads wire text: our header, then the text. Text without a header is an
 * info message. (A received message may also be syslog: lib/log/message.ts
 * reads both.)
 *
 * @example
 * ```ts
 * parseWire("<error> - pi backup: failed"); // { level: "error", host: "pi", tag: "backup", text: "failed" }
 * parseWire("arg1 arg2 arg3"); // { level: "info", text: "arg1 arg2 arg3" }
 * ```
 */
export function parseWire(raw: string): LogMessage {
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

/**
 * This machine's name as a header word (no spaces or colons); `undefined`
 * if Deno may not ask.
 *
 * @example
 * ```ts
 * hostName(); // "raspberrypi"
 * ```
 */
export function hostName(): string | undefined {
  try {
    return Deno.hostname().replace(/[\s:]/g, "_");
  } catch {
    return undefined;
  }
}
