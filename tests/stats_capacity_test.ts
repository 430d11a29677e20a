/**
 * `--stats --capacity` through the logger's shebang (and with the one more
 * grant it needs for the disk, `--allow-sys=statfs`), on a generated log of
 * many hosts with known sizes, rates and silences: every figure matches a
 * count made here from the lines themselves (bytes per host and day, the
 * busiest minute, silent hosts, the growth a day), and the days until full
 * match a small tmpfs of known size, as `df` sees it; the page draws in
 * Debian's headless Chromium; without the grant it says what to add.
 */

import assert from "node:assert/strict";
import { LOGGER, PYTHON, ROOT, run, tempDir } from "./helpers.ts";

const CHROMIUM = "/usr/bin/chromium";
const DAY = 86_400_000;
const MINUTE = 60_000;
const START = Date.UTC(2026, 10, 20);
const SPAN = 4 * DAY;
/** The colour of the disk line on the page (lib/read/capacity_page.ts). */
const DISK_COLOR = "1d3557";
const encoder = new TextEncoder();

/** One line of the generated log. */
interface Line {
  time: number;
  host: string;
  text: string;
}

/**
 * Ten hosts at steady intervals (one writes non-ASCII text), two that stop
 * halfway (silent), one with a burst of 90 lines in one minute; some lines
 * in JSON, two without a time.
 */
function generatedLog(): { lines: Line[]; untimed: string[] } {
  const lines: Line[] = [];
  const add = (time: number, host: string, level: string, message: string) => {
    const received = new Date(time).toISOString();
    const text = lines.length % 5 === 2
      ? JSON.stringify({
        received,
        sent: null,
        host,
        tag: "app",
        level,
        message,
      })
      : `${received} <${level}> - ${host} app: ${message}`;
    lines.push({ time, host, text });
  };
  for (let h = 0; h < 10; h++) {
    const every = 120_000 + h * 30_000;
    for (let t = START + h * 7000; t < START + SPAN; t += every) {
      add(
        t,
        `pi-${h}`,
        h === 3 ? "warn" : "info",
        h === 3 ? `température ✓ ${t % 97}` : `reading ${t % 1000}`,
      );
    }
  }
  for (const host of ["quiet-0", "quiet-1"]) {
    for (let t = START + 3000; t < START + SPAN / 2; t += 90_000) {
      add(t, host, "info", "heartbeat");
    }
  }
  for (let t = START + 1000; t < START + SPAN; t += 600_000) {
    add(t, "burst", "info", "tick");
  }
  const burst = START + 2 * DAY + 10 * 3_600_000 + 3 * MINUTE;
  for (let i = 0; i < 90; i++) {
    add(burst + i * 500, "burst", "error", `storm ${i}`);
  }
  lines.sort((a, b) => a.time - b.time);
  return { lines, untimed: ["hello from the book", "another plain line"] };
}

/** The log's text: its lines, then the untimed ones. */
function logText(log: { lines: Line[]; untimed: string[] }): string {
  return [...log.lines.map((l) => l.text), ...log.untimed].map((t) => `${t}\n`)
    .join("");
}

/** A host's figures in --capacity's JSON. */
interface HostJson {
  host: string;
  messages: number;
  bytes: number;
  perDay: { messages: number; bytes: number };
  busiestMinute: { start: string; messages: number; perSecond: number };
  silent: boolean;
}

/** A line's bytes in the file, newline included. */
function size(text: string): number {
  return encoder.encode(text).length + 1;
}

/** The busiest minute of some lines: [start, count], the earliest of equals. */
function busiest(lines: Line[]): [number, number] {
  const counts = new Map<number, number>();
  for (const { time } of lines) {
    const minute = time - time % MINUTE;
    counts.set(minute, (counts.get(minute) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0];
}

/** Whether a host went silent: no line in the last of its usual intervals (the guide's rule, by brute force). */
function silent(lines: Line[], end: number): boolean {
  const gaps = lines.slice(1).map((l, i) => l.time - lines[i].time).sort((
    a,
    b,
  ) => a - b);
  if (gaps.length < 4) return false;
  const gap = gaps[Math.ceil(gaps.length * 0.95) - 1];
  let usual = 1;
  while (usual <= gap) usual *= 2; // the power of two just above it
  return end - lines.at(-1)!.time > usual;
}

/** `--stats --capacity ARGS` in `cwd`, granted statfs; its output, checked it went well. */
async function capacity(cwd: string, args: string[]): Promise<string> {
  const out = await run("deno", [
    "run",
    "-q",
    "--no-prompt",
    "-P=logging_basic",
    "--allow-sys=statfs",
    "--allow-read=./log.txt",
    `${ROOT}logging_basic.ts`,
    "--stats",
    "--capacity",
    ...args,
  ], { cwd });
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.stderr, "");
  return out.stdout;
}

/** A tmpfs of 8 MiB at `dir`/fs, or why not (mount refused: not root, or no CAP_SYS_ADMIN). */
async function smallFileSystem(
  dir: string,
): Promise<(AsyncDisposable & { path: string }) | string> {
  const path = `${dir}/fs`;
  Deno.mkdirSync(path);
  const mounted = await run("mount", [
    "-t",
    "tmpfs",
    "-o",
    "size=8m",
    "tmpfs",
    path,
  ]);
  if (mounted.code !== 0) {
    return `mount -t tmpfs was refused: ${mounted.stderr.trim()}`;
  }
  return {
    path,
    [Symbol.asyncDispose]: async () => {
      const out = await run("umount", [path]);
      assert.equal(out.code, 0, out.stderr);
    },
  };
}

Deno.test("--stats --capacity --format json: messages and bytes per host and day, busiest minutes, silent hosts and the growth match a count of the lines", async () => {
  using dir = tempDir();
  const log = generatedLog();
  Deno.writeTextFileSync(`${dir.path}/log.txt`, logText(log));
  const json = JSON.parse(await capacity(dir.path, ["--format", "json"]));
  const { lines } = log;
  const first = lines[0].time;
  const end = lines.at(-1)!.time;
  const days = (end - first) / DAY;
  const hosts = [...new Set(lines.map((l) => l.host))];
  const round = (n: number) => Math.round(n * 1000) / 1000;
  const untimedBytes = log.untimed.reduce((n, t) => n + size(t), 0);
  const timedBytes = lines.reduce((n, l) => n + size(l.text), 0);
  // In total: every byte of the file, and the burst's minute at 1.5 a second.
  assert.equal(json.total.bytes, Deno.statSync(`${dir.path}/log.txt`).size);
  assert.equal(json.total.bytes, timedBytes + untimedBytes);
  assert.equal(json.total.messages, lines.length + 2);
  assert.equal(json.untimed, 2);
  const [peakStart, peak] = busiest(lines);
  // The burst's minute: its 90 lines, and what other hosts logged then.
  assert.ok(peak >= 90 && peak < 95, `${peak} in the busiest minute`);
  assert.deepEqual(json.total.busiestMinute, {
    start: new Date(peakStart).toISOString().replace(".000Z", "Z"),
    messages: peak,
    perSecond: round(peak / 60),
  });
  assert.equal(json.days, round(days));
  assert.equal(json.growthBytesPerDay, round(timedBytes / days));
  // Per host.
  const byHost = new Map<string, HostJson>(
    json.hosts.map((h: HostJson) => [h.host, h]),
  );
  assert.deepEqual([...byHost.keys()].sort(), [...hosts, "(none)"].sort());
  for (const host of hosts) {
    const own = lines.filter((l) => l.host === host);
    const got = byHost.get(host)!;
    const bytes = own.reduce((n, l) => n + size(l.text), 0);
    assert.equal(got.messages, own.length, host);
    assert.equal(got.bytes, bytes, host);
    assert.deepEqual(got.perDay, {
      messages: round(own.length / days),
      bytes: round(bytes / days),
    }, host);
    const [start, count] = busiest(own);
    assert.equal(
      got.busiestMinute.start,
      new Date(start).toISOString().replace(".000Z", "Z"),
      host,
    );
    assert.equal(got.busiestMinute.messages, count, host);
    assert.equal(got.silent, silent(own, end), host);
  }
  assert.deepEqual(
    json.hosts.filter((h: { silent: boolean }) => h.silent).map((
      h: { host: string },
    ) => h.host).sort(),
    ["quiet-0", "quiet-1"],
  );
  // Per UTC day and host.
  const perDay = new Map<
    string,
    Record<string, { messages: number; bytes: number }>
  >();
  for (const line of lines) {
    const day = new Date(line.time).toISOString().slice(0, 10);
    const hostsOfDay = perDay.get(day) ?? {};
    const cell = hostsOfDay[line.host] ??= { messages: 0, bytes: 0 };
    cell.messages++;
    cell.bytes += size(line.text);
    perDay.set(day, hostsOfDay);
  }
  assert.deepEqual(json.perDay.map((d: { day: string }) => d.day), [
    ...perDay.keys(),
  ]);
  for (const day of json.perDay) {
    const want = perDay.get(day.day)!;
    assert.deepEqual(day.hosts, want, day.day);
    assert.equal(
      day.bytes,
      Object.values(want).reduce((n, c) => n + c.bytes, 0),
    );
  }
  assert.equal(json.perDayPartial, false);
});

Deno.test("--stats --capacity in CSV and in the terminal say the same as JSON", async () => {
  using dir = tempDir();
  Deno.writeTextFileSync(`${dir.path}/log.txt`, logText(generatedLog()));
  const json = JSON.parse(await capacity(dir.path, ["--format", "json"]));
  const csv = (await capacity(dir.path, ["--format", "csv"])).split("\r\n");
  assert.equal(csv.pop(), "");
  assert.equal(
    csv[0],
    "day,host,messages,bytes,messages_per_day,bytes_per_day,busiest_minute,busiest_minute_messages,peak_per_second,last_line,usual_interval_s,silent,growth_bytes_per_day,size_bytes,available_bytes,days_to_full",
  );
  const dayRows = csv.filter((row) => /^\d{4}-/.test(row));
  // A day row fills the header's width with empty cells (RFC 4180).
  const EMPTY_CELLS = ",".repeat(csv[0].split(",").length - 4);
  const cells = json.perDay.flatMap((
    d: {
      day: string;
      hosts: Record<string, { messages: number; bytes: number }>;
      messages: number;
      bytes: number;
    },
  ) => [
    ...Object.entries(d.hosts).map(([h, c]) =>
      `${d.day},${h},${c.messages},${c.bytes}${EMPTY_CELLS}`
    ),
    `${d.day},(total),${d.messages},${d.bytes}${EMPTY_CELLS}`,
  ]);
  assert.deepEqual(dayRows, cells);
  const quiet = csv.find((row) => row.startsWith("all,quiet-0,"))!.split(",");
  assert.equal(quiet[11], "yes");
  const total = csv.at(-1)!.split(",");
  assert.deepEqual(total.slice(0, 4), [
    "all",
    "(total)",
    String(json.total.messages),
    String(json.total.bytes),
  ]);
  assert.equal(Number(total[12]), json.growthBytesPerDay);
  assert.equal(Number(total[8]), json.total.busiestMinute.perSecond);

  const text = await capacity(dir.path, []);
  assert.match(
    text,
    /^\.\/log\.txt: capacity, \d+ lines from 14 hosts, 2026-11-20T00:00:00Z to /,
  );
  const silentRows = text.split("\n").filter((line) =>
    line.includes("silent since")
  );
  assert.deepEqual(silentRows.map((row) => row.split(" ")[0]), [
    "quiet-0",
    "quiet-1",
  ]);
  assert.match(
    text,
    new RegExp(
      `\\ntotal +\\d+ +[\\d.]+ MiB .* 2026-11-22T10:03Z +${
        (json.total.busiestMinute.messages / 60).toFixed(2)
      }\\n`,
    ),
  );
  assert.match(
    text,
    /\nThe log grew [\d.]+ KiB a day \([\d.]+ MiB over 4\.00 days\)\.\n/,
  );
  assert.match(
    text,
    /\n2 lines without a time: in the hosts' totals, in no day and no rate\.\n$/,
  );
});

Deno.test("--stats --capacity on a tmpfs of 8 MiB: its size, the space df says is available, and the days until full at the log's growth", async () => {
  using dir = tempDir();
  const fs = await smallFileSystem(dir.path);
  if (typeof fs === "string") {
    console.log(`skipped: ${fs}`);
    return;
  }
  await using _mounted = fs;
  Deno.writeTextFileSync(`${fs.path}/log.txt`, logText(generatedLog()));
  const json = JSON.parse(await capacity(fs.path, ["--format", "json"]));
  const df = await run("df", ["-B1", "--output=size,avail", fs.path]);
  assert.equal(df.code, 0, df.stderr);
  const [sizeBytes, available] = df.stdout.trim().split("\n")[1].trim().split(
    /\s+/,
  ).map(Number);
  assert.equal(sizeBytes, 8 << 20);
  assert.deepEqual(json.disk, {
    path: "./log.txt",
    size: sizeBytes,
    available,
  });
  const days = json.days;
  const growth = json.growthBytesPerDay;
  assert.ok(
    Math.abs(json.daysToFull - available / growth) < 0.001,
    `${json.daysToFull} days, ${available} / ${growth}`,
  );
  assert.ok(
    json.daysToFull > 5 && json.daysToFull < 30,
    `${json.daysToFull} days over ${days}`,
  );
  const text = await capacity(fs.path, []);
  assert.match(
    text,
    new RegExp(
      `\\n\\./log\\.txt is on a file system with [\\d.]+ MiB free of 8\\.0 MiB: full in ${
        json.daysToFull.toFixed(0)
      } days at that rate\\.\\n`,
    ),
  );
});

Deno.test("--stats --capacity through the shebang knows the free space; a deno run without statfs says in one line how to know it, and that command works", async () => {
  using dir = tempDir();
  Deno.writeTextFileSync(`${dir.path}/log.txt`, logText(generatedLog()));
  const shebang = await run(LOGGER, ["--stats", "--capacity"], {
    cwd: dir.path,
  });
  assert.equal(shebang.code, 0, shebang.stderr);
  assert.equal(shebang.stderr, "");
  assert.match(
    shebang.stdout,
    /\n\.\/log\.txt is on a file system with .* free of .*: full in \d+ days at that rate\.\n/,
  );
  const out = await run("deno", [
    "run",
    "-q",
    "--no-prompt",
    "--allow-read=./log.txt",
    `${ROOT}logging_basic.ts`,
    "--stats",
    "--capacity",
  ], { cwd: dir.path });
  assert.equal(out.code, 0, out.stderr);
  assert.match(
    out.stdout,
    /\nThe free space of the file system that holds \.\/log\.txt is not known: Deno was not given --allow-sys=statfs\.\n/,
  );
  const [line, ...more] = out.stderr.split("\n");
  assert.deepEqual(more, [""]);
  const hint =
    /^logging_basic: the free space of the file system that holds \.\/log\.txt is not known, so neither is when it will be full: Deno was not given --allow-sys=statfs; start it as: (deno run .*--allow-sys=statfs.*)$/
      .exec(line);
  assert.ok(hint, line);
  const granted = await run("bash", ["-c", hint[1]], { cwd: dir.path });
  assert.equal(granted.code, 0, granted.stderr);
  assert.equal(granted.stderr, "");
  assert.match(
    granted.stdout,
    /\n\.\/log\.txt is on a file system with .* free of .*: full in \d+ days at that rate\.\n/,
  );
});

Deno.test("--stats --capacity --format html: Chromium draws the rate per host and the disk line, silent hosts marked", async () => {
  using dir = tempDir();
  const fs = await smallFileSystem(dir.path);
  const where = typeof fs === "string" ? dir.path : fs.path;
  if (typeof fs === "string") {
    console.log(`on the temporary directory's file system: ${fs}`);
  }
  await using _mounted = typeof fs === "string"
    ? { [Symbol.asyncDispose]: async () => {} }
    : fs;
  Deno.writeTextFileSync(`${where}/log.txt`, logText(generatedLog()));
  const page = await capacity(where, ["--format", "html", "--every", "6h"]);
  Deno.writeTextFileSync(`${dir.path}/report.html`, page);
  const url = `file://${dir.path}/report.html`;
  const chromium = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--hide-scrollbars",
    `--user-data-dir=${dir.path}/chromium`,
  ];
  const dom = await run(CHROMIUM, [...chromium, "--dump-dom", url]);
  assert.equal(dom.code, 0, dom.stderr);
  assert.match(
    dom.stdout,
    /<svg role="img" aria-label="Messages per second over time, by host"/,
  );
  assert.match(
    dom.stdout,
    /<svg role="img" aria-label="Free space of the file system"/,
  );
  const silentRows = [
    ...dom.stdout.matchAll(/<tr class="silent"><td>([^<]+)<\/td>/g),
  ].map((m) => m[1]);
  assert.deepEqual(silentRows, ["quiet-0", "quiet-1"]);
  assert.match(dom.stdout, /<p class="summary">The log grew [\d.]+ KiB a day/);
  if (typeof fs !== "string") assert.match(dom.stdout, />full<\/text>/);
  const shot = `${dir.path}/shot.png`;
  const screenshot = await run(CHROMIUM, [
    ...chromium,
    `--screenshot=${shot}`,
    "--window-size=1100,3200",
    url,
  ]);
  assert.equal(screenshot.code, 0, screenshot.stderr);
  const counted = await run(PYTHON, [
    "-c",
    `import sys
from PIL import Image
image = Image.open(sys.argv[1]).convert("RGB")
print(sum(1 for p in image.getdata() if "%02x%02x%02x" % p == sys.argv[2]))`,
    shot,
    DISK_COLOR,
  ]);
  assert.equal(counted.code, 0, counted.stderr);
  assert.ok(
    Number(counted.stdout) > 1500,
    `${counted.stdout.trim()} pixels of the disk line`,
  );
});

Deno.test("--capacity refuses what does not go with it, in one line", async () => {
  using dir = tempDir();
  Deno.writeTextFileSync(`${dir.path}/log.txt`, "a line\n");
  const refused = async (args: string[], message: string) => {
    const out = await run(LOGGER, args, { cwd: dir.path });
    assert.equal(out.code, 2, out.stderr);
    assert.equal(out.stdout, "");
    assert.equal(out.stderr, `logging_basic: ${message}\n`);
  };
  await refused(
    ["--show", "--capacity"],
    "'--capacity' goes with --stats: add --stats to count the log",
  );
  await refused(
    ["--stats", "--capacity", "--by", "host"],
    `Cannot count as '--by' does not go with '--capacity', which counts by host and day: current value is "host"`,
  );
  await refused(
    ["--stats", "--capacity", "--every", "1h", "--format", "csv"],
    `Cannot count as '--every' goes with '--capacity' only for the page's charts (--format html): the tables are per day; current value is "1h"`,
  );
});
