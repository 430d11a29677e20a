/**
 * What `--stats` prints: the counts of lib/read/stats.ts as a terminal table with
 * a bar per bucket, as CSV for a spreadsheet, or as JSON. (The HTML page is
 * lib/read/stats_page.ts.)
 *
 * Group names come from senders: they are escaped for a terminal, quoted and
 * kept from starting a spreadsheet formula in CSV, and escaped in JSON.
 *
 * @example
 * ```ts
 * import { countLog } from "./stats.ts";
 * import { statsCsv } from "./stats_report.ts";
 * console.log(statsCsv(countLog({ file: "./log.txt", filters, by: "level" })));
 * ```
 *
 * @module
 */

import { plural } from "../base/words.ts";
import { escapeControlText, escapeJson } from "../log/escape.ts";
import { countLog, type CountOptions, type Counts } from "./stats.ts";
import { OTHER, type Table } from "./stats_series.ts";
import { csvField } from "./csv.ts";
import { formatDuration, rfc3339, type StatsFormat } from "./stats_options.ts";

/** Group columns in the terminal table; the rest are summed as "other". */
const TABLE_GROUPS = 6;
/** Widest group name in the terminal table. */
const NAME_WIDTH = 16;
/** Width of the bar of the busiest bucket. */
const BAR_WIDTH = 30;
const EIGHTHS = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];

/**
 * A bucket's start as the table shows it: as short as its length allows.
 *
 * @example
 * ```ts
 * bucketLabel(Date.UTC(2026, 10, 24, 10), 3_600_000); // "2026-11-24T10:00Z"
 * ```
 */
export function bucketLabel(start: number, every: number): string {
  const iso = new Date(start).toISOString(); // 2026-11-24T10:00:00.000Z
  if (every % 86_400_000 === 0) return iso.slice(0, 10);
  if (every % 60_000 === 0) return `${iso.slice(0, 16)}Z`;
  return `${iso.slice(0, 19)}Z`;
}

/** A bar of `n` against `max`, in eighths of a character. */
function bar(n: number, max: number): string {
  if (max === 0 || n === 0) return "";
  const eighths = Math.max(1, Math.round((n / max) * BAR_WIDTH * 8));
  return "█".repeat(Math.floor(eighths / 8)) + EIGHTHS[eighths % 8];
}

/** The table's groups, at most TABLE_GROUPS of them and "other" for the rest. */
function fewGroups(table: Table): Table {
  if (table.groups.length <= TABLE_GROUPS + 1) return table;
  const sumRest = (counts: number[]) =>
    counts.slice(TABLE_GROUPS).reduce((sum, n) => sum + n, 0);
  return {
    ...table,
    groups: [...table.groups.slice(0, TABLE_GROUPS), OTHER],
    rows: table.rows.map((row) => ({
      ...row,
      counts: [...row.counts.slice(0, TABLE_GROUPS), sumRest(row.counts)],
    })),
    totals: [...table.totals.slice(0, TABLE_GROUPS), sumRest(table.totals)],
  };
}

/**
 * The column names of the table: each escaped, and cut to NAME_WIDTH at its
 * end, else (where that makes two alike: names of a fleet often differ at
 * their end only) in its middle, else not cut at all.
 */
function shownNames(names: string[]): string[] {
  const safe = names.map(escapeControlText);
  const head = Math.ceil((NAME_WIDTH - 1) / 2);
  const cuts = [
    (name: string) => `${name.slice(0, NAME_WIDTH - 1)}…`,
    (name: string) =>
      `${name.slice(0, head)}…${
        name.slice(name.length - (NAME_WIDTH - 1 - head))
      }`,
  ];
  for (const cut of cuts) {
    const shown = safe.map((name) =>
      name.length > NAME_WIDTH ? cut(name) : name
    );
    if (new Set(shown).size === shown.length) return shown;
  }
  return safe;
}

/** What the summary says of lines that have no time. */
function untimedNote(counts: Counts): string[] {
  const notes: string[] = [];
  if (counts.untimed > 0) {
    notes.push(
      `${
        plural(counts.untimed, "line")
      } without a time (logged without --timestamps, sent without one): in the totals, in no row`,
    );
  }
  if (counts.implausible > 0) {
    notes.push(
      `${
        plural(counts.implausible, "line")
      } with a time before 1970 or more than a day ahead (a sender's clock): taken as without one`,
    );
  }
  if (counts.untimedOutOfRange > 0) {
    notes.push(
      `${
        plural(counts.untimedOutOfRange, "line")
      } without a time left out: --since/--until need one`,
    );
  }
  return notes;
}

/**
 * The terminal table: a row per bucket with a column per group, the total
 * and a bar, then the totals per group and what was not timed.
 */
export function statsText(counts: Counts): string {
  const table = fewGroups(counts.table);
  const every = formatDuration(counts.every);
  const head = `${counts.file}: ${plural(counts.total, "line")}${
    counts.first > counts.last
      ? ""
      : `, ${rfc3339(counts.first)} to ${rfc3339(counts.last)}`
  }, every ${every}, by ${table.by} (times in UTC)`;
  const names = shownNames(table.groups);
  const labelWidth = Math.max(
    5,
    ...table.rows.map((row) => bucketLabel(row.start, counts.every).length),
  );
  const widths = names.map((name, i) =>
    Math.max(name.length, String(table.totals[i]).length)
  );
  const totalWidth = Math.max(5, String(counts.total).length);
  const line = (
    label: string,
    cells: (string | number)[],
    total: string | number,
    end = "",
  ) =>
    [
      label.padEnd(labelWidth),
      ...cells.map((cell, i) => String(cell).padStart(widths[i])),
      String(total).padStart(totalWidth),
      end,
    ].join("  ").trimEnd();
  const max = Math.max(0, ...table.rows.map((row) => row.total));
  const lines = [
    head,
    "",
    line("time", names, "total"),
    ...table.rows.map((row) =>
      line(
        bucketLabel(row.start, counts.every),
        row.counts,
        row.total,
        bar(row.total, max),
      )
    ),
    line("total", table.totals, counts.total),
  ];
  const notes = untimedNote(counts);
  if (notes.length > 0) lines.push("", ...notes);
  return `${lines.join("\n")}\n`;
}

/**
 * The table as CSV: a header row, then a row per bucket: its start (RFC
 * 3339), a column per group, and `total`. Untimed lines, if any, make a last
 * row `untimed`.
 */
export function statsCsv(counts: Counts): string {
  const { table } = counts;
  const rows = [
    ["bucket", ...table.groups, "total"].map(csvField).join(","),
    ...table.rows.map((row) =>
      [rfc3339(row.start), ...row.counts, row.total].join(",")
    ),
  ];
  if (counts.untimed > 0) {
    const timed = table.groups.map((_, i) =>
      table.rows.reduce((sum, row) => sum + row.counts[i], 0)
    );
    rows.push(
      ["untimed", ...table.totals.map((n, i) => n - timed[i]), counts.untimed]
        .join(","),
    );
  }
  return `${rows.join("\r\n")}\r\n`;
}

/** The counts as one JSON document. */
export function statsJson(counts: Counts): string {
  const { table } = counts;
  const byGroup = (values: number[]) =>
    Object.fromEntries(table.groups.map((name, i) => [name, values[i]]));
  return `${
    escapeJson(JSON.stringify(
      {
        file: counts.file,
        every: formatDuration(counts.every),
        by: table.by,
        groups: table.groups,
        rows: table.rows.map((row) => ({
          start: rfc3339(row.start),
          counts: byGroup(row.counts),
          total: row.total,
        })),
        totals: byGroup(table.totals),
        total: counts.total,
        untimed: counts.untimed,
        untimedOutOfRange: counts.untimedOutOfRange,
        implausible: counts.implausible,
        lines: counts.read,
      },
      null,
      2,
    ))
  }\n`;
}

const encoder = new TextEncoder();

/**
 * Counts the log and prints the counts to standard output in the format
 * asked for; the HTML page's charting code is loaded only for it, and
 * `--capacity`'s reports only for that.
 */
export async function printStats(
  options: Omit<CountOptions, "details"> & { format: StatsFormat },
): Promise<void> {
  const counts = countLog({ ...options, details: options.format === "html" });
  if (counts.nulBytes > 0) {
    console.error(
      `logging_basic: skipped ${
        plural(counts.nulBytes, "NUL byte")
      } in ${options.file} (a crash or power cut can leave them)`,
    );
  }
  let output: string;
  if (counts.load !== undefined) {
    output = await capacityOutput(counts, options.format);
  } else if (options.format === "html") {
    const { statsPage } = await import("./stats_page.ts");
    output = statsPage(counts);
  } else if (options.format === "csv") output = statsCsv(counts);
  else if (options.format === "json") output = statsJson(counts);
  else output = statsText(counts);
  const bytes = encoder.encode(output);
  try {
    for (let done = 0; done < bytes.length;) {
      done += Deno.stdout.writeSync(bytes.subarray(done));
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.BrokenPipe)) throw err; // e.g. piped into head
  }
}

/**
 * `--capacity`'s report in `format`, with the free space of the log's file
 * system; when that is not known, one line on stderr says why and how to
 * know it.
 */
async function capacityOutput(
  counts: Counts,
  format: StatsFormat,
): Promise<string> {
  const { diskSpace } = await import("./disk_space.ts");
  const { capacityOf } = await import("./capacity.ts");
  const report = await import("./capacity_report.ts");
  const disk = await diskSpace(counts.file);
  if ("unknown" in disk) {
    console.error(
      `logging_basic: the free space of the file system that holds ${counts.file} is not known, so neither is when it will be full: ${disk.unknown}${
        disk.hint === undefined ? "" : `; ${disk.hint}`
      }`,
    );
  }
  const figures = {
    file: counts.file,
    untimed: counts.untimed,
    capacity: capacityOf(counts.load!, disk),
  };
  if (format === "html") {
    const { statsPage } = await import("./stats_page.ts");
    const { capacitySection } = await import("./capacity_page.ts");
    return statsPage(
      counts,
      capacitySection(figures, counts.details!.host, counts.every),
    );
  }
  return format === "csv"
    ? report.capacityCsv(figures)
    : format === "json"
    ? report.capacityJson(figures)
    : report.capacityText(figures);
}
