/**
 * The `--stats --format html` page: one self-contained file a person opens
 * in a browser. The charts are SVG drawn when the page is made
 * (lib/read/chart.ts), so the page needs no script and no network: lines
 * over time by level and by host, the busiest hosts and tags, the most
 * frequent messages, and with `--capacity` its section
 * (lib/read/capacity_page.ts).
 *
 * Every name and message comes from a sender, so all of it is HTML-escaped,
 * and the page's Content-Security-Policy allows no script at all.
 *
 * @example
 * ```ts
 * import { countLog } from "./stats.ts";
 * import { statsPage } from "./stats_page.ts";
 * const html = statsPage(countLog({ file: "./log.txt", filters, by: "level", details: true }));
 * ```
 *
 * @module
 */

import { plural } from "../base/words.ts";
import type { Counts } from "./stats.ts";
import type { Table } from "./stats_series.ts";
import { formatDuration, rfc3339 } from "./stats_options.ts";
import { html, keepGroups, timeChart } from "./chart.ts";

/** Hosts drawn apart in the chart by host; the rest are "other". */
const CHART_GROUPS = 8;
/** Rows in the busiest hosts and tags. */
const TOP = 10;

/** A ranking as horizontal bars: the busiest groups of a table. */
function ranking(table: Table, id: string, noun: string): string {
  const ranked = table.groups.map((name, i) => [name, table.totals[i]] as const)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1])
    .slice(0, TOP);
  if (ranked.length === 0) return `<p class="empty">No ${noun}s.</p>`;
  const all = table.totals.filter((n) => n > 0).length;
  const shown = all > ranked.length
    ? `<p class="note">The ${ranked.length} busiest of ${all} ${noun}s.</p>`
    : "";
  const max = ranked[0][1];
  const rows = ranked.map(([name, n]) =>
    `<tr><td class="name">${
      html(name)
    }</td><td class="n">${n}</td><td class="bar"><svg width="300" height="14"><rect width="${
      Math.max(1, Math.round((n / max) * 300))
    }" height="14" fill="#4e79a7"/></svg></td></tr>`
  ).join("");
  return `${shown}<table id="${id}"><thead><tr><th>${noun}</th><th>lines</th><th></th></tr></thead><tbody>${rows}</tbody></table>`;
}

/** The page's look: no script, and styles only inline (its CSP says so). */
const PAGE_STYLE =
  `body { font: 14px/1.4 system-ui, sans-serif; margin: 2em auto; max-width: 1000px; color: #222; padding: 0 1em; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; }
h2 { font-size: 1.15em; margin-top: 2em; border-bottom: 1px solid #ddd; }
.summary { color: #444; }
svg text { font: 11px system-ui, sans-serif; fill: #444; }
figure { margin: 0; }
.legend { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: 0.5em 1.5em; }
.swatch { display: inline-block; width: 0.9em; height: 0.9em; margin-right: 0.4em; vertical-align: -0.1em; }
table { border-collapse: collapse; }
td, th { padding: 0.15em 0.8em 0.15em 0; text-align: left; vertical-align: top; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
td.name, td.message { font-family: ui-monospace, monospace; word-break: break-all; }
.columns { display: flex; flex-wrap: wrap; gap: 2em; }
.note, .empty { color: #666; }
tr.silent td { color: #b00020; }
#capacity-hosts td { white-space: nowrap; }
`;

/** What the page says of lines with no time, if there are any. */
function untimedNote(counts: Counts): string {
  return counts.untimed > 0
    ? `<p class="note">${html(plural(counts.untimed, "line"))} ${
      counts.untimed === 1 ? "has" : "have"
    } no time (logged without --timestamps, sent without one${
      counts.implausible > 0
        ? `, or ${counts.implausible} with one before 1970 or more than a day ahead`
        : ""
    }): counted in the totals, in no chart.</p>`
    : "";
}

/**
 * The page: a summary, the charts by level and by host, the busiest hosts
 * and tags, the most frequent messages, and `section` (with --capacity,
 * lib/read/capacity_page.ts) after them.
 */
export function statsPage(counts: Counts, section = ""): string {
  const details = counts.details!;
  const level = details.level;
  const range = counts.first > counts.last
    ? "no timed lines"
    : `${rfc3339(counts.first)} to ${rfc3339(counts.last)}`;
  const levelTotals = level.groups.map((name, i) =>
    `<tr><td>${html(name)}</td><td class="n" data-level="${html(name)}">${
      level.totals[i]
    }</td></tr>`
  ).join("");
  const untimed = untimedNote(counts);
  return `${pageHead(`Log report: ${counts.file}`)}
<body>
<h1>Log report: ${html(counts.file)}</h1>
<p class="summary"><span id="total-lines">${counts.total}</span> lines, ${
    html(range)
  } (UTC, the first and last lines), in buckets of ${
    html(formatDuration(counts.every))
  }.</p>
${untimed}${partialNote(counts)}
<table id="levels"><thead><tr><th>level</th><th class="n">lines</th></tr></thead><tbody>${levelTotals}</tbody></table>
<h2>Lines over time, by level</h2>
${timeChart(level, counts.every, "Lines over time, by level")}
<h2>Lines over time, by host</h2>
${
    timeChart(
      keepGroups(details.host, CHART_GROUPS),
      counts.every,
      "Lines over time, by host",
    )
  }
<div class="columns">
<section><h2>Busiest hosts</h2>${
    ranking(details.host, "hosts", "host")
  }</section>
<section><h2>Busiest tags</h2>${ranking(details.tag, "tags", "tag")}</section>
</div>
${frequentMessages(counts.messages!)}
${section}
<p class="note">Made by logging_basic --stats at ${
    html(rfc3339(Date.now()))
  }.</p>
</body>
</html>
`;
}

/** The page's head: its title, and a policy that lets it load nothing. */
function pageHead(title: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${html(title)}</title>
<style>
${PAGE_STYLE}</style>
</head>`;
}

/** The "Most frequent messages" section. */
function frequentMessages(
  messages: { top: [string, number][]; exact: boolean },
): string {
  const rows = messages.top.map(([text, n]) =>
    `<tr><td class="n">${n}</td><td class="message">${html(text)}</td></tr>`
  ).join("");
  return `<h2>Most frequent messages</h2>
<p class="note">Numbers are folded to #, so "reading 42" and "reading 17" count as one${
    messages.exact
      ? ""
      : "; counts are lower bounds, as the log holds too many different messages to count them all"
  }.</p>
<table id="messages"><thead><tr><th class="n">lines</th><th>message</th></tr></thead><tbody>${rows}</tbody></table>`;
}

/**
 * A note when the first or last bucket holds only part of its time (the
 * log starts or ends inside it), so its lower count is not read as a dip.
 */
function partialNote(counts: Counts): string {
  const rows = counts.table.rows;
  if (rows.length === 0 || counts.first > counts.last) return "";
  const from = counts.first > rows[0].start;
  const to = counts.last < rows.at(-1)!.start + counts.every - 1000;
  if (!from && !to) return "";
  const which = from && to
    ? "first and last buckets"
    : from
    ? "first bucket"
    : "last bucket";
  return `\n<p class="note">The ${which} of the charts hold only part of their time (the log starts at ${
    html(rfc3339(counts.first))
  } and ends at ${
    html(rfc3339(counts.last))
  }): a lower count there is not a dip.</p>`;
}
