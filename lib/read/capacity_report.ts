/**
 * What `--stats --capacity` prints: the figures of lib/read/capacity.ts as
 * a terminal report (days, hosts, growth, disk), as CSV (one table: a row
 * per day and host, then a row per host for the whole log) or as JSON. (The
 * page's capacity section is lib/read/capacity_page.ts.)
 *
 * @example
 * ```ts
 * import { capacityText } from "./capacity_report.ts";
 * console.log(capacityText({ file: "./log.txt", untimed: 0, capacity }));
 * ```
 *
 * @module
 */

import { plural } from "../base/words.ts";
import { escapeControlText, escapeJson } from "../log/escape.ts";
import type { Amount, Capacity, HostCapacity } from "./capacity.ts";
import { csvField } from "./csv.ts";
import { rfc3339 } from "./stats_options.ts";

/** What a capacity report is made of. */
export interface CapacityReport {
  file: string;
  /** Counted lines without a time: in the hosts' totals, in no day. */
  untimed: number;
  capacity: Capacity;
}

/** Hosts the terminal lists, the busiest; silent ones past them are listed too, up to as many. */
const TEXT_HOSTS = 20;
/** Days the terminal lists, the last. */
const TEXT_DAYS = 31;
/** Widest host name in the terminal. */
const NAME_WIDTH = 24;

/**
 * Bytes as a person reads them: 1023 B, 1.5 KiB, 20.0 GiB.
 *
 * @example
 * ```ts
 * formatBytes(1536); // "1.5 KiB"
 * ```
 */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0
    ? `${Math.round(value)} B`
    : `${value.toFixed(1)} ${units[unit]}`;
}

/** A count a day: whole from 100 up, else to a tenth. */
function perDay(n: number): string {
  return n >= 100 ? String(Math.round(n)) : n.toFixed(1);
}

/**
 * A length of time, rounded, as a person reads it: 40s, 2m, 3h, 9d.
 *
 * @example
 * ```ts
 * formatInterval(65_536); // "66s"
 * ```
 */
export function formatInterval(ms: number): string {
  const seconds = ms / 1000;
  if (seconds < 120) return `${Math.max(1, Math.round(seconds))}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)}h`;
  return `${Math.round(seconds / 86_400)}d`;
}

/** A minute's start as the tables show it: 2026-11-24T10:03Z. */
function minuteLabel(start: number): string {
  return `${new Date(start).toISOString().slice(0, 16)}Z`;
}

/** A name for the terminal: escaped, cut to NAME_WIDTH. */
function shownName(name: string): string {
  const safe = escapeControlText(name);
  return safe.length > NAME_WIDTH ? `${safe.slice(0, NAME_WIDTH - 1)}…` : safe;
}

/** Lays out rows of cells in columns: the first to the left, the rest to the right. */
function columns(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) =>
    Math.max(...rows.map((row) => (row[i] ?? "").length))
  );
  return rows.map((row) =>
    row.map((cell, i) =>
      i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])
    ).join("  ").trimEnd()
  );
}

/** The hosts' table's headings, in the terminal and on the page. */
export const HOST_HEADINGS = [
  "host",
  "messages",
  "bytes",
  "msg a day",
  "bytes a day",
  "busiest minute",
  "msg/s",
  "",
];

/** The hosts the terminal lists: the busiest, then silent ones past them; and how many are left out. */
export function listedHosts(hosts: HostCapacity[]): [HostCapacity[], number] {
  const busiest = hosts.slice(0, TEXT_HOSTS);
  const silent = hosts.slice(TEXT_HOSTS).filter((host) => host.silent)
    .slice(0, TEXT_HOSTS);
  return [
    [...busiest, ...silent],
    hosts.length - busiest.length - silent.length,
  ];
}

/** A host's row in the terminal table. */
export function hostRow(host: HostCapacity): string[] {
  const note = host.silent
    ? `silent since ${rfc3339(host.last!)} (usual interval ${
      formatInterval(host.usualInterval!)
    })`
    : "";
  return [
    shownName(host.host),
    String(host.messages),
    formatBytes(host.bytes),
    host.perDay ? perDay(host.perDay.messages) : "-",
    host.perDay ? formatBytes(host.perDay.bytes) : "-",
    host.busiest ? minuteLabel(host.busiest.start) : "-",
    host.busiest ? host.busiest.perSecond.toFixed(2) : "-",
    note,
  ];
}

/** A span of `days` in the largest unit that keeps it above 1. */
function formatSpan(days: number): string {
  const seconds = days * 86_400;
  return seconds < 60
    ? `${seconds.toFixed(1)} s`
    : `${(seconds / 60).toFixed(1)} minutes`;
}

/** What the report says of the growth and the disk. */
export function diskLines(report: CapacityReport): string[] {
  const { capacity, file } = report;
  const { disk, growth } = capacity;
  const lines = [
    growth === undefined && capacity.total.last === undefined
      ? "The log's growth a day is not known: it has no timed lines."
      : growth === undefined
      ? `The log's growth a day is not known: its timed lines span ${
        formatSpan(capacity.days)
      }, and a rate a day needs an hour or more.`
      : `The log grew ${formatBytes(growth)} a day (${
        formatBytes(capacity.total.bytes)
      } over ${capacity.days.toFixed(2)} days).`,
  ];
  if (!("available" in disk)) {
    lines.push(
      `The free space of the file system that holds ${
        escapeControlText(file)
      } is not known: ${disk.unknown}.`,
    );
    return lines;
  }
  const full = growth === undefined
    ? "when it is full is not known"
    : capacity.daysToFull === undefined
    ? "not filling up at that rate"
    : `full in ${
      capacity.daysToFull.toFixed(capacity.daysToFull < 10 ? 1 : 0)
    } days at that rate`;
  lines.push(
    `${escapeControlText(file)} is on a file system with ${
      formatBytes(disk.available)
    } free of ${formatBytes(disk.size)}: ${full}.`,
  );
  return lines;
}

/**
 * The terminal report: the span, a row per day (the last TEXT_DAYS), a
 * row per host (the busiest, and the silent ones marked), the growth a day
 * and the disk.
 */
export function capacityText(report: CapacityReport): string {
  const { capacity } = report;
  const span = capacity.first > capacity.last
    ? "no timed lines"
    : `${rfc3339(capacity.first)} to ${rfc3339(capacity.last)} (${
      capacity.days.toFixed(2)
    } days, times in UTC)`;
  const lines = [
    `${escapeControlText(report.file)}: capacity, ${
      plural(capacity.total.messages, "line")
    } from ${plural(capacity.hosts.length, "host")}, ${span}`,
    "",
  ];
  const days = capacity.perDay.slice(-TEXT_DAYS);
  if (capacity.perDay.length > days.length) {
    lines.push(`(the last ${TEXT_DAYS} of ${capacity.perDay.length} days)`);
  }
  lines.push(
    ...columns([
      ["day", "messages", "bytes"],
      ...days.map((day) => [
        new Date(day.start).toISOString().slice(0, 10),
        String(day.messages),
        formatBytes(day.bytes),
      ]),
    ]),
    "",
  );
  const [hosts, left] = listedHosts(capacity.hosts);
  lines.push(
    ...columns([
      HOST_HEADINGS,
      ...hosts.map(hostRow),
      hostRow({ ...capacity.total, host: "total" }),
    ]),
  );
  if (left > 0) {
    lines.push(
      `and ${plural(left, "more host")}: --format csv or json lists every one`,
    );
  }
  lines.push("", ...diskLines(report), ...notes(report));
  return `${lines.join("\n")}\n`;
}

/** What the report says of untimed lines and partial counts. */
function notes(report: CapacityReport): string[] {
  const found: string[] = [];
  if (report.untimed > 0) {
    found.push(
      `${
        plural(report.untimed, "line")
      } without a time: in the hosts' totals, in no day and no rate.`,
    );
  }
  if (report.capacity.partial) {
    found.push(
      "Too many day and host pairs to count them all: the days by host are partial (the days' totals are whole).",
    );
  }
  return found;
}

/** The CSV columns after day and host. */
const CSV_COLUMNS = [
  "messages",
  "bytes",
  "messages_per_day",
  "bytes_per_day",
  "busiest_minute",
  "busiest_minute_messages",
  "peak_per_second",
  "last_line",
  "usual_interval_s",
  "silent",
  "growth_bytes_per_day",
  "size_bytes",
  "available_bytes",
  "days_to_full",
];

/** A number for CSV and JSON: up to 3 decimals, "" or null when not known. */
function rounded(n: number | undefined): number | undefined {
  return n === undefined ? undefined : Math.round(n * 1000) / 1000;
}

/** A host's whole-log CSV cells, after its messages and bytes. */
function hostCells(host: HostCapacity): (string | number | undefined)[] {
  return [
    rounded(host.perDay?.messages),
    rounded(host.perDay?.bytes),
    host.busiest && rfc3339(host.busiest.start),
    host.busiest?.messages,
    rounded(host.busiest?.perSecond),
    host.last === undefined ? undefined : rfc3339(host.last),
    rounded(host.usualInterval && host.usualInterval / 1000),
    host.silent ? "yes" : "no",
  ];
}

/**
 * The figures as one CSV table: `day,host,...`, a row per day and host
 * (and `(total)`) with its messages and bytes, then rows with day `all` for
 * the whole log: each host's averages, busiest minute and silence, and for
 * `(total)` the growth, the disk and the days until full.
 */
export function capacityCsv(report: CapacityReport): string {
  const { capacity } = report;
  // Every row as wide as the header (RFC 4180): the rest empty.
  const width = 2 + CSV_COLUMNS.length;
  const row = (cells: (string | number | undefined)[]) =>
    [...cells, ...Array(width - cells.length).fill(undefined)].map((cell) =>
      cell === undefined ? "" : typeof cell === "number" ? cell : csvField(cell)
    ).join(",");
  const rows = [row(["day", "host", ...CSV_COLUMNS])];
  for (const day of capacity.perDay) {
    const date = new Date(day.start).toISOString().slice(0, 10);
    for (const [host, amount] of Object.entries(day.hosts)) {
      rows.push(row([date, host, amount.messages, amount.bytes]));
    }
    rows.push(row([date, "(total)", day.messages, day.bytes]));
  }
  for (const host of capacity.hosts) {
    rows.push(
      row(["all", host.host, host.messages, host.bytes, ...hostCells(host)]),
    );
  }
  const { disk } = capacity;
  const known = "available" in disk;
  rows.push(row([
    "all",
    "(total)",
    capacity.total.messages,
    capacity.total.bytes,
    ...hostCells(capacity.total).slice(0, -1),
    "",
    rounded(capacity.growth),
    known ? disk.size : undefined,
    known ? disk.available : undefined,
    rounded(capacity.daysToFull),
  ]));
  return `${rows.join("\r\n")}\r\n`;
}

/** A host's figures for JSON. */
function hostJson(host: HostCapacity) {
  return {
    host: host.host,
    messages: host.messages,
    bytes: host.bytes,
    perDay: host.perDay &&
      {
        messages: rounded(host.perDay.messages),
        bytes: rounded(host.perDay.bytes),
      },
    busiestMinute: host.busiest && {
      start: rfc3339(host.busiest.start),
      messages: host.busiest.messages,
      perSecond: rounded(host.busiest.perSecond),
    },
    lastLine: host.last === undefined ? null : rfc3339(host.last),
    usualIntervalSeconds:
      rounded(host.usualInterval && host.usualInterval / 1000) ?? null,
    silent: host.silent,
  };
}

/** The figures as one JSON document. */
export function capacityJson(report: CapacityReport): string {
  const { capacity } = report;
  const { disk } = capacity;
  const amount = (a: Amount) => ({ messages: a.messages, bytes: a.bytes });
  const timed = capacity.first <= capacity.last;
  return `${
    escapeJson(JSON.stringify(
      {
        file: report.file,
        from: timed ? rfc3339(capacity.first) : null,
        to: timed ? rfc3339(capacity.last) : null,
        days: rounded(capacity.days),
        total: hostJson(capacity.total),
        hosts: capacity.hosts.map(hostJson),
        perDay: capacity.perDay.map((day) => ({
          day: new Date(day.start).toISOString().slice(0, 10),
          ...amount(day),
          hosts: day.hosts,
        })),
        perDayPartial: capacity.partial,
        untimed: report.untimed,
        growthBytesPerDay: rounded(capacity.growth) ?? null,
        disk: "available" in disk
          ? { path: disk.path, size: disk.size, available: disk.available }
          : {
            path: disk.path,
            size: null,
            available: null,
            unknown: disk.unknown,
          },
        daysToFull: rounded(capacity.daysToFull) ?? null,
      },
      null,
      2,
    ))
  }\n`;
}
