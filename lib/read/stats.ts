/**
 * Counting the log over time, for `--stats`: how many lines fell in each
 * time bucket, grouped by level, host or tag. It reads the file once, as a
 * stream, so memory depends on the number of buckets and groups, never on
 * the size of the log; both are bounded (MAX_ROWS, MAX_GROUPS).
 *
 * It reads what `--show` reads: text logs (with or without `--timestamps`)
 * and JSON Lines; a message that is a syslog frame (rsyslog's omczmq sends
 * them) counts by its severity, host, tag and time. A line's time is when the logger received it, else when
 * it was sent; lines with neither (the book's plain lines in a log written
 * without `--timestamps`) are counted in the totals as untimed.
 *
 * @example
 * ```ts
 * import { countLog } from "./stats.ts";
 * const counts = countLog({ file: "./log.txt", filters, by: "level" });
 * counts.table.rows.length; // a screenful of buckets, first to last
 * ```
 *
 * @module
 */

import { dropReason, type Filters, keepsAll } from "../log/log_line.ts";
import { type GroupBy } from "./stats_options.ts";
import {
  fitToScreen,
  NONE,
  Series,
  STEPS,
  type Table,
} from "./stats_series.ts";
import { FieldReader, forEachLine } from "./stats_read.ts";
import { Load } from "./capacity.ts";

/** What `--stats` was asked for. */
export interface CountOptions {
  file: string;
  filters: Filters;
  /** The time range, in ms since the epoch. */
  since?: number;
  until?: number;
  by: GroupBy;
  /** Bucket length in ms; by default one that gives about SCREEN_ROWS rows. */
  every?: number;
  /** Also count hosts, tags and the most frequent messages (the HTML page). */
  details?: boolean;
  /** Also count what the lines cost, per host and day (`--capacity`). */
  capacity?: boolean;
}

/** Messages kept for "most frequent": a bounded count (Misra-Gries). */
export const MAX_MESSAGES = 5000;

/** Times before this (1970) are a sender's broken clock: taken as none. */
const EARLIEST = 0;
/** Times more than this ahead of now are too. */
const LATEST_AHEAD_MS = 86_400_000;
/** A message counted for "most frequent" is cut to this many characters. */
const MAX_MESSAGE_CHARS = 200;

/** What `--stats` counted. */
export interface Counts {
  file: string;
  /** Bucket length in ms. */
  every: number;
  table: Table;
  /** Lines counted (that passed the filters and range). */
  total: number;
  /** Of those, lines with no time: in the totals, in no bucket. */
  untimed: number;
  /** Lines with no time left out because --since/--until needs one. */
  untimedOutOfRange: number;
  /** Lines whose time was before 1970 or more than a day ahead: taken as none. */
  implausible: number;
  /** The earliest and latest time of a counted line (Infinity, -Infinity with none). */
  first: number;
  last: number;
  /** Lines read. */
  read: number;
  /** NUL bytes skipped (a crash can leave runs of them). */
  nulBytes: number;
  /** With `details`: the tables by level, host and tag, and frequent messages. */
  details?: Record<GroupBy, Table>;
  /** The most frequent messages, digits folded to "#"; `exact` false once MAX_MESSAGES was passed. */
  messages?: { top: [string, number][]; exact: boolean };
  /** With `capacity`: messages and bytes per host and day, busiest minutes. */
  load?: Load;
}

/** A bounded count of the most frequent texts (Misra-Gries). */
class FrequentTexts {
  readonly #counts = new Map<string, number>();
  exact = true;

  add(text: string): void {
    const count = this.#counts.get(text);
    if (count !== undefined) {
      this.#counts.set(text, count + 1);
      return;
    }
    if (this.#counts.size < MAX_MESSAGES) {
      this.#counts.set(text, 1);
      return;
    }
    // Full: every count drops by one and those at zero go, so what stays is
    // what is really frequent; counts are then lower bounds.
    this.exact = false;
    for (const [key, n] of this.#counts) {
      if (n <= 1) this.#counts.delete(key);
      else this.#counts.set(key, n - 1);
    }
  }

  top(n: number): [string, number][] {
    return [...this.#counts].sort((a, b) => b[1] - a[1]).slice(0, n);
  }
}

/**
 * A message's text with its numbers folded, so that "reading 42" and
 * "reading 17" count as one.
 *
 * @example
 * ```ts
 * foldNumbers("reading 42.5 from sensor 7"); // "reading # from sensor #"
 * ```
 */
export function foldNumbers(text: string): string {
  return text.replace(/\d+(?:[.,:]\d+)*/g, "#");
}

/** A message as "most frequent" counts it: numbers folded, cut to MAX_MESSAGE_CHARS. */
function messageKey(text: string): string {
  const folded = foldNumbers(text.slice(0, MAX_MESSAGE_CHARS * 4));
  return folded.length > MAX_MESSAGE_CHARS
    ? `${folded.slice(0, MAX_MESSAGE_CHARS)}…`
    : folded;
}

/**
 * Counts the log's lines per time bucket and group, reading it once.
 * Throws one line when the file cannot be read or is not a log.
 */
export function countLog(options: CountOptions): Counts {
  const fixed = options.every !== undefined;
  const step = options.every ?? STEPS[0];
  const main = new Series(options.by, step, fixed);
  // The HTML page shows every grouping: one pass counts them all.
  const others = options.details
    ? (["level", "host", "tag"] as const).filter((by) => by !== options.by)
      .map((by) => new Series(by, step, fixed))
    : [];
  // --capacity in text, CSV or JSON prints no table: none is counted.
  const series = options.capacity && !options.details ? [] : [main, ...others];
  const frequent = options.details ? new FrequentTexts() : undefined;
  const load = options.capacity ? new Load() : undefined;
  const tally = newTally();
  const timeOf = timeInRange(options, tally);
  const filterAll = !keepsAll(options.filters);
  const reader = readerFor(options);
  let read = 0;
  const nulBytes = forEachLine(options.file, (line, bytes) => {
    read++;
    const fields = reader.read(line);
    if (filterAll && dropReason(fields, options.filters) !== undefined) return;
    const time = timeOf(fields.time);
    if (time === undefined) return;
    tally.total++;
    if (Number.isNaN(time)) tally.untimed++;
    else {
      if (time < tally.first) tally.first = time;
      if (time > tally.last) tally.last = time;
    }
    for (const one of series) {
      one.add(
        time,
        (one.by === "level" ? fields.level : fields[one.by]) ?? NONE,
      );
    }
    frequent?.add(messageKey(fields.text));
    load?.add(time, fields.host, bytes);
  }, load !== undefined);

  if (!fixed) fitToScreen(main);
  for (const one of others) one.regroup(main.step);
  const table = main.table();
  return {
    file: options.file,
    every: main.step,
    table,
    ...tally,
    read,
    nulBytes,
    details: options.details
      ? Object.fromEntries(
        series.map((one) => [one.by, one === main ? table : one.table()]),
      ) as Record<GroupBy, Table>
      : undefined,
    messages: frequent && { top: frequent.top(20), exact: frequent.exact },
    load,
  };
}

/** A reader that takes out of a line only what is counted or filtered on. */
function readerFor(options: CountOptions): FieldReader {
  const needText = !keepsAll(options.filters) || options.details === true;
  return new FieldReader({
    who: needText || options.by !== "level" || options.capacity === true,
    text: needText,
    tag: options.by === "tag" || options.details === true,
  });
}

/** What countLog counts besides the table, all at zero. */
function newTally() {
  return {
    total: 0,
    untimed: 0,
    untimedOutOfRange: 0,
    implausible: 0,
    /** The earliest and latest time counted. */
    first: Infinity,
    last: -Infinity,
  };
}

/**
 * The time a line counts at: its own (NaN when it has none, or one no clock
 * could have shown), or `undefined` when --since/--until leave it out.
 */
function timeInRange(
  options: { since?: number; until?: number },
  tally: { untimedOutOfRange: number; implausible: number },
): (time: number) => number | undefined {
  const ranged = options.since !== undefined || options.until !== undefined;
  const since = options.since ?? -Infinity;
  const until = options.until ?? Infinity;
  const latest = Date.now() + LATEST_AHEAD_MS;
  return (time) => {
    // A sender's clock (or a forged header) may say year 1 or 275760: such
    // a time would make rows for centuries; it counts as no time at all.
    if (time < EARLIEST || time > latest) {
      tally.implausible++;
      time = NaN;
    }
    if (!ranged) return time;
    if (Number.isNaN(time)) {
      tally.untimedOutOfRange++;
      return undefined;
    }
    return time < since || time > until ? undefined : time;
  };
}
