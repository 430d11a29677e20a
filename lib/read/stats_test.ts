import assert from "node:assert/strict";
import { countLog, foldNumbers } from "./stats.ts";
import { MAX_GROUPS, MAX_ROWS, OTHER } from "./stats_series.ts";
import { formatDuration, parseDuration } from "./stats_options.ts";
import { bucketLabel, statsCsv } from "./stats_report.ts";
import { headerEnd } from "../log/wire.ts";

const KEEP_ALL = {
  level: "debug" as const,
  include: [],
  exclude: [],
  includeHost: [],
  excludeHost: [],
};

/** Counts `text` written to a temporary file. */
function count(
  text: string,
  options: { by?: "level" | "host" | "tag"; every?: number } = {},
) {
  const file = Deno.makeTempFileSync();
  try {
    Deno.writeTextFileSync(file, text);
    return countLog({
      file,
      filters: KEEP_ALL,
      by: options.by ?? "level",
      every: options.every,
    });
  } finally {
    Deno.removeSync(file);
  }
}

Deno.test("parseDuration reads s, m, h, d and w and refuses 0 or no unit", () => {
  assert.equal(parseDuration("1s", "--every"), 1000);
  assert.equal(parseDuration("10m", "--every"), 600_000);
  assert.equal(parseDuration("1d", "--every"), 86_400_000);
  assert.equal(parseDuration("2w", "--every"), 2 * 604_800_000);
  for (const bad of ["0m", "10", "m", "1.5h", "-1h", "367d", ""]) {
    assert.throws(() => parseDuration(bad, "--every"), /current value is/);
  }
});

Deno.test("formatDuration writes a length as --every takes it", () => {
  assert.equal(formatDuration(600_000), "10m");
  assert.equal(formatDuration(3_600_000), "1h");
  assert.equal(formatDuration(90_000), "90s");
  assert.equal(formatDuration(604_800_000), "1w");
});

Deno.test("foldNumbers makes messages that differ only in numbers one", () => {
  assert.equal(foldNumbers("reading 42"), foldNumbers("reading 17"));
  assert.equal(foldNumbers("took 1.5 s at 10:42:07"), "took # s at #");
});

Deno.test("bucketLabel is as short as the bucket allows", () => {
  const t = Date.UTC(2026, 10, 24, 10, 30, 5);
  assert.equal(bucketLabel(t, 86_400_000), "2026-11-24");
  assert.equal(bucketLabel(t, 600_000), "2026-11-24T10:30Z");
  assert.equal(bucketLabel(t, 5_000), "2026-11-24T10:30:05Z");
});

Deno.test("headerEnd finds the text after a whole header only", () => {
  assert.equal(headerEnd("<warn> - pi backup: disk", 0), 20);
  assert.equal(headerEnd("xx <info> 2026-11-24T10:00:00Z pi t: a", 3), 37);
  assert.equal(headerEnd("<warn> disk", 0), -1);
  assert.equal(headerEnd("<loud> - pi t: a", 0), -1);
});

Deno.test("countLog: a line without a header is info; with a header its level, host and tag", () => {
  const text = [
    "2026-11-24T10:00:00.000Z plain words",
    "2026-11-24T10:00:01.000Z <error> - pi-a backup: failed",
    "2026-11-24T10:00:02.000Z <warn> 2026-11-24T10:00:01.900Z pi-b cron: late",
    "2026-11-24T10:00:03.000Z <warn> not a header",
  ].join("\n");
  assert.deepEqual(count(text).table.totals, [0, 2, 1, 1, 0]);
  assert.deepEqual(count(text, { by: "host" }).table.groups, [
    "(none)",
    "pi-a",
    "pi-b",
  ]);
  assert.deepEqual(count(text, { by: "tag" }).table.totals, [2, 1, 1]);
});

Deno.test("countLog: syslog frames as the text log keeps them (rsyslog's omczmq) count by their severity, host, tag and time", () => {
  const text = [
    '2026-11-24T10:00:00.000Z <11>1 2026-11-24T09:59:59.900+00:00 pi-a backup - - [timeQuality tzKnown="1"] failed#012',
    "2026-11-24T10:00:01.000Z <30>Nov 24 10:00:00 pi-b cron[42]: done",
    "2026-11-24T10:00:02.000Z <13>hello, only like syslog",
    "<12>1 2026-11-24T11:30:00Z pi-b app - - - untimed but for its sent time#012",
  ].join("\n");
  assert.deepEqual(count(text).table.totals, [0, 2, 1, 1, 0]);
  assert.deepEqual(count(text, { by: "host" }).table.groups, [
    "pi-b",
    "(none)",
    "pi-a",
  ]);
  assert.deepEqual(count(text, { by: "tag" }).table.groups, [
    "(none)",
    "app",
    "backup",
    "cron",
  ]);
  const hourly = count(text, { every: 3_600_000 });
  assert.equal(hourly.untimed, 0);
  assert.deepEqual(hourly.table.rows.map((row) => row.total), [3, 1]);
});

Deno.test("countLog: the sent time counts when the line has no received time", () => {
  const counts = count("<info> 2026-11-24T10:00:00.000Z pi app: hi\n", {
    every: 3_600_000,
  });
  assert.equal(counts.untimed, 0);
  assert.equal(counts.table.rows[0].start, Date.UTC(2026, 10, 24, 10));
});

Deno.test("countLog: without --every, buckets grow coarser instead of past MAX_ROWS", () => {
  // A line a minute for 100 days: 144,000 minutes.
  const start = Date.UTC(2026, 0, 1);
  const lines: string[] = [];
  for (let i = 0; i < 144_000; i++) {
    lines.push(`${new Date(start + i * 60_000).toISOString()} tick`);
  }
  const counts = count(`${lines.join("\n")}\n`);
  assert.ok(counts.table.rows.length <= 30, `${counts.table.rows.length} rows`);
  assert.equal(counts.every, 604_800_000);
  assert.equal(
    counts.table.rows.reduce((sum, row) => sum + row.total, 0),
    144_000,
  );
  assert.ok(MAX_ROWS < 144_000);
});

Deno.test("countLog: hosts past MAX_GROUPS count as one other group", () => {
  const lines: string[] = [];
  for (let i = 0; i < MAX_GROUPS + 5; i++) {
    lines.push(`2026-11-24T10:00:00.000Z <info> - host${i} app: hi`);
  }
  const counts = count(`${lines.join("\n")}\n`, { by: "host" });
  assert.equal(counts.table.groups.length, MAX_GROUPS + 1);
  assert.equal(counts.table.groups[0], OTHER);
  assert.equal(counts.table.totals[0], 5);
});

Deno.test("countLog: an over-long line is counted once, by its start", () => {
  const long = `2026-11-24T10:00:00.000Z <error> - pi app: ${
    "x".repeat(3 << 20)
  }`;
  const counts = count(`${long}\n2026-11-24T10:00:01.000Z next\n`);
  assert.deepEqual(counts.table.totals, [0, 1, 0, 1, 0]);
  assert.equal(counts.read, 2);
});

Deno.test("statsCsv quotes names and keeps them from starting a formula", () => {
  const counts = count(
    "2026-11-24T10:00:00.000Z <info> - @SUM(A1) app: hi\n",
    { by: "host" },
  );
  assert.equal(statsCsv(counts).split("\r\n")[0], "bucket,'@SUM(A1),total");
});

Deno.test("countLog: a line that only looks like it starts with a time is untimed", () => {
  const counts = count(
    "2026-11-24T10:00:0x.000Z not quite\n2026-11-24T10:00:00.000Z fine\n",
  );
  assert.equal(counts.untimed, 1);
  assert.equal(counts.total, 2);
});
