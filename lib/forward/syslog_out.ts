/**
 * Syslog messages going out: RFC 5424, as the logger forwards its lines to
 * a syslog server (`--forward`): level to severity, the sender's host to
 * HOSTNAME, the tag to APP-NAME, the sent time (else the received time) to
 * TIMESTAMP, the text to MSG; and `--facility`. Small, so the command line
 * can read `--facility` without loading the forwarder.
 *
 * What goes out is escaped the same way whatever the log's format: the
 * text as a text line escapes it (lib/log/escape.ts: `#` and octal for
 * each byte of a control character, C1, separator or bidi control; a
 * text line's escapes stay as they are), the header fields to printable
 * ASCII. A raw newline would let a sender forge a second record at a
 * server that keeps control characters raw.
 *
 * @example
 * ```ts
 * import { formatSyslog } from "./syslog_out.ts";
 * formatSyslog({ level: "warn", host: "pi", tag: "backup", text: "disk" }, { facility: 1 });
 * // "<12>1 - pi backup - - - disk"
 * ```
 *
 * @module
 */

import { UsageError } from "../base/errors.ts";
import { escapeControlText } from "../log/escape.ts";
import type { Level, LogMessage } from "../log/wire.ts";

/** Syslog severities of the levels (RFC 5424 section 6.2.1). */
export const SEVERITY: Record<Level, number> = {
  debug: 7,
  info: 6,
  warn: 4,
  error: 3,
  critical: 2,
};

/** Syslog facilities by name (RFC 5424 section 6.2.1, names as syslog.conf has them). */
export const FACILITIES: Record<string, number> = {
  kern: 0,
  user: 1,
  mail: 2,
  daemon: 3,
  auth: 4,
  syslog: 5,
  lpr: 6,
  news: 7,
  uucp: 8,
  cron: 9,
  authpriv: 10,
  ftp: 11,
  local0: 16,
  local1: 17,
  local2: 18,
  local3: 19,
  local4: 20,
  local5: 21,
  local6: 22,
  local7: 23,
};

/**
 * Reads `--facility`: a name such as `user` or `local0`, or its number.
 *
 * @example
 * ```ts
 * parseFacility("local3", "--facility"); // 19
 * ```
 */
export function parseFacility(text: string, flag: string): number {
  const name = text.toLowerCase();
  if (Object.hasOwn(FACILITIES, name)) return FACILITIES[name];
  if (/^\d{1,2}$/.test(text) && Number(text) <= 23) return Number(text);
  throw new UsageError(
    `Cannot forward as '${flag}' must be a syslog facility such as user, daemon or local0-local7 (or 0-23): current value is ${
      JSON.stringify(text)
    }`,
  );
}

/** A header field as RFC 5424 allows it: printable US-ASCII, at most `max`, or "-". */
function field(value: string | undefined, max: number): string {
  if (value === undefined || value === "") return "-";
  return value.replace(/[^\x21-\x7e]/g, "_").slice(0, max);
}

/** An RFC 3339 time in UTC as our headers carry it. */
const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z$/;

/** `time` as an RFC 5424 TIMESTAMP (at most six digits of a second), or undefined when it is not a time. */
function timestamp(time: string | undefined): string | undefined {
  if (time === undefined || !TIME.test(time)) return undefined;
  return time.replace(/(\.\d{6})\d+Z$/, "$1Z");
}

/**
 * A message as an RFC 5424 syslog message (without framing): PRI from the
 * facility and the level, TIMESTAMP the sent time else `received` else "-",
 * MSG the text with control characters escaped.
 *
 * @example
 * ```ts
 * formatSyslog({ level: "error", text: "hi" }, { facility: 1, received: "2026-11-24T10:00:00.000Z" });
 * // "<11>1 2026-11-24T10:00:00.000Z - - - - - hi"
 * ```
 */
export function formatSyslog(
  message: LogMessage,
  options: { facility: number; received?: string },
): string {
  const pri = options.facility * 8 + SEVERITY[message.level];
  const time = timestamp(message.sent) ?? timestamp(options.received) ?? "-";
  return `<${pri}>1 ${time} ${field(message.host, 255)} ${
    field(message.tag, 48)
  } - - - ${escapeControlText(message.text)}`;
}
