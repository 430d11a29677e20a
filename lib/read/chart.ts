/**
 * The SVG charts of the `--stats` page (lib/read/stats_page.ts) and its
 * capacity section (lib/read/capacity_page.ts), drawn when the page is made
 * with d3-scale (time and count axes) and d3-shape (stacked areas), and the
 * HTML escaping of every name a sender chose.
 *
 * @example
 * ```ts
 * import { timeChart } from "./chart.ts";
 * const svg = timeChart(counts.details!.level, counts.every, "Lines over time, by level");
 * ```
 *
 * @module
 */

// @ts-types="npm:@types/d3-scale@^4.0.8"
import {
  type ScaleLinear,
  scaleLinear,
  type ScaleTime,
  scaleUtc,
} from "d3-scale";
// @ts-types="npm:@types/d3-shape@^3.1.6"
import { area, curveStepAfter, stack } from "d3-shape";
import { escapeControlText } from "../log/escape.ts";
import { OTHER, type Table } from "./stats_series.ts";

/** Colours of the levels, quiet to loud. */
const LEVEL_COLORS: Record<string, string> = {
  debug: "#9aa5b1",
  info: "#3b82c4",
  warn: "#f0a020",
  error: "#d64541",
  critical: "#7b1fa2",
};
/**
 * Colours of hosts and tags: each hue at least 25 degrees from the levels'
 * (blue, orange, red, purple), so a host is never read as a level.
 */
const PALETTE = [
  "#59a14f",
  "#76b7b2",
  "#6b6ecf",
  "#c85a9b",
  "#3ca37a",
  "#b5bd4e",
  "#a05195",
  "#8cd17d",
  "#499894",
];
const OTHER_COLOR = "#bab0ac";
export const WIDTH = 960;
export const HEIGHT = 300;
export const MARGIN = { top: 10, right: 45, bottom: 30, left: 60 };

/** Text made safe for HTML: escaped, and without control characters. */
export function html(text: string | number): string {
  return escapeControlText(String(text)).replace(
    /[&<>"']/g,
    (c) => `&#${c.charCodeAt(0)};`,
  );
}

/** The table with its groups past `keep` summed as "other". */
export function keepGroups(table: Table, keep: number): Table {
  if (table.groups.length <= keep + 1) return table;
  const rest = (counts: number[]) =>
    counts.slice(keep).reduce((sum, n) => sum + n, 0);
  return {
    ...table,
    groups: [...table.groups.slice(0, keep), OTHER],
    rows: table.rows.map((row) => ({
      ...row,
      counts: [...row.counts.slice(0, keep), rest(row.counts)],
    })),
    totals: [...table.totals.slice(0, keep), rest(table.totals)],
  };
}

/** A colour for each of the table's groups. */
function colors(table: Table): string[] {
  return table.groups.map((name, i) =>
    table.by === "level"
      ? LEVEL_COLORS[name] ?? OTHER_COLOR
      : name === OTHER
      ? OTHER_COLOR
      : PALETTE[i % PALETTE.length]
  );
}

/**
 * A stacked chart of the table's counts over time: a step area per group,
 * as the buckets are, with time and count axes.
 */
export function timeChart(table: Table, every: number, title: string): string {
  const rows = table.rows;
  if (rows.length === 0) {
    return `<p class="empty">No timed lines to draw.</p>`;
  }
  const fill = colors(table);
  // One point more, at the end of the last bucket, so it has a width.
  const points = [
    ...rows,
    { start: rows.at(-1)!.start + every, counts: rows.at(-1)!.counts },
  ];
  const x = scaleUtc()
    .domain([new Date(rows[0].start), new Date(rows.at(-1)!.start + every)])
    .range([MARGIN.left, WIDTH - MARGIN.right]);
  const max = Math.max(1, ...rows.map((row) => row.total));
  const y = scaleLinear().domain([0, max]).nice()
    .range([HEIGHT - MARGIN.bottom, MARGIN.top]);
  const keys = table.groups.map((_, i) => i);
  const layers = stack<{ start: number; counts: number[] }, number>()
    .keys(keys)
    .value((row, key) => row.counts[key])(points);
  const shape = area<[number, number] & { data: { start: number } }>()
    .x((point) => x(new Date(point.data.start)))
    .y0((point) => y(point[0]))
    .y1((point) => y(point[1]))
    .curve(curveStepAfter);
  const paths = layers.map((layer, i) =>
    `<path d="${shape(layer as never)}" fill="${fill[i]}"><title>${
      html(table.groups[i])
    }: ${table.totals[i]}</title></path>`
  ).join("");
  const { xTicks, yTicks } = axes(x, y, rows.length, every);
  const legend = table.groups.map((name, i) =>
    `<li><span class="swatch" style="background:${fill[i]}"></span>${
      html(name)
    } <span class="n">${table.totals[i]}</span></li>`
  ).join("");
  return `<figure>
<svg role="img" aria-label="${
    html(title)
  }" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}">
<g class="grid">${yTicks}</g>${paths}
<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${
    HEIGHT - MARGIN.bottom
  }" y2="${HEIGHT - MARGIN.bottom}" stroke="#555"/>${xTicks}
</svg>
<ul class="legend">${legend}</ul>
</figure>`;
}

/** The time axis' ticks and the count axis' grid lines (labelled by `label`), as SVG. */
export function axes(
  x: ScaleTime<number, number>,
  y: ScaleLinear<number, number>,
  rows: number,
  every: number,
  label: (tick: number) => string = String,
): { xTicks: string; yTicks: string } {
  const xTicks = x.ticks(Math.min(8, rows + 1)).map((tick) => {
    const at = x(tick);
    return `<g transform="translate(${at},${
      HEIGHT - MARGIN.bottom
    })"><line y2="5" stroke="#555"/><text y="18" text-anchor="middle">${
      html(tickLabel(tick, every))
    }</text></g>`;
  }).join("");
  const yTicks = y.ticks(5).map((tick) => {
    const at = y(tick);
    return `<g transform="translate(${MARGIN.left},${at})"><line x2="${
      WIDTH - MARGIN.left - MARGIN.right
    }" stroke="#e5e5e5"/><text x="-6" dy="0.32em" text-anchor="end">${
      html(label(tick))
    }</text></g>`;
  }).join("");
  return { xTicks, yTicks };
}

/** A time axis label: the date at day steps, else the time of day. */
function tickLabel(tick: Date, every: number): string {
  const iso = tick.toISOString();
  if (every >= 86_400_000) return iso.slice(0, 10);
  if (tick.getUTCHours() === 0 && tick.getUTCMinutes() === 0) {
    return iso.slice(0, 10);
  }
  return iso.slice(11, every % 60_000 === 0 ? 16 : 19);
}
