/**
 * `--stats`: counts over time, checked exactly against generated logs with
 * known counts, and against what the real logger wrote from real senders;
 * the HTML page opened in Debian's headless Chromium; bad input refused in
 * one line.
 */

import assert from "node:assert/strict";
import {
  freePort,
  LOGGER,
  PYTHON,
  run,
  send,
  startLogger,
  tempDir,
  waitForLines,
} from "./helpers.ts";

/** Debian's chromium (.ci/run installs it) and python3-pil to read its screenshot. */
const CHROMIUM = "/usr/bin/chromium";

const HOUR = 3_600_000;
const START = Date.UTC(2026, 10, 24, 0, 0, 0);
const LEVELS = ["debug", "info", "warn", "error", "critical"] as const;
const HOSTS = ["pi-kitchen", "pi-garage", "desktop"];

/** Lines the logger would write with --timestamps, and what --stats must count. */
function generatedLog() {
  const lines: string[] = [];
  // expected[hour][level]
  const expected: Record<string, number>[] = [];
  const byHost: Record<string, number> = {};
  for (let hour = 0; hour < 6; hour++) {
    expected.push(Object.fromEntries(LEVELS.map((level) => [level, 0])));
    for (let i = 0; i < 40 + hour * 7; i++) {
      // Errors start in hour 3; critical only in hour 4.
      const level = hour === 4 && i % 10 === 0
        ? "critical"
        : hour >= 3 && i % 3 === 0
        ? "error"
        : LEVELS[i % 3];
      const host = HOSTS[(i + hour) % 3];
      const received = new Date(START + hour * HOUR + i * 45_000)
        .toISOString();
      const sent = new Date(START + hour * HOUR + i * 45_000 - 5).toISOString();
      if (i % 5 === 4) {
        // JSON Lines, as the logger writes them with --format json.
        lines.push(JSON.stringify({
          received,
          sent,
          host,
          tag: "sensor",
          level,
          message: `reading ${i}`,
        }));
      } else {
        lines.push(
          `${received} <${level}> ${sent} ${host} sensor: reading ${i}`,
        );
      }
      expected[hour][level]++;
      byHost[host] = (byHost[host] ?? 0) + 1;
    }
  }
  // The book's plain lines, in a log written without --timestamps: untimed.
  lines.push("hello from the book", "another plain line");
  // The first and last line's time, to the second, as --stats says them.
  const at = (ms: number) => `${new Date(ms).toISOString().slice(0, 19)}Z`;
  const first = at(START);
  const last = at(START + 5 * HOUR + (40 + 5 * 7 - 1) * 45_000);
  return {
    text: `${lines.join("\n")}\n`,
    expected,
    byHost,
    untimed: 2,
    first,
    last,
  };
}

function writeLog(dir: string, text: string): void {
  Deno.writeTextFileSync(`${dir}/log.txt`, text);
}

function stats(args: string[], cwd: string) {
  return run(LOGGER, ["--stats", ...args], { cwd });
}

Deno.test("--stats --format csv counts every hour and level of a generated log exactly, untimed lines in a last row", async () => {
  using dir = tempDir();
  const log = generatedLog();
  writeLog(dir.path, log.text);
  const out = await stats(["--every", "1h", "--format", "csv"], dir.path);
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.stderr, "");
  const rows = out.stdout.split("\r\n");
  assert.equal(rows.pop(), "");
  assert.equal(rows[0], "bucket,debug,info,warn,error,critical,total");
  log.expected.forEach((counts, hour) => {
    const start = `${
      new Date(START + hour * HOUR).toISOString().slice(0, 19)
    }Z`;
    const values = LEVELS.map((level) => counts[level]);
    const total = values.reduce((a, b) => a + b, 0);
    assert.equal(rows[hour + 1], [start, ...values, total].join(","));
  });
  // The two plain lines are info, and have no time.
  assert.equal(rows[7], "untimed,0,2,0,0,0,2");
  assert.equal(rows.length, 8);
});

Deno.test("--stats --format json has the same counts, totals per group and the untimed count", async () => {
  using dir = tempDir();
  const log = generatedLog();
  writeLog(dir.path, log.text);
  const out = await stats(["--every", "1h", "--format", "json"], dir.path);
  assert.equal(out.code, 0, out.stderr);
  const json = JSON.parse(out.stdout);
  assert.equal(json.every, "1h");
  assert.equal(json.by, "level");
  assert.deepEqual(json.groups, [...LEVELS]);
  assert.deepEqual(
    json.rows.map((row: { counts: Record<string, number> }) => row.counts),
    log.expected,
  );
  const lines = log.text.split("\n").length - 1;
  assert.equal(json.total, lines);
  assert.equal(json.lines, lines);
  assert.equal(json.untimed, 2);
  const info = log.expected.reduce((sum, hour) => sum + hour.info, 0);
  assert.equal(json.totals.info, info + 2);
});

Deno.test("--stats in a terminal: a row per bucket with a bar, totals, the untimed lines said, and a screenful by default", async () => {
  using dir = tempDir();
  const log = generatedLog();
  writeLog(dir.path, log.text);
  const out = await stats(["--by", "host"], dir.path);
  assert.equal(out.code, 0, out.stderr);
  const lines = out.stdout.split("\n");
  // Six hours of lines: the shortest bucket that gives at most 30 rows is 30m.
  assert.match(
    lines[0],
    // The span is the first and last line's time, not bucket starts.
    new RegExp(
      `^\\./log\\.txt: \\d+ lines, ${log.first} to ${log.last}, every 30m, by host \\(times in UTC\\)$`,
    ),
  );
  assert.match(lines[2], /^time\s+(\S+\s+){3}\(none\)\s+total$/);
  const rows = lines.filter((line) => /^2026-11-24T/.test(line));
  assert.equal(rows.length, 12);
  // The busiest bucket has the full bar, 30 characters.
  assert.ok(rows.some((row) => row.endsWith("█".repeat(30))), out.stdout);
  const total = lines.find((line) => line.startsWith("total"))!;
  const [, ...numbers] = total.split(/\s+/);
  const hosts = lines[2].split(/\s+/).slice(1, -1);
  hosts.forEach((host, i) => {
    assert.equal(Number(numbers[i]), host === "(none)" ? 2 : log.byHost[host]);
  });
  assert.match(
    out.stdout,
    /\n2 lines without a time \(logged without --timestamps, sent without one\): in the totals, in no row\n$/,
  );
});

Deno.test("--stats takes the filters and --since/--until of --show, and says what had no time for the range", async () => {
  using dir = tempDir();
  const log = generatedLog();
  writeLog(dir.path, log.text);
  const out = await stats([
    "--level",
    "error",
    "--include-host",
    "^pi-",
    "--since",
    "2026-11-24T03:00Z",
    "--until",
    "2026-11-24T04:59:59Z",
    "--every",
    "1h",
    "--format",
    "json",
  ], dir.path);
  assert.equal(out.code, 0, out.stderr);
  const json = JSON.parse(out.stdout);
  // Count the same by hand from the lines.
  let errors = 0;
  let critical = 0;
  for (const line of log.text.split("\n")) {
    const hour = /T0([34]):/.exec(line);
    if (!hour || !/pi-/.test(line)) continue;
    if (/"level":"error"|<error>/.test(line)) errors++;
    if (/"level":"critical"|<critical>/.test(line)) critical++;
  }
  assert.equal(json.totals.error, errors);
  assert.equal(json.totals.critical, critical);
  assert.equal(json.totals.info, 0);
  assert.equal(json.rows.length, 2);
  // The plain lines are info: the level filter left them out.
  assert.equal(json.untimedOutOfRange, 0);
  const ranged = await stats(["--since", "2026-11-24T03:00Z"], dir.path);
  assert.equal(ranged.code, 0, ranged.stderr);
  assert.match(
    ranged.stdout,
    /\n2 lines without a time left out: --since\/--until need one\n$/,
  );
});

Deno.test("--stats counts what the real logger wrote from real senders, by tag", async () => {
  using dir = tempDir();
  const port = freePort();
  await using logger = await startLogger(dir.path, port, ["--timestamps"]);
  for (
    const [tag, level, n] of [["backup", "error", 3], [
      "cron",
      "info",
      2,
    ]] as const
  ) {
    for (let i = 0; i < n; i++) {
      const out = await send(
        ["--port", String(port), "--tag", tag, "--level", level, `run ${i}`],
        dir.path,
      );
      assert.equal(out.code, 0, out.stderr);
    }
  }
  await send(["--port", String(port), "a", "plain", "one"], dir.path);
  await waitForLines(`${dir.path}/log.txt`, 6);
  const out = await stats(["--by", "tag", "--format", "json"], dir.path);
  assert.equal(out.code, 0, out.stderr);
  const json = JSON.parse(out.stdout);
  assert.deepEqual(json.totals, { backup: 3, cron: 2, "(none)": 1 });
  assert.equal(json.untimed, 0, "--timestamps gives every line a time");
  await logger.stop();
});

Deno.test("--stats --format html: Chromium renders the totals and draws the charts; senders' text stays text", async () => {
  using dir = tempDir();
  const log = generatedLog();
  // A hostile host and message: they must be shown, never run.
  const attack = `${
    new Date(START).toISOString()
  } <error> - <img/src=x/onerror=alert(1)> evil: <script>alert(2)</script>`;
  writeLog(dir.path, `${log.text}${attack}\n`);
  const out = await stats(["--format", "html"], dir.path);
  assert.equal(out.code, 0, out.stderr);
  Deno.writeTextFileSync(`${dir.path}/report.html`, out.stdout);
  const page = `file://${dir.path}/report.html`;
  const chromium = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--hide-scrollbars",
    `--user-data-dir=${dir.path}/chromium`,
  ];
  const dom = await run(CHROMIUM, [...chromium, "--dump-dom", page]);
  assert.equal(dom.code, 0, dom.stderr);
  const total = log.text.split("\n").length; // the lines and the attack
  assert.match(
    dom.stdout,
    new RegExp(`<span id="total-lines">${total}</span>`),
  );
  const errors = log.expected.reduce((sum, hour) => sum + hour.error, 0) + 1;
  assert.match(dom.stdout, new RegExp(`data-level="error">${errors}<`));
  assert.match(
    dom.stdout,
    /<svg role="img" aria-label="Lines over time, by level"/,
  );
  assert.match(dom.stdout, /<table id="hosts">.*pi-kitchen/s);
  assert.match(dom.stdout, /reading #/);
  assert.doesNotMatch(dom.stdout, /<img|<script/);
  assert.match(dom.stdout, /&lt;img\/src=x\/onerror=alert\(1\)&gt;/);

  const shot = `${dir.path}/shot.png`;
  const screenshot = await run(CHROMIUM, [
    ...chromium,
    `--screenshot=${shot}`,
    "--window-size=1100,1600",
    page,
  ]);
  assert.equal(screenshot.code, 0, screenshot.stderr);
  // Pixels of each level's colour in the chart: the areas were drawn.
  const colors = { info: "3b82c4", warn: "f0a020", error: "d64541" };
  const counted = await run(PYTHON, [
    "-c",
    `import sys
from PIL import Image
image = Image.open(sys.argv[1]).convert("RGB")
counts = {}
for r, g, b in image.getdata():
    key = "%02x%02x%02x" % (r, g, b)
    counts[key] = counts.get(key, 0) + 1
print(" ".join(str(counts.get(c, 0)) for c in sys.argv[2:]))`,
    shot,
    ...Object.values(colors),
  ]);
  assert.equal(counted.code, 0, counted.stderr);
  const pixels = counted.stdout.trim().split(" ").map(Number);
  Object.keys(colors).forEach((level, i) => {
    assert.ok(pixels[i] > 2000, `${level}: ${pixels[i]} pixels of its colour`);
  });
});

Deno.test("--stats refuses bad input in one line: unknown --by, a bucket of 0m, too many rows, a file that is not a log", async () => {
  using dir = tempDir();
  writeLog(dir.path, generatedLog().text);
  const refused = async (args: string[], code: number, message: RegExp) => {
    const out = await stats(args, dir.path);
    assert.equal(out.code, code, out.stderr);
    assert.equal(out.stdout, "");
    assert.match(out.stderr, message);
    assert.equal(out.stderr.split("\n").length, 2, out.stderr);
  };
  await refused(
    ["--by", "colour"],
    2,
    /^logging_basic: Cannot count as '--by' must be level, host or tag: current value is "colour"\n$/,
  );
  await refused(
    ["--every", "0m"],
    2,
    /^logging_basic: Cannot count as '--every' must be a time such as 1m, 10m, 1h or 1d \(1s to 366d\): current value is "0m"\n$/,
  );
  await refused(["--every", "soon"], 2, /current value is "soon"/);
  await refused(
    ["--format", "pdf"],
    2,
    /'--format' must be text, csv, json or html with --stats: current value is "pdf"/,
  );
  // Two lines a year apart, one row a second: 31 million rows.
  writeLog(
    dir.path,
    "2025-11-24T00:00:00.000Z first\n2026-11-24T00:00:00.000Z second\n",
  );
  await refused(
    ["--every", "1s"],
    1,
    /^logging_basic: Cannot count as '--every 1s' makes more than 100000 rows for this log: pick a longer one, or narrow it with --since\/--until\n$/,
  );
  // A binary file where the log should be.
  Deno.writeFileSync(
    `${dir.path}/log.txt`,
    new Uint8Array([
      ...new TextEncoder().encode("line one\nline two\n"),
      0x7f,
      0x45,
      0x4c,
      0x46,
      0,
      1,
      2,
      10,
    ]),
  );
  await refused(
    [],
    1,
    /^logging_basic: Cannot count '\.\/log\.txt' as line 3 is not a log line: it holds a NUL byte and other control characters, which the logger never writes \(is it a log file\?\)\n$/,
  );
  Deno.removeSync(`${dir.path}/log.txt`);
  await refused([], 1, /^logging_basic: Cannot read log file '\.\/log\.txt': /);
  const show = await run(LOGGER, ["--show", "--by", "host"], { cwd: dir.path });
  assert.equal(show.code, 2);
  assert.equal(
    show.stderr,
    "logging_basic: '--by' goes with --stats: add --stats to count the log\n",
  );
});

Deno.test("--stats --format csv keeps a sender's host from becoming a spreadsheet formula", async () => {
  using dir = tempDir();
  writeLog(
    dir.path,
    '2026-11-24T00:00:00.000Z <info> - =HYPERLINK("x") app: hi\n2026-11-24T00:00:01.000Z <info> - a,b app: hi\n',
  );
  const out = await stats(["--by", "host", "--format", "csv"], dir.path);
  assert.equal(out.code, 0, out.stderr);
  assert.equal(
    out.stdout.split("\r\n")[0],
    `bucket,"'=HYPERLINK(""x"")","a,b",total`,
  );
});

Deno.test("--stats takes a forged time (year 1, year 275760) as none, so one sender cannot make it fail or print centuries", async () => {
  using dir = tempDir();
  const log = generatedLog();
  writeLog(
    dir.path,
    `${log.text}<warn> 0000-01-01T00:00:00Z evil x: hi\n<14>1 0001-01-01T00:00:00Z evil app - - - hi\n{"received":"+275760-09-13T00:00:00.000Z","sent":null,"host":"evil","tag":null,"level":"info","message":"hi"}\n`,
  );
  const out = await stats([], dir.path);
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stdout, /, every 30m, by level/);
  assert.match(
    out.stdout,
    /\n3 lines with a time before 1970 or more than a day ahead \(a sender's clock\): taken as without one\n/,
  );
  assert.match(out.stdout, /\n5 lines without a time/);
  const daily = await stats(["--every", "1d", "--format", "json"], dir.path);
  assert.equal(daily.code, 0, daily.stderr);
  assert.equal(JSON.parse(daily.stdout).rows.length, 1);
});

Deno.test("--stats --format csv shows a sender's control characters escaped, not raw", async () => {
  using dir = tempDir();
  writeLog(
    dir.path,
    `${
      JSON.stringify({
        received: "2026-11-24T00:00:00.000Z",
        sent: null,
        host: "\u001b]0;pwned\u0007x",
        tag: null,
        level: "info",
        message: "hi",
      })
    }\n`,
  );
  const out = await stats(["--by", "host", "--format", "csv"], dir.path);
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.stdout.split("\r\n")[0], "bucket,#033]0;pwned#007x,total");
});

Deno.test("--stats --format html counts long messages by their start: the page stays small", async () => {
  using dir = tempDir();
  const lines = Array.from(
    { length: 50 },
    (_, i) =>
      `2026-11-24T00:00:${String(i).padStart(2, "0")}.000Z ${
        String.fromCharCode(97 + (i % 26)).repeat(100_000)
      } ${i}`,
  );
  writeLog(dir.path, `${lines.join("\n")}\n`);
  const out = await stats(["--format", "html"], dir.path);
  assert.equal(out.code, 0, out.stderr);
  assert.ok(out.stdout.length < 40_000, `${out.stdout.length} characters`);
  assert.match(out.stdout, /<td class="message">a{200}…<\/td>/);
});

Deno.test("--stats --by host keeps its memory bounded on a log from 1,000 hosts over 7 days, and counts each host's lines", async () => {
  using dir = tempDir();
  // 100,000 lines, host i every 1,000th line, spread over 7 days in order.
  const span = 7 * 24 * HOUR;
  const lines: string[] = [];
  for (let i = 0; i < 100_000; i++) {
    const time = new Date(START + Math.floor(i * span / 100_000));
    const host = `host-${String(i % 1000).padStart(4, "0")}.example.lan`;
    lines.push(`${time.toISOString()} <info> - ${host} app: reading ${i}`);
  }
  Deno.writeTextFileSync(`${dir.path}/log.txt`, lines.join("\n") + "\n");
  const out = await run("/usr/bin/time", [
    "-f",
    "%M",
    LOGGER,
    "--stats",
    "--by",
    "host",
    "--format",
    "json",
  ], { cwd: dir.path });
  assert.equal(out.code, 0, out.stderr);
  const peakMiB = Number(out.stderr.trim().split("\n").at(-1)) / 1024;
  // Every bucket once held a slot for every host: 725 MiB here before.
  assert.ok(peakMiB < 200, `peak RSS ${peakMiB.toFixed(0)} MiB`);
  const counts = JSON.parse(out.stdout);
  assert.equal(counts.total, 100_000);
  assert.equal(counts.groups.length, 1000);
  for (const total of Object.values(counts.totals)) assert.equal(total, 100);
});

Deno.test("--stats in a terminal tells apart long host names that differ only at their end", async () => {
  using dir = tempDir();
  const lines = ["01", "02", "03"].map((n, i) =>
    `2026-11-24T10:0${i}:00.000Z <info> - raspberrypi-kitchen-${n} app: hi`
  );
  writeLog(dir.path, lines.join("\n") + "\n");
  const out = await stats(["--by", "host"], dir.path);
  assert.equal(out.code, 0, out.stderr);
  const header = out.stdout.split("\n")[2].split(/\s+/).slice(1, -1);
  assert.equal(header.length, 3, out.stdout);
  assert.equal(new Set(header).size, 3, `names alike: ${header}`);
  for (const name of header) assert.ok(name.length <= 16, name);
});

Deno.test("--stats --format html says when Busiest hosts shows only some of them, and when a chart's first and last buckets are partial; hosts do not take the levels' colours", async () => {
  using dir = tempDir();
  // 12 hosts, a line every 4 minutes from 10:07 to 10:51: 5-minute buckets.
  const lines = Array.from({ length: 12 }, (_, i) => {
    const time = new Date(Date.UTC(2026, 10, 24, 10, 7 + 4 * i));
    return `${time.toISOString()} <info> - pi-${i} app: hi`;
  });
  writeLog(dir.path, lines.join("\n") + "\n");
  const out = await stats(["--format", "html"], dir.path);
  assert.equal(out.code, 0, out.stderr);
  assert.match(
    out.stdout,
    /<p class="note">The 10 busiest of 12 hosts\.<\/p><table id="hosts">/,
  );
  assert.match(
    out.stdout,
    /2026-11-24T10:07:00Z to 2026-11-24T10:51:00Z \(UTC, the first and last lines\)/,
  );
  // Its buckets start at 10:05 and 10:50: lower counts there are no dips.
  assert.match(
    out.stdout,
    /<p class="note">The first and last buckets of the charts hold only part of their time/,
  );
  // No host is painted in a hue near a level's (info, warn, error, critical).
  const levelHues = ["#3b82c4", "#f0a020", "#d64541", "#7b1fa2"].map(hue);
  const byHost = out.stdout.slice(out.stdout.indexOf("by host</h2>"));
  const chart = byHost.slice(0, byHost.indexOf("</figure>"));
  const fills = [...chart.matchAll(/fill="(#[0-9a-f]{6})"/g)].map((m) => m[1]);
  assert.ok(fills.length > 0, chart);
  for (const fill of fills) {
    if (saturation(fill) < 0.2) continue; // the grey of (other)
    for (const level of levelHues) {
      const apart = Math.abs(hue(fill) - level);
      assert.ok(
        Math.min(apart, 360 - apart) >= 25,
        `${fill} looks like a level`,
      );
    }
  }
});

/** The red, green and blue of `#rrggbb`, 0 to 1. */
function rgb(color: string): [number, number, number] {
  return [1, 3, 5].map((i) => parseInt(color.slice(i, i + 2), 16) / 255) as [
    number,
    number,
    number,
  ];
}

/** A colour's hue, in degrees. */
function hue(color: string): number {
  const [r, g, b] = rgb(color);
  const max = Math.max(r, g, b);
  const d = max - Math.min(r, g, b);
  if (d === 0) return 0;
  const h = max === r
    ? ((g - b) / d) % 6
    : max === g
    ? (b - r) / d + 2
    : (r - g) / d + 4;
  return (h * 60 + 360) % 360;
}

/** A colour's saturation (HSL), 0 to 1. */
function saturation(color: string): number {
  const [r, g, b] = rgb(color);
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  const light = (max + min) / 2;
  return max === min ? 0 : (max - min) / (1 - Math.abs(2 * light - 1));
}
