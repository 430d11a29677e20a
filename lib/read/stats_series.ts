/**
 * `--stats`'s counts in time buckets, for one way of grouping (level, host
 * or tag): a {@link Series} adds each line to its bucket and group, merges
 * buckets into coarser ones when there get to be too many, and gives the
 * table. Memory stays bounded whatever the log: at most MAX_ROWS buckets,
 * MAX_GROUPS groups and MAX_CELLS counts by host or tag.
 *
 * @example
 * ```ts
 * import { Series } from "./stats_series.ts";
 * const series = new Series("host", 60_000, true);
 * series.add(Date.UTC(2026, 10, 24, 10), "pi-kitchen");
 * series.table().totals; // [1]
 * ```
 *
 * @module
 */

import { LEVELS } from "../log/wire.ts";
import { formatDuration, type GroupBy } from "./stats_options.ts";

/** Buckets chosen when `--every` is not given: a screenful. */
export const SCREEN_ROWS = 30;
/** Most rows a table may have: `--every 1s` over a year would be 31 million. */
export const MAX_ROWS = 100_000;
/**
 * Most counts kept by host or tag over all buckets: past it the buckets
 * grow coarser, as past MAX_ROWS, so memory stays bounded whatever hosts
 * and times the senders chose.
 */
export const MAX_CELLS = 1_000_000;
/** Most groups kept apart; lines of later new hosts or tags count as OTHER. */
export const MAX_GROUPS = 1000;
/** The group of lines beyond MAX_GROUPS. */
export const OTHER = "(other)";
/** The group of lines that do not say (no host, no tag). */
export const NONE = "(none)";
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

/**
 * One bucket's counts by group index. By level (five groups) an array; by
 * host or tag a Map of the groups seen in it only, as there may be a
 * thousand groups but a handful in each bucket.
 */
type Row = number[] | Map<number, number>;

/** Counts per bucket and group; buckets grow coarser as it goes unless fixed. */
export class Series {
  readonly #rows = new Map<number, Row>();
  readonly #names = new Map<string, number>();
  readonly #totals: number[] = [];
  /** Counts kept in all rows of Maps: bounded by MAX_CELLS. */
  #cells = 0;
  #lastStart = NaN;
  #lastRow: Row = [];

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
      if (row === undefined && this.#rows.size >= this.#maxRows()) {
        this.#tooMany(); // coarser buckets: this one may be there now
        start = this.#startOf(time);
        row = this.#rows.get(start);
      }
      if (row === undefined) {
        row = this.by === "level" ? [] : new Map();
        this.#rows.set(start, row);
      }
      this.#lastStart = start;
      this.#lastRow = row;
    }
    const row = this.#lastRow;
    if (Array.isArray(row)) {
      row[index] = (row[index] ?? 0) + 1;
      return;
    }
    const count = row.get(index);
    row.set(index, (count ?? 0) + 1);
    if (count === undefined && ++this.#cells > MAX_CELLS) {
      this.#tooMany(`${MAX_CELLS} counts by ${this.by}`);
    }
  }

  /**
   * Buckets kept before they are merged into coarser ones. Without
   * `--every` the table is a screenful in the end, so a few thousand are
   * plenty meanwhile (STEPS each divide the next: merging early changes no
   * count).
   */
  #maxRows(): number {
    return this.fixed ? MAX_ROWS : SCREEN_ROWS * 100;
  }

  #startOf(time: number): number {
    return time >= 0 ? time - time % this.step : time - mod(time, this.step);
  }

  /** Too many buckets: coarser ones, or a clear refusal when --every fixed it. */
  #tooMany(what = `${MAX_ROWS} rows`): void {
    const next = STEPS.find((step) => step > this.step);
    if (this.fixed || next === undefined) {
      throw new Error(
        `Cannot count as '--every ${
          formatDuration(this.step)
        }' makes more than ${what} for this log: pick a longer one, or narrow it with --since/--until`,
      );
    }
    this.regroup(next);
  }

  /** Merges the buckets into ones of `step` (a multiple of the current). */
  regroup(step: number): void {
    if (step === this.step) return;
    const merged = new Map<number, Row>();
    for (const [start, row] of this.#rows) {
      const to = start - mod(start, step);
      const into = merged.get(to);
      if (into === undefined) merged.set(to, row);
      else addRow(into, row);
    }
    this.#rows.clear();
    this.#cells = 0;
    for (const [start, row] of merged) {
      this.#rows.set(start, row);
      if (!Array.isArray(row)) this.#cells += row.size;
    }
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
        const counts = order.map((i) => countIn(row, i));
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

/** Adds the counts of `row` into `into` (rows of one Series: the same kind). */
function addRow(into: Row, row: Row): void {
  if (Array.isArray(into)) {
    (row as number[]).forEach((n, i) => into[i] = (into[i] ?? 0) + (n ?? 0));
  } else {
    for (const [i, n] of row as Map<number, number>) {
      into.set(i, (into.get(i) ?? 0) + n);
    }
  }
}

/** The count of group `index` in `row`. */
function countIn(row: Row, index: number): number {
  return (Array.isArray(row) ? row[index] : row.get(index)) ?? 0;
}

/** `a mod b`, also for times before 1970. */
export function mod(a: number, b: number): number {
  return ((a % b) + b) % b;
}

/** Regroups `series` into the shortest step that gives a screenful of rows. */
export function fitToScreen(series: Series): void {
  const span = series.span();
  if (span === undefined) return;
  series.regroup(
    STEPS.find((step) =>
      step >= series.step &&
      Math.floor(span[1] / step) - Math.floor(span[0] / step) < SCREEN_ROWS
    ) ?? STEPS[STEPS.length - 1],
  );
}
