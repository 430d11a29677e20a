/**
 * `--show --context N` (`-B N`, `-A N`): each line that passes the filters
 * comes with the lines before and after it *from the same host and tag*,
 * as on a log shared by many machines the line before in the file is
 * usually another's. Each host and tag is a stream of its own, read as grep
 * reads a file: its lines shown (matches and their context) make groups,
 * and groups that touch or overlap are one. The lines are printed as the
 * log is read (a match with the lines before it at once, the lines after
 * as they come), so groups of different streams may take turns; a `--`
 * line, as grep's, stands between any two lines printed that are not one
 * after the other in the same group. In JSON each line says whether it
 * matched and its group's number instead.
 *
 * Time and memory: one look-up per line; kept are at most N lines of each
 * host and tag (the lines before a match that may come), at most MAX_KEYS
 * hosts and tags and MAX_KEPT_CHARS of their lines in all. Past either
 * bound, as senders choose their host names, the hosts and tags seen least
 * recently are forgotten: a match of theirs then comes with only the lines
 * seen since, and a note on stderr says how many were forgotten.
 *
 * @example
 * ```ts
 * import { ContextLines } from "./show_context.ts";
 * import { parseLogLine } from "../log/log_line.ts";
 * const context = new ContextLines({ before: 3, after: 0 }, "text");
 * const text = "2026-11-24T10:00:00.000Z <error> - pi-1 app: failed";
 * context.add(text, parseLogLine(text), true); // the 3 lines before from pi-1 app, then it
 * ```
 *
 * @module
 */

import { jsonLine, type LogLine, parseLogLine } from "../log/log_line.ts";
import type { ContextOptions } from "./read_options.ts";

/** Most hosts and tags whose lines are kept at once. */
export const MAX_KEYS = 10_000;
/** Most characters of kept lines in all, each line counted LINE_OVERHEAD more. */
export const MAX_KEPT_CHARS = 16 << 20;
/** What keeping a line costs besides its characters, counted against MAX_KEPT_CHARS. */
const LINE_OVERHEAD = 64;
/** The share of the hosts and tags forgotten at once when a bound is reached. */
const FORGET_SHARE = 0.1;
/** Between two lines printed that are not one after the other in a group. */
export const SEPARATOR = "--";

/** One host and tag's stream. */
interface Stream {
  /** Lines of it read so far: the next one's number in it. */
  seen: number;
  /** The number of its last line printed, -1 before any. */
  printed: number;
  /** Its group being printed, and how many more lines after a match it takes. */
  group: number;
  after: number;
  /** The match its lines printed now belong to (for --lines). */
  match: number;
  /** Its lines since the last printed, at most `before`: those from `keptFrom` on. */
  kept: string[];
  keptFrom: number;
  keptChars: number;
  /** When it was last seen, in lines read, to forget the least recent. */
  used: number;
}

/** A line to print, with what places it. */
interface Shown {
  text: string;
  group: number;
  /** Its number in its stream. */
  at: number;
  /** The match it belongs to, counted from 1. */
  match: number;
}

/**
 * The lines of the log with their context, fed one at a time, in the order
 * of the file; see the module's doc.
 */
export class ContextLines {
  /** The streams by host, then tag. */
  readonly #streams = new Map<string, Map<string, Stream>>();
  #streamCount = 0;
  #keptChars = 0;
  #clock = 0;
  #groups = 0;
  #matches = 0;
  /** The last line printed: its group and number in its stream. */
  #lastGroup = -1;
  #lastAt = -1;
  /** With --lines N before the end of the file: what to print, the last N matches'. */
  #held: Shown[] | undefined;
  #heldFrom = 0;
  /** Streams forgotten with lines kept or still to print, since the last note. */
  forgotten = 0;

  /**
   * `lines`: print only the last this many matches with their context at
   * the end of the file ({@link endOfFile}), then every one as it comes.
   */
  constructor(
    readonly context: ContextOptions,
    readonly format: "text" | "json",
    readonly lines?: number,
  ) {
    if (lines !== undefined) this.#held = [];
  }

  /**
   * A line of the log as read, `line` its reading, `matches` whether it
   * passed the filters and time range: what to print now ("" for nothing).
   */
  add(text: string, line: LogLine, matches: boolean): string {
    const stream = this.#streamOf(
      line.message.host ?? "",
      line.message.tag ?? "",
    );
    const at = stream.seen++;
    if (matches) return this.#match(stream, text, line, at);
    if (stream.after > 0) {
      stream.after--;
      stream.printed = at;
      return this.#print(text, line, false, stream, at);
    }
    if (this.context.before > 0) this.#keep(stream, text);
    return "";
  }

  /** What to print at the end of the file: with --lines N, the last N matches with their context. */
  endOfFile(): string {
    if (this.#held === undefined) return "";
    // Lines after an old match may have come after newer matches' lines.
    const oldest = this.#matches - this.lines! + 1;
    const held = this.#held.slice(this.#heldFrom)
      .filter((shown) => shown.match >= oldest);
    this.#held = undefined;
    return held.map((shown) => this.#placed(shown)).join("");
  }

  /** A match: a new group unless it touches the last; the lines kept before it, then it. */
  #match(stream: Stream, text: string, line: LogLine, at: number): string {
    const match = ++this.#matches;
    const first = at - (stream.kept.length - stream.keptFrom);
    if (stream.printed < 0 || first > stream.printed + 1) {
      stream.group = ++this.#groups;
    }
    stream.match = match;
    let output = "";
    for (let i = stream.keptFrom; i < stream.kept.length; i++) {
      output += this.#print(
        stream.kept[i],
        undefined,
        false,
        stream,
        first + i - stream.keptFrom,
      );
    }
    this.#keptChars -= stream.keptChars;
    stream.kept = [];
    stream.keptFrom = 0;
    stream.keptChars = 0;
    output += this.#print(text, line, true, stream, at);
    stream.printed = at;
    stream.after = this.context.after;
    this.#dropOldMatches();
    return output;
  }

  /** Keeps a line of `stream` that may come before a match: its last `before` lines. */
  #keep(stream: Stream, text: string): void {
    // A copy: `text` is a slice of the text read, which it would keep whole.
    stream.kept.push((" " + text).slice(1));
    const cost = text.length + LINE_OVERHEAD;
    stream.keptChars += cost;
    this.#keptChars += cost;
    if (stream.kept.length - stream.keptFrom > this.context.before) {
      this.#dropOldest(stream);
    }
    if (this.#keptChars > MAX_KEPT_CHARS) this.#forget(stream);
  }

  /** Lets go of the oldest line kept of `stream`. */
  #dropOldest(stream: Stream): void {
    const cost = stream.kept[stream.keptFrom].length + LINE_OVERHEAD;
    stream.keptChars -= cost;
    this.#keptChars -= cost;
    stream.keptFrom++;
    if (stream.keptFrom > 64 && stream.keptFrom * 2 > stream.kept.length) {
      stream.kept = stream.kept.slice(stream.keptFrom);
      stream.keptFrom = 0;
    }
  }

  /** A line to print: as it is, or in JSON with whether it matched and its group. */
  #print(
    text: string,
    line: LogLine | undefined,
    matched: boolean,
    stream: Stream,
    at: number,
  ): string {
    let shown = text;
    if (this.format === "json") {
      const read = line ?? parseLogLine(text);
      const json = jsonLine(read.message, read.received ?? null);
      shown = `${
        json.slice(0, -1)
      },"match":${matched},"group":${stream.group}}`;
    }
    const placed = {
      text: shown,
      group: stream.group,
      at,
      match: stream.match,
    };
    if (this.#held === undefined) return this.#placed(placed);
    if (placed.match > this.#matches - this.lines!) this.#held.push(placed);
    return "";
  }

  /** A line as printed: after a separator unless it follows the last one printed in its group. */
  #placed(shown: Shown): string {
    const follows = shown.group === this.#lastGroup &&
      shown.at === this.#lastAt + 1;
    const first = this.#lastGroup === -1;
    this.#lastGroup = shown.group;
    this.#lastAt = shown.at;
    return this.format === "text" && !follows && !first
      ? `${SEPARATOR}\n${shown.text}\n`
      : `${shown.text}\n`;
  }

  /** With --lines N, lets go of what belongs to matches before the last N. */
  #dropOldMatches(): void {
    const held = this.#held;
    if (held === undefined) return;
    const oldest = this.#matches - this.lines! + 1;
    while (
      this.#heldFrom < held.length && held[this.#heldFrom].match < oldest
    ) {
      this.#heldFrom++;
    }
    if (this.#heldFrom > 1024 && this.#heldFrom * 2 > held.length) {
      this.#held = held.slice(this.#heldFrom);
      this.#heldFrom = 0;
    }
  }

  /** The stream of `host` and `tag`, new if it was not seen (or was forgotten). */
  #streamOf(host: string, tag: string): Stream {
    let tags = this.#streams.get(host);
    let stream = tags?.get(tag);
    if (stream === undefined) {
      stream = {
        seen: 0,
        printed: -1,
        group: 0,
        after: 0,
        match: 0,
        kept: [],
        keptFrom: 0,
        keptChars: 0,
        used: 0,
      };
      if (this.#streamCount >= MAX_KEYS) this.#forget(stream);
      tags = this.#streams.get(host); // forgetting may have taken it
      if (tags === undefined) this.#streams.set(host, tags = new Map());
      tags.set(tag, stream);
      this.#streamCount++;
    }
    stream.used = ++this.#clock;
    return stream;
  }

  /**
   * Forgets the streams seen least recently (FORGET_SHARE of them; for the
   * bound on characters, of those that keep lines) until both bounds hold
   * again; never `current`, whose oldest lines go last.
   */
  #forget(current: Stream): void {
    while (this.#streamCount >= MAX_KEYS || this.#keptChars > MAX_KEPT_CHARS) {
      const tooMany = this.#streamCount >= MAX_KEYS;
      const others: [string, string, Stream][] = [];
      for (const [host, tags] of this.#streams) {
        for (const [tag, stream] of tags) {
          if (stream !== current && (tooMany || stream.keptChars > 0)) {
            others.push([host, tag, stream]);
          }
        }
      }
      if (others.length === 0) {
        // Over the bound alone: its oldest lines go, the newest stays.
        while (
          this.#keptChars > MAX_KEPT_CHARS &&
          current.kept.length - current.keptFrom > 1
        ) this.#dropOldest(current);
        return;
      }
      others.sort((a, b) => a[2].used - b[2].used);
      const count = Math.max(1, Math.floor(others.length * FORGET_SHARE));
      for (const [host, tag, stream] of others.slice(0, count)) {
        if (stream.keptChars > 0 || stream.after > 0) this.forgotten++;
        this.#keptChars -= stream.keptChars;
        const tags = this.#streams.get(host)!;
        tags.delete(tag);
        if (tags.size === 0) this.#streams.delete(host);
        this.#streamCount--;
      }
    }
  }
}
