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
import { formatDuration, type GroupBy } from "./stats_options.ts";
import { FieldReader, forEachLine } from "./stats_read.ts";
import { LEVELS } from "../log/wire.ts";

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
}

/** Buckets chosen when `--every` is not given: a screenful. */
export const SCREEN_ROWS = 30;
/** Most rows a table may have: `--every 1s` over a year would be 31 million. */
export const MAX_ROWS = 100_000;
/** Most groups kept apart; lines of later new hosts or tags count as OTHER. */
export const MAX_GROUPS = 1000;
/** The group of lines beyond MAX_GROUPS. */
export const OTHER = "(other)";
/** The group of lines that do not say (no host, no tag). */
export const NONE = "(none)";
/** Messages kept for "most frequent": a bounded count (Misra-Gries). */
export const MAX_MESSAGES = 5000;

/** Bucket lengths to pick from by default; each divides the next. */
export const STEPS = [
  1_000,
  5_000,
  10_000,
  30_000,
  60_000,
  300_000,
  600_000,
  1_800_000,
  3_600_000,
  10_800_000,
  21_600_000,
  43_200_000,
  86_400_000,
  604_800_000,
  2_419_200_000, // 4 weeks
  31_449_600_000, // 52 weeks
];

/** Times before this (1970) are a sender's broken clock: taken as none. */
const EARLIEST = 0;
/** Times more than this ahead of now are too. */
const LATEST_AHEAD_MS = 86_400_000;
/** A message counted for "most frequent" is cut to this many characters. */
const MAX_MESSAGE_CHARS = 200;

/** Counts per bucket for one way of grouping. */
export interface Table {
  by: GroupBy;
  /** Group names, the busiest first (levels in their order). */
  groups: string[];
  /** One row per bucket from the first to the last, empty ones included. */
  rows: { start: number; counts: number[]; total: number }[];
  /** Per group: every counted line, timed or not. */
  totals: number[];
}

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
  /** Lines read. */
  read: number;
  /** NUL bytes skipped (a crash can leave runs of them). */
  nulBytes: number;
  /** With `details`: the tables by level, host and tag, and frequent messages. */
  details?: Record<GroupBy, Table>;
  /** The most frequent messages, digits folded to "#"; `exact` false once MAX_MESSAGES was passed. */
  messages?: { top: [string, number][]; exact: boolean };
}

/** Counts per bucket and group; buckets grow coarser as it goes unless fixed. */
class Series {
  readonly #rows = new Map<number, number[]>();
  readonly #names = new Map<string, number>();
  readonly #totals: number[] = [];
  #lastStart = NaN;
  #lastRow: number[] = [];

  constructor(
    readonly by: GroupBy,
    public step: number,
    readonly fixed: boolean,
  ) {
    if (by === "level") LEVELS.forEach((level) => this.#index(level));
  }

  #index(name: string): number {
    let index = this.#names.get(name);
    if (index === undefined) {
      if (this.#names.size >= MAX_GROUPS && name !== OTHER) {
        return this.#index(OTHER);
      }
      index = this.#names.size;
      this.#names.set(name, index);
      this.#totals.push(0);
    }
    return index;
  }

  add(time: number, name: string): void {
    const index = this.#index(name);
    this.#totals[index]++;
    if (Number.isNaN(time)) return;
    let start = this.#startOf(time);
    if (start !== this.#lastStart) {
      let row = this.#rows.get(start);
      if (row === undefined && this.#rows.size >= MAX_ROWS) {
        this.#tooMany(); // coarser buckets: this one may be there now
        start = this.#startOf(time);
        row = this.#rows.get(start);
      }
      if (row === undefined) {
        row = [];
        this.#rows.set(start, row);
      }
      this.#lastStart = start;
      this.#lastRow = row;
    }
    this.#lastRow[index] = (this.#lastRow[index] ?? 0) + 1;
  }

  #startOf(time: number): number {
    return time >= 0 ? time - time % this.step : time - mod(time, this.step);
  }

  /** Too many buckets: coarser ones, or a clear refusal when --every fixed it. */
  #tooMany(): void {
    const next = STEPS.find((step) => step > this.step);
    if (this.fixed || next === undefined) {
      throw new Error(
        `Cannot count as '--every ${
          formatDuration(this.step)
        }' makes more than ${MAX_ROWS} rows for this log: pick a longer one, or narrow it with --since/--until`,
      );
    }
    this.regroup(next);
  }

  /** Merges the buckets into ones of `step` (a multiple of the current). */
  regroup(step: number): void {
    if (step === this.step) return;
    const merged = new Map<number, number[]>();
    for (const [start, row] of this.#rows) {
      const to = start - mod(start, step);
      const into = merged.get(to);
      if (into === undefined) merged.set(to, row);
      else row.forEach((n, i) => into[i] = (into[i] ?? 0) + (n ?? 0));
    }
    this.#rows.clear();
    for (const [start, row] of merged) this.#rows.set(start, row);
    this.step = step;
    this.#lastStart = NaN;
  }

  /** The first and last bucket starts, or undefined with none. */
  span(): [number, number] | undefined {
    if (this.#rows.size === 0) return undefined;
    let first = Infinity;
    let last = -Infinity;
    for (const start of this.#rows.keys()) {
      first = Math.min(first, start);
      last = Math.max(last, start);
    }
    return [first, last];
  }

  /** The table: every bucket from first to last, groups busiest first. */
  table(): Table {
    const names = [...this.#names.keys()];
    const order = names.map((_, i) => i);
    if (this.by !== "level") {
      order.sort((a, b) =>
        this.#totals[b] - this.#totals[a] || names[a].localeCompare(names[b])
      );
    }
    const rows: Table["rows"] = [];
    const span = this.span();
    if (span !== undefined) {
      const count = (span[1] - span[0]) / this.step + 1;
      if (count > MAX_ROWS) this.#tooMany();
      for (let start = span[0]; start <= span[1]; start += this.step) {
        const row = this.#rows.get(start) ?? [];
        const counts = order.map((i) => row[i] ?? 0);
        rows.push({
          start,
          counts,
          total: counts.reduce((sum, n) => sum + n, 0),
        });
      }
    }
    return {
      by: this.by,
      groups: order.map((i) => names[i]),
      rows,
      totals: order.map((i) => this.#totals[i]),
    };
  }
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

/** `a mod b`, also for times before 1970. */
function mod(a: number, b: number): number {
  return ((a % b) + b) % b;
}

/** Regroups `series` into the shortest step that gives a screenful of rows. */
function fitToScreen(series: Series): void {
  const span = series.span();
  if (span === undefined) return;
  series.regroup(
    STEPS.find((step) =>
      step >= series.step &&
      Math.floor(span[1] / step) - Math.floor(span[0] / step) < SCREEN_ROWS
    ) ?? STEPS[STEPS.length - 1],
  );
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
  const series = [main, ...others];
  const frequent = options.details ? new FrequentTexts() : undefined;
  const tally = { total: 0, untimed: 0, untimedOutOfRange: 0, implausible: 0 };
  const timeOf = timeInRange(options, tally);
  const filterAll = !keepsAll(options.filters);
  // Only what is counted or filtered on is taken out of a line.
  const needText = filterAll || options.details === true;
  const reader = new FieldReader({
    who: needText || options.by !== "level",
    text: needText,
  });
  let read = 0;
  const nulBytes = forEachLine(options.file, (line) => {
    read++;
    const fields = reader.read(line);
    if (filterAll && dropReason(fields, options.filters) !== undefined) return;
    const time = timeOf(fields.time);
    if (time === undefined) return;
    tally.total++;
    if (Number.isNaN(time)) tally.untimed++;
    for (const one of series) {
      one.add(
        time,
        (one.by === "level" ? fields.level : fields[one.by]) ?? NONE,
      );
    }
    frequent?.add(messageKey(fields.text));
  });

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
