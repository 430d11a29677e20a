/**
 * The capacity section of the `--stats --capacity --format html` page: the
 * growth and the disk in a sentence, the hosts with their rates (silent ones
 * marked), the rate over time per host, and the disk line: the free space of
 * the file system over the log's span and, at the log's growth, ahead to the
 * day it is full. SVG drawn when the page is made, like the rest of the page
 * (lib/read/chart.ts); every name a sender chose is escaped.
 *
 * @example
 * ```ts
 * import { capacitySection } from "./capacity_page.ts";
 * const section = capacitySection(report, counts.details!.host, counts.every);
 * ```
 *
 * @module
 */

// @ts-types="npm:@types/d3-scale@^4.0.8"
import { scaleLinear, scaleUtc } from "d3-scale";
// @ts-types="npm:@types/d3-shape@^3.1.6"
import { line } from "d3-shape";
import { type Capacity, DAY_MS } from "./capacity.ts";
import {
  type CapacityReport,
  diskLines,
  formatBytes,
  HOST_HEADINGS,
  hostRow,
  listedHosts,
} from "./capacity_report.ts";
import {
  axes,
  HEIGHT,
  html,
  keepGroups,
  MARGIN,
  timeChart,
  WIDTH,
} from "./chart.ts";
import type { Table } from "./stats_series.ts";

/** Hosts drawn apart in the rate chart; the rest are "other". */
const CHART_GROUPS = 8;
/** The colour of the disk line. */
export const DISK_COLOR = "#1d3557";
/** How far ahead the disk line looks at most: four times the log's span, at least 30 days. */
const AHEAD_SPANS = 4;
const AHEAD_MIN_DAYS = 30;

/** The counts of `table` as messages a second; each host's highest rate in its totals. */
function rateTable(table: Table, every: number): Table {
  const seconds = every / 1000;
  const rows = table.rows.map((row) => ({
    start: row.start,
    counts: row.counts.map((n) => n / seconds),
    total: row.total / seconds,
  }));
  const totals = table.groups.map((_, i) =>
    Math.round(
      rows.reduce((max, row) => Math.max(max, row.counts[i]), 0) * 100,
    ) /
    100
  );
  return { ...table, rows, totals };
}

/**
 * The free space over the log's span, reckoned back from the free space
 * now: before each day's lines, what they and the later ones took was free.
 */
function freeBefore(capacity: Capacity, available: number) {
  let after = capacity.perDay.reduce((sum, day) => sum + day.bytes, 0);
  const points = capacity.perDay.map((day) => {
    const point = {
      time: Math.max(day.start, capacity.first),
      free: available + after,
    };
    after -= day.bytes;
    return point;
  });
  points.push({ time: capacity.last, free: available });
  return points;
}

/** The disk line: free space over the span (solid), then at the log's growth (dashed). */
function diskChart(capacity: Capacity, available: number): string {
  const { first, last, growth } = capacity;
  if (growth === undefined) {
    return `<p class="empty">No disk line: the log's growth needs lines at two times.</p>`;
  }
  const ahead = Math.min(
    capacity.daysToFull ?? Infinity,
    Math.max(AHEAD_SPANS * capacity.days, AHEAD_MIN_DAYS),
  );
  const end = last + ahead * DAY_MS;
  const freeAtEnd = Math.max(0, available - growth * ahead);
  const seen = freeBefore(capacity, available);
  const x = scaleUtc().domain([new Date(first), new Date(end)])
    .range([MARGIN.left, WIDTH - MARGIN.right]);
  const y = scaleLinear().domain([0, Math.max(1, seen[0].free)]).nice()
    .range([HEIGHT - MARGIN.bottom, MARGIN.top]);
  const path = line<{ time: number; free: number }>()
    .x((point) => x(new Date(point.time)))
    .y((point) => y(point.free));
  const span = (end - first) / DAY_MS;
  const { xTicks, yTicks } = axes(
    x,
    y,
    8,
    span > 2 ? DAY_MS : 60_000,
    formatBytes,
  );
  const full = capacity.daysToFull !== undefined &&
      capacity.daysToFull <= ahead
    ? `<circle cx="${x(new Date(end))}" cy="${
      y(0)
    }" r="5" fill="${DISK_COLOR}"/><text x="${x(new Date(end)) - 8}" y="${
      y(0) - 10
    }" text-anchor="end">full</text>`
    : "";
  return `<figure>
<svg role="img" aria-label="Free space of the file system" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}">
<g class="grid">${yTicks}</g>
<path d="${path(seen)}" fill="none" stroke="${DISK_COLOR}" stroke-width="4"/>
<path d="${
    path([{ time: last, free: available }, { time: end, free: freeAtEnd }])
  }" fill="none" stroke="${DISK_COLOR}" stroke-width="4" stroke-dasharray="12 6"/>${full}
<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${
    HEIGHT - MARGIN.bottom
  }" y2="${HEIGHT - MARGIN.bottom}" stroke="#555"/>${xTicks}
</svg>
<p class="note">Solid: the free space over the log's span, reckoned back from now by what its lines took. Dashed: ahead at ${
    formatBytes(capacity.growth!)
  } a day${
    capacity.daysToFull !== undefined && capacity.daysToFull > ahead
      ? `; full in ${Math.round(capacity.daysToFull)} days, past the chart`
      : ""
  }.</p>
</figure>`;
}

/** The hosts' table: their rates, busiest minute, and silence. */
function hostsTable(capacity: Capacity): string {
  const [hosts, left] = listedHosts(capacity.hosts);
  const heads = HOST_HEADINGS;
  const rows = [...hosts, { ...capacity.total, host: "total" }].map((host) =>
    `<tr${host.silent ? ' class="silent"' : ""}>${
      hostRow(host).map((cell, i) =>
        `<td${i > 0 && i < 7 ? ' class="n"' : ""}>${html(cell)}</td>`
      ).join("")
    }</tr>`
  ).join("");
  return `<table id="capacity-hosts"><thead><tr>${
    heads.map((head) => `<th>${head}</th>`).join("")
  }</tr></thead><tbody>${rows}</tbody></table>${
    left > 0
      ? `<p class="note">And ${left} more hosts: --format csv or json lists every one.</p>`
      : ""
  }`;
}

/**
 * The capacity section of the page: `hosts` is the page's table by host
 * and bucket, `every` its bucket length.
 */
export function capacitySection(
  report: CapacityReport,
  hosts: Table,
  every: number,
): string {
  const { capacity } = report;
  const { disk } = capacity;
  return `<h2 id="capacity">Capacity</h2>
${
    diskLines(report).map((text) => `<p class="summary">${html(text)}</p>`)
      .join("\n")
  }
${hostsTable(capacity)}
<h2>Messages per second over time, by host</h2>
<p class="note">The legend gives each host's highest rate.</p>
${
    timeChart(
      rateTable(keepGroups(hosts, CHART_GROUPS), every),
      every,
      "Messages per second over time, by host",
    )
  }
<h2>Free space of the file system</h2>
${
    "available" in disk
      ? diskChart(capacity, disk.available)
      : `<p class="empty">No disk line: ${html(disk.unknown)}.</p>`
  }`;
}
