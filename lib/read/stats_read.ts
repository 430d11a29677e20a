/**
 * Reading a log fast, for `--stats`: its lines, 64 KiB at a time, and the
 * fields of each line (time, level, host, tag, text) taken out by character
 * codes where the line is in the logger's own form, by the full reader
 * (lib/log/log_line.ts, lib/log/wire.ts) where it is JSON or syslog. A run of
 * NUL bytes (what a crash can leave) ends the line before it and is skipped,
 * counted; a line with a NUL byte and other raw control characters is
 * refused: the logger escapes them all, so that file is not its log.
 *
 * @example
 * ```ts
 * import { FieldReader, forEachLine } from "./stats_read.ts";
 * const fields = new FieldReader({ who: true, text: false });
 * forEachLine("./log.txt", (line) => console.log(fields.read(line).host));
 * ```
 *
 * @module
 */

import { fileProblem } from "../log/file_hints.ts";
import { parseLogLine } from "../log/log_line.ts";
import { parseMessage } from "../log/message.ts";
import { headerEnd, type Level, LEVELS } from "../log/wire.ts";

/** A line longer than this is counted by its start: the header is there. */
export const MAX_LINE_CHARS = 1 << 20;
/** Read size: 64 KiB chunks decode and split about twice as fast as 1 MiB ones here. */
const CHUNK_BYTES = 1 << 16;
const NEWLINE = 0x0a;

/** What one line says; `time` is NaN when it says no time. */
export interface LineFields {
  /** When the logger received it, else when it was sent (ms since the epoch). */
  time: number;
  level: Level;
  host?: string;
  tag?: string;
  /** The message, only when asked for ("" otherwise). */
  text: string;
}

/** A header's level by its first letter, which differs for each. */
const LEVEL_BY_INITIAL: Level[] = [];
for (const level of LEVELS) LEVEL_BY_INITIAL[level.charCodeAt(0)] = level;

/**
 * Calls `onLine` with each line of the file at `path`, without its newline,
 * reading it once in chunks: memory stays bounded whatever the file's size
 * (a line is cut at MAX_LINE_CHARS). With `countBytes`, `onLine` also gets
 * the line's length in the file, in bytes, its newline included (0
 * otherwise). Returns how many NUL bytes it skipped. Throws one line when
 * the file cannot be read or is not a log.
 *
 * @example
 * ```ts
 * let bytes = 0;
 * forEachLine("./log.txt", (_line, size) => bytes += size, true); // 0: no NUL bytes skipped
 * ```
 */
export function forEachLine(
  path: string,
  onLine: (line: string, bytes: number) => void,
  countBytes = false,
): number {
  using file = openToRead(path);
  const chunk = new Uint8Array(CHUNK_BYTES);
  const decoder = new TextDecoder();
  const lines = new NulRuns(path, onLine);
  const sizes = countBytes ? new LineBytes() : undefined;
  let rest = "";
  let skipping = false; // in the part of an over-long line past MAX_LINE_CHARS
  let restSuspect = false;
  let lineNumber = 0;
  while (true) {
    const n = readChunk(file, chunk, path);
    const text = n === 0
      ? decoder.decode()
      : decoder.decode(chunk.subarray(0, n), { stream: true });
    sizes?.read(chunk.subarray(0, n), text);
    // The logger escapes control characters: a NUL byte is rare, and only
    // then are lines looked at for it.
    const suspect = text.includes("\0");
    let from = 0;
    for (let end; (end = text.indexOf("\n", from)) !== -1; from = end + 1) {
      lineNumber++;
      const line = skipping ? rest : rest + text.slice(from, end);
      const bytes = sizes === undefined ? 0 : sizes.next(end);
      rest = "";
      skipping = false;
      if (suspect || restSuspect) lines.split(line, lineNumber, bytes);
      else onLine(line, bytes);
      restSuspect = false;
    }
    if (!skipping) {
      restSuspect ||= suspect;
      rest += text.slice(from);
      if (rest.length > MAX_LINE_CHARS) {
        rest = rest.slice(0, MAX_LINE_CHARS);
        skipping = true;
      }
    }
    if (n === 0) break;
  }
  if (rest !== "") lines.split(rest, lineNumber + 1, sizes?.rest() ?? 0);
  return lines.skipped;
}

/**
 * Each line's length in the file, in bytes, newline included: from where
 * the bytes read hold their newlines (a newline byte is never part of a
 * UTF-8 sequence, so the k-th in the text is the k-th in the bytes), so
 * invalid UTF-8 and lines cut at MAX_LINE_CHARS are counted as they are.
 * Where the bytes before ended in an ASCII byte (so the decoder kept none
 * back to finish a character) and the text read has as many characters as
 * the bytes, each byte is one character: the newline's place in the text is
 * its place in the bytes, no search needed.
 */
class LineBytes {
  #bytes: Uint8Array = new Uint8Array(0);
  /** Where in the file the bytes read last start, and the line read now. */
  #bytesAt = 0;
  #lineAt = 0;
  /** Where in the bytes read last to look for the next newline. */
  #from = 0;
  /** Whether the bytes before the last read ended in an ASCII byte. */
  #clean = true;
  /** Whether each byte read last is one character of its text. */
  #oneToOne = true;

  /** The next bytes read, and their text. */
  read(bytes: Uint8Array, text: string): void {
    this.#bytesAt += this.#bytes.length;
    this.#bytes = bytes;
    this.#from = 0;
    this.#oneToOne = this.#clean && text.length === bytes.length;
    if (bytes.length > 0) this.#clean = bytes[bytes.length - 1] < 0x80;
  }

  /** The length of the line that ends at the next newline, at `at` in the text read last. */
  next(at: number): number {
    const newline = this.#oneToOne
      ? at
      : this.#bytes.indexOf(NEWLINE, this.#from);
    const end = this.#bytesAt + newline + 1;
    const length = end - this.#lineAt;
    this.#lineAt = end;
    this.#from = newline + 1;
    return length;
  }

  /** The length of the last line, which has no newline. */
  rest(): number {
    return this.#bytesAt + this.#bytes.length - this.#lineAt;
  }
}

/**
 * Lines that may hold NUL bytes: each run of them ends the line before it
 * (a crash cut that line short) and is skipped, counted. A line with a NUL
 * byte and any other raw control character is refused: not a log.
 */
class NulRuns {
  skipped = 0;

  constructor(
    readonly path: string,
    readonly onLine: (line: string, bytes: number) => void,
  ) {}

  /** Line `lineNumber`, `bytes` long in the file (0 when not counted). */
  split(line: string, lineNumber: number, bytes: number): void {
    if (!line.includes("\0")) return this.onLine(line, bytes);
    // deno-lint-ignore no-control-regex -- looking for raw control bytes is the point
    if (/[\x01-\x08\x0b-\x1f\x7f]/.test(line)) {
      throw new Error(
        `Cannot count '${this.path}' as line ${lineNumber} is not a log line: it holds a NUL byte and other control characters, which the logger never writes (is it a log file?)`,
      );
    }
    const nuls = line.length - line.replaceAll("\0", "").length;
    const pieces = line.split(/\0+/).filter((piece) => piece !== "");
    // Each piece is a line of its own; the last has the newline too.
    let left = bytes - nuls;
    pieces.forEach((piece, i) => {
      const size = bytes === 0
        ? 0
        : i === pieces.length - 1
        ? left
        : encoder.encode(piece).length;
      left -= size;
      this.onLine(piece, size);
    });
    this.skipped += nuls;
  }
}

const encoder = new TextEncoder();

/**
 * Takes a line's fields out, only those asked for: `who` for host and tag
 * (`tag: false` leaves the tag of a header out), `text` for the message. It returns the same object each time (one line is
 * counted before the next is read), so a million lines make no garbage.
 *
 * @example
 * ```ts
 * const fields = new FieldReader({ who: true, text: true });
 * fields.read("2026-11-24T10:00:00.000Z <error> - pi-1 -: disk full").host; // "pi-1"
 * ```
 */
export class FieldReader {
  readonly #times = new TimeReader();
  readonly #fields: LineFields = { time: NaN, level: "info", text: "" };

  constructor(
    readonly need: { who: boolean; text: boolean; tag?: boolean },
  ) {}

  /** The fields of `line`. */
  read(line: string): LineFields {
    const fields = this.#fields;
    fields.time = NaN;
    fields.level = "info";
    fields.host = undefined;
    fields.tag = undefined;
    fields.text = "";
    if (line.charCodeAt(0) === 123) { // "{": JSON Lines (or text that starts so)
      const parsed = parseLogLine(line);
      ({
        level: fields.level,
        host: fields.host,
        tag: fields.tag,
        text: fields.text,
      } = parsed.message);
      fields.time = Date.parse(parsed.received ?? parsed.message.sent ?? "");
      return fields;
    }
    let at = 0;
    if (startsWithTime(line)) {
      fields.time = this.#times.read(line, 0);
      at = 25;
    }
    const lt = line.charCodeAt(at) === 60;
    const end = lt ? headerEnd(line, at) : -1;
    const next = lt ? line.charCodeAt(at + 1) : 0;
    if (end === -1 && next >= 48 && next <= 57) {
      // "<digit": maybe syslog (rsyslog's omczmq): the full reader, which
      // also takes it as plain text when it only looks like syslog.
      const message = parseMessage(at === 0 ? line : line.slice(at));
      ({
        level: fields.level,
        host: fields.host,
        tag: fields.tag,
        text: fields.text,
      } = message);
      if (Number.isNaN(fields.time)) {
        fields.time = Date.parse(message.sent ?? "");
      }
    } else if (end === -1) {
      if (this.need.text) fields.text = at === 0 ? line : line.slice(at);
    } else {
      this.#readHeader(line, at, end);
    }
    return fields;
  }

  /** `<level> SENT HOST TAG: text`, the header at `at` ending at `end`. */
  #readHeader(line: string, at: number, end: number): void {
    const fields = this.#fields;
    fields.level = LEVEL_BY_INITIAL[line.charCodeAt(at + 1)];
    const afterLevel = line.indexOf(" ", at) + 1;
    const afterSent = line.indexOf(" ", afterLevel) + 1;
    if (Number.isNaN(fields.time) && line.charCodeAt(afterLevel) !== 45) {
      fields.time = Date.parse(line.slice(afterLevel, afterSent - 1));
    }
    if (this.need.who) {
      const afterHost = line.indexOf(" ", afterSent) + 1;
      const host = line.slice(afterSent, afterHost - 1);
      fields.host = host === "-" ? undefined : host;
      if (this.need.tag !== false) {
        const tag = line.slice(afterHost, end - 2);
        fields.tag = tag === "-" ? undefined : tag;
      }
    }
    if (this.need.text) fields.text = line.slice(end);
  }
}

/**
 * Reads times of the logger's own form fast: digits by character code, and
 * one Date.UTC per minute (lines come in time order).
 */
class TimeReader {
  #minute = NaN;
  #minuteMs = NaN;
  /** The 16 characters of the last minute read (2026-11-24T10:00), "\0" before one. */
  #prefix = "\0";

  /** The time of the 24 characters at `at` (2026-11-24T10:00:00.000Z), or NaN. */
  read(line: string, at: number): number {
    const second = number(line, at + 17, 2);
    const ms = number(line, at + 20, 3);
    // Lines come in time order: most are in the minute of the line before.
    if (line.startsWith(this.#prefix, at)) {
      return this.#minuteMs + second * 1000 + ms; // NaN if a part is not digits
    }
    const year = number(line, at, 4);
    const month = number(line, at + 5, 2);
    const day = number(line, at + 8, 2);
    const hour = number(line, at + 11, 2);
    const minute = number(line, at + 14, 2);
    const key = (((year * 100 + month) * 100 + day) * 100 + hour) * 100 +
      minute;
    if (Number.isNaN(key + second + ms)) return NaN; // a part is not digits
    if (key !== this.#minute) {
      this.#minute = key;
      this.#minuteMs = Date.parse(`${line.slice(at, at + 16)}:00Z`);
      this.#prefix = line.slice(at, at + 16);
    }
    return this.#minuteMs + second * 1000 + ms;
  }
}

/** The number of `length` decimal digits at `at`, or NaN if one is not a digit. */
function number(line: string, at: number, length: number): number {
  let value = 0;
  for (let i = at; i < at + length; i++) {
    const digit = line.charCodeAt(i) - 48;
    if (!(digit >= 0 && digit <= 9)) return NaN;
    value = value * 10 + digit;
  }
  return value;
}

/** True when `line` starts with the logger's received time, 2026-11-24T10:00:00.000Z. */
function startsWithTime(line: string): boolean {
  return line.length > 24 && line.charCodeAt(24) === 32 &&
    line.charCodeAt(23) === 90 && line.charCodeAt(10) === 84 &&
    line.charCodeAt(19) === 46;
}

/** Refuses a line with a NUL byte: the logger always escapes it. */
function openToRead(path: string): Deno.FsFile {
  try {
    return Deno.openSync(path, { read: true });
  } catch (err) {
    throw new Error(
      `Cannot read log file '${path}': ${fileProblem(err, path, "read")}`,
    );
  }
}

function readChunk(file: Deno.FsFile, chunk: Uint8Array, path: string): number {
  try {
    return file.readSync(chunk) ?? 0;
  } catch (err) {
    throw new Error(
      `Cannot read log file '${path}': ${fileProblem(err, path, "read")}`,
    );
  }
}
