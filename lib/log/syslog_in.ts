/**
 * Syslog messages coming in: a message that is an RFC 5424 frame (as
 * rsyslog's omczmq sends it) or an RFC 3164 one is read as a log message
 * ({@link parseSyslog}): severity to level, HOSTNAME to host, APP-NAME (or
 * TAG) to tag, TIMESTAMP to the sent time, MSG to text. Going out is
 * lib/forward/syslog_out.ts.
 *
 * @example
 * ```ts
 * import { parseSyslog } from "./syslog_in.ts";
 * parseSyslog("<11>1 2026-11-24T10:00:00.123+01:00 pi backup - - - disk failed\n");
 * // { level: "error", sent: "2026-11-24T09:00:00.123Z", host: "pi", tag: "backup", text: "disk failed" }
 * ```
 *
 * @module
 */

import type { Level, LogMessage } from "./wire.ts";

/**
 * The level of each syslog severity, 0 (emerg) to 7 (debug): the inverse of
 * SEVERITY (lib/forward/syslog_out.ts) where it has one (SEVERITY[LEVEL_OF_SEVERITY[n]] is n for
 * 2, 3, 4, 6, 7); emerg and alert are critical, notice is info.
 */
const LEVEL_OF_SEVERITY: readonly Level[] = [
  "critical",
  "critical",
  "critical",
  "error",
  "warn",
  "info",
  "info",
  "debug",
];

/** The largest PRI: facility 23 (local7), severity 7. */
const MAX_PRI = 191;
/** Field lengths RFC 5424 allows (section 6). */
const MAX_HOSTNAME = 255;
const MAX_APP_NAME = 48;
const MAX_PROCID = 128;
const MAX_MSGID = 32;
/** SD-ID and PARAM-NAME (section 6.3). */
const MAX_SD_NAME = 32;
/** Longest RFC 5424 TIMESTAMP: 2026-11-24T10:00:00.123456+01:00. */
const MAX_TIMESTAMP = 32;
/** RFC 3164 TAG: 32 says the RFC; real ones (systemd-networkd-wait-online) are longer. */
const MAX_TAG = 48;
/** A 3164 time may be this far ahead of our clock before it is taken as last year's. */
const FUTURE_SLACK_MS = 86_400_000;

/** RFC 5424 TIMESTAMP (RFC 3339, section 6.2.3): fixed widths, so nothing can backtrack. */
const TIMESTAMP =
  /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?(?:(Z)|([+-])(\d\d):(\d\d))$/;
/** RFC 3164 TIMESTAMP: `Mmm dd hh:mm:ss`, the day padded with a space. */
const TIMESTAMP_3164 =
  /^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) ([ \d]\d) (\d\d):(\d\d):(\d\d) /;
const MONTHS = "JanFebMarAprMayJunJulAugSepOctNovDec";

const SPACE = 32;
const LT = 60;
const GT = 62;
const NEWLINE_ESCAPED = "#012";
const BOM = "\ufeff";

/**
 * Reads a syslog message: an RFC 5424 frame (with or without structured
 * data, with or without octet counts stripped; rsyslog's omczmq sends one a
 * message) or an RFC 3164 one (`<PRI>Mmm dd hh:mm:ss HOST TAG[PID]: text`).
 * Returns `undefined` for anything else, however much it starts like one:
 * the caller takes that as plain text.
 *
 * What it keeps: severity as the level (0-2 critical, 3 error, 4 warn, 5-6
 * info, 7 debug), HOSTNAME as the host, APP-NAME (3164: the TAG without
 * its [PID]) as the tag, TIMESTAMP as the sent time in UTC with
 * milliseconds (3164 has no year and no zone: this year, or last year if
 * that puts it more than a day ahead, in local time), and MSG as the text.
 * A NILVALUE "-" leaves its field unknown. PROCID, MSGID and the structured
 * data are dropped: the text is what a person reads, and a text log keeps
 * the whole frame as it came. From MSG go a trailing newline (as it came, or
 * as the text log escapes it, `#012`: so a log read back reads the same),
 * the UTF-8 BOM RFC 5424 allows, and one leading space (rsyslog keeps it
 * from 3164's "TAG: text"; its own files print one space there).
 *
 * Linear in the length: a scan by character codes, and only anchored
 * patterns of fixed width on short slices, which cannot backtrack.
 *
 * @param now the time a 3164 frame's year is chosen by, in ms.
 * @example
 * ```ts
 * parseSyslog("<30>Nov 24 10:00:00 pi cron[42]: job done"); // { level: "info", host: "pi", tag: "cron", sent: ..., text: "job done" }
 * parseSyslog("<13>hello"); // undefined
 * ```
 */
export function parseSyslog(
  raw: string,
  now = Date.now(),
): LogMessage | undefined {
  if (raw.charCodeAt(0) !== LT) return undefined;
  // PRI: 1-3 digits, no leading zero (RFC 5424 6.2.1), at most 191.
  let pri = 0;
  let at = 1;
  while (at < 5 && isDigit(raw.charCodeAt(at))) {
    pri = pri * 10 + raw.charCodeAt(at) - 48;
    at++;
  }
  const digits = at - 1;
  if (
    digits === 0 || raw.charCodeAt(at) !== GT || pri > MAX_PRI ||
    (digits > 1 && raw.charCodeAt(1) === 48)
  ) {
    return undefined;
  }
  at++;
  const level = LEVEL_OF_SEVERITY[pri % 8];
  const end = frameEnd(raw);
  return isDigit(raw.charCodeAt(at))
    ? parse5424(raw, at, end, level)
    : parse3164(raw, at, end, level, now);
}

/** Where the frame ends: before a trailing newline, as sent or escaped. */
function frameEnd(raw: string): number {
  if (raw.endsWith("\n")) return raw.length - (raw.endsWith("\r\n") ? 2 : 1);
  if (raw.endsWith(NEWLINE_ESCAPED)) return raw.length - NEWLINE_ESCAPED.length;
  return raw.length;
}

/** `VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP SD [SP MSG]`, after PRI. */
function parse5424(
  raw: string,
  at: number,
  end: number,
  level: Level,
): LogMessage | undefined {
  // VERSION: 1 is the only one there is; allow 1-3 digits, no leading zero.
  const version = word(raw, at, end, 3);
  if (version === -1 || raw.charCodeAt(at) === 48) return undefined;
  for (let i = at; i < version; i++) {
    if (!isDigit(raw.charCodeAt(i))) return undefined;
  }
  const fields: (string | undefined)[] = [];
  at = version + 1;
  for (
    const max of [
      MAX_TIMESTAMP,
      MAX_HOSTNAME,
      MAX_APP_NAME,
      MAX_PROCID,
      MAX_MSGID,
    ]
  ) {
    const next = word(raw, at, end, max);
    if (next === -1) return undefined;
    const value = raw.slice(at, next);
    fields.push(value === "-" ? undefined : value);
    at = next + 1;
  }
  const [time, host, tag] = fields;
  const message: LogMessage = { level, text: "" };
  if (time !== undefined) {
    const sent = parseTimestamp(time);
    if (sent === undefined) return undefined;
    message.sent = sent;
  }
  if (host !== undefined) message.host = host;
  if (tag !== undefined) message.tag = tag;
  const afterData = structuredDataEnd(raw, at, end);
  if (afterData === -1) return undefined;
  if (afterData < end) {
    if (raw.charCodeAt(afterData) !== SPACE) return undefined;
    message.text = messageText(raw, afterData + 1, end);
  }
  return message;
}

/**
 * The end of a header field at `at`: the index of the space after 1 to
 * `max` printable US-ASCII characters, or -1.
 */
function word(raw: string, at: number, end: number, max: number): number {
  const stop = Math.min(end, at + max + 1);
  for (let i = at; i < stop; i++) {
    const c = raw.charCodeAt(i);
    if (c === SPACE) return i === at ? -1 : i;
    if (c < 0x21 || c > 0x7e) return -1;
  }
  return -1;
}

/**
 * Where STRUCTURED-DATA at `at` ends: after "-" or after its last
 * `[SD-ID *(SP PARAM-NAME="VALUE")]` element; -1 when it is not that.
 * One pass: a value's `\"`, `\\` and `\]` are skipped as RFC 5424 6.3.3 says.
 */
function structuredDataEnd(raw: string, at: number, end: number): number {
  if (raw[at] === "-") return at + 1;
  if (raw[at] !== "[") return -1;
  while (at < end && raw[at] === "[") {
    at = sdName(raw, at + 1, end);
    if (at === -1) return -1;
    while (raw.charCodeAt(at) === SPACE) {
      at = sdName(raw, at + 1, end);
      if (at === -1 || raw[at] !== "=" || raw[at + 1] !== '"') return -1;
      at += 2;
      while (at < end && raw[at] !== '"') at += raw[at] === "\\" ? 2 : 1;
      if (at >= end) return -1;
      at++; // the closing quote
    }
    if (raw[at] !== "]") return -1;
    at++;
  }
  return at;
}

/** The end of an SD-NAME at `at` (1-32 printable ASCII but = SP ] "), or -1. */
function sdName(raw: string, at: number, end: number): number {
  const stop = Math.min(end, at + MAX_SD_NAME);
  let i = at;
  for (; i < stop; i++) {
    const c = raw.charCodeAt(i);
    if (c <= SPACE || c > 0x7e || c === 61 || c === 93 || c === 34) break;
  }
  return i === at ? -1 : i;
}

/** MSG from `at` to `end` without a leading BOM, else one leading space. */
function messageText(raw: string, at: number, end: number): string {
  if (raw.startsWith(BOM, at)) at += BOM.length;
  else if (raw.charCodeAt(at) === SPACE) at++;
  return raw.slice(at, end);
}

/**
 * An RFC 3339 time as the logger writes times (UTC, milliseconds), or
 * `undefined` when it is not one or names a day that does not exist.
 */
function parseTimestamp(text: string): string | undefined {
  const m = TIMESTAMP.exec(text);
  if (m === null) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  // Digits, not arithmetic: 0.57 * 1000 is 569.99... in floating point.
  const ms = Number(`${m[7] ?? ""}000`.slice(0, 3));
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) {
    return undefined;
  }
  // Not Date.UTC(year, ...): it reads years 0-99 as 1900-1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, ms);
  if (date.getUTCDate() !== day) return undefined; // Feb 30
  const local = date.getTime();
  let offset = 0;
  if (m[8] === undefined) {
    const [hours, minutes] = [Number(m[10]), Number(m[11])];
    if (hours > 23 || minutes > 59) return undefined;
    offset = (m[9] === "+" ? 1 : -1) * (hours * 60 + minutes) * 60_000;
  }
  return isoTime(local - offset);
}

/** `ms` as 2026-11-24T10:00:00.123Z, or `undefined` outside years 0-9999. */
function isoTime(ms: number): string | undefined {
  const year = new Date(ms).getUTCFullYear();
  return year >= 0 && year <= 9999 ? new Date(ms).toISOString() : undefined;
}

/** `TIMESTAMP SP HOSTNAME SP TAG[[PID]]: MSG`, after PRI (RFC 3164 section 4.1). */
function parse3164(
  raw: string,
  at: number,
  end: number,
  level: Level,
  now: number,
): LogMessage | undefined {
  const m = TIMESTAMP_3164.exec(raw.slice(at, at + 16));
  if (m === null) return undefined;
  const sent = time3164(m, now);
  if (sent === undefined) return undefined;
  at += m[0].length;
  const hostEnd = word(raw, at, end, MAX_HOSTNAME);
  if (hostEnd === -1) return undefined;
  const host = raw.slice(at, hostEnd);
  at = hostEnd + 1;
  // TAG: printable ASCII but "[" and ":", then an optional [PID], then ":".
  const stop = Math.min(end, at + MAX_TAG);
  let i = at;
  for (; i < stop; i++) {
    const c = raw.charCodeAt(i);
    if (c <= SPACE || c > 0x7e || c === 91 || c === 58) break;
  }
  if (i === at) return undefined;
  const tag = raw.slice(at, i);
  if (raw[i] === "[") {
    const pidEnd = raw.indexOf("]", i);
    if (pidEnd === -1 || pidEnd > i + MAX_PROCID + 1 || pidEnd === i + 1) {
      return undefined;
    }
    i = pidEnd + 1;
  }
  if (raw[i] !== ":") return undefined;
  const message: LogMessage = { level, sent, text: "" };
  if (host !== "-") message.host = host;
  message.tag = tag;
  if (i + 1 < end) {
    if (raw.charCodeAt(i + 1) !== SPACE) return undefined;
    message.text = raw.slice(i + 2, end);
  }
  return message;
}

/**
 * A 3164 time (no year, no zone) in UTC: local time, this year unless that
 * is more than a day ahead of `now`, then last year's.
 */
function time3164(m: RegExpExecArray, now: number): string | undefined {
  const month = MONTHS.indexOf(m[1]) / 3;
  const day = Number(m[2].trimStart());
  const [hour, minute, second] = [Number(m[3]), Number(m[4]), Number(m[5])];
  if (day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  let year = new Date(now).getFullYear();
  let date = new Date(year, month, day, hour, minute, second);
  if (date.getTime() > now + FUTURE_SLACK_MS) {
    year--;
    date = new Date(year, month, day, hour, minute, second);
  }
  if (date.getMonth() !== month || date.getDate() !== day) return undefined;
  return isoTime(date.getTime());
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
