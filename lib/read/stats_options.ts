/**
 * What `--stats` is asked for, and its units: the grouping, the bucket
 * length (`--every 10m`), the format, and times as it prints them. Small,
 * so the command line reads these options without loading the counting.
 *
 * @example
 * ```ts
 * import { parseDuration, formatDuration } from "./stats_options.ts";
 * formatDuration(parseDuration("10m", "--every")); // "10m"
 * ```
 *
 * @module
 */

import { UsageError } from "../base/errors.ts";

/** What a line is counted under. */
export type GroupBy = "level" | "host" | "tag";

/** What `--stats` counts and prints. */
export interface StatsOptions {
  /** Group by level (default), host or tag. */
  by: GroupBy;
  /** Bucket length in ms; by default a screenful of rows. */
  every?: number;
  format: StatsFormat;
  /** `--capacity`: messages and bytes per host and day, and the disk. */
  capacity: boolean;
}

/** How `--stats` prints its counts. */
export type StatsFormat = "text" | "csv" | "json" | "html";

/**
 * Reads a bucket length: a whole number and s, m, h, d or w.
 *
 * @returns milliseconds.
 * @example
 * ```ts
 * parseDuration("10m", "--every"); // 600000
 * ```
 */
export function parseDuration(text: string, flag: string): number {
  const match = /^(\d{1,6})([smhdw])$/.exec(text);
  const unit = {
    s: 1_000,
    m: 60_000,
    h: 3_600_000,
    d: 86_400_000,
    w: 604_800_000,
  };
  const ms = match ? Number(match[1]) * unit[match[2] as keyof typeof unit] : 0;
  if (ms < 1000 || ms > 366 * 86_400_000) {
    throw new UsageError(
      `Cannot count as '${flag}' must be a time such as 1m, 10m, 1h or 1d (1s to 366d): current value is ${
        JSON.stringify(text)
      }`,
    );
  }
  return ms;
}

/**
 * A bucket length as `--every` takes it.
 *
 * @example
 * ```ts
 * formatDuration(600_000); // "10m"
 * ```
 */
export function formatDuration(ms: number): string {
  for (
    const [unit, size] of [["w", 604_800_000], ["d", 86_400_000], [
      "h",
      3_600_000,
    ], ["m", 60_000]] as const
  ) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms / 1000}s`;
}

/** RFC 3339, to the second: 2026-11-24T10:00:00Z. */
export function rfc3339(time: number): string {
  return `${new Date(time).toISOString().slice(0, 19)}Z`;
}

/**
 * Reads `--by`, `--every`, `--format` and `--capacity` of `--stats`.
 *
 * @example
 * ```ts
 * parseStatsOptions({ by: "host", every: "1h" }); // { by: "host", every: 3600000, format: "text", capacity: false }
 * ```
 */
export function parseStatsOptions(
  flags: { by?: string; every?: string; format?: string; capacity?: boolean },
): StatsOptions {
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
  const capacity = flags.capacity === true;
  if (capacity && flags.by !== undefined) {
    throw new UsageError(
      `Cannot count as '--by' does not go with '--capacity', which counts by host and day: current value is ${
        JSON.stringify(flags.by)
      }`,
    );
  }
  if (capacity && flags.every !== undefined && format !== "html") {
    throw new UsageError(
      `Cannot count as '--every' goes with '--capacity' only for the page's charts (--format html): the tables are per day; current value is ${
        JSON.stringify(flags.every)
      }`,
    );
  }
  const every = flags.every === undefined
    ? undefined
    : parseDuration(flags.every, "--every");
  return { by, every, format: format as StatsFormat, capacity };
}
