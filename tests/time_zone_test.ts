/**
 * Local times in zones far from UTC. The machines that run the tests keep
 * UTC, where a local time and a UTC time read the same: a parser that took
 * `--since 2026-11-24T10:00` or an RFC 3164 stamp as UTC would pass every
 * test there. Here the same readers run with TZ set (Deno reads it when it
 * starts, so each runs in a process of its own) to Pacific/Kiritimati
 * (UTC+14, the earliest zone) and America/Adak (UTC-10, UTC-9 in summer),
 * and the expected instants are written out in UTC.
 */

import assert from "node:assert/strict";
import {
  Background,
  freePort,
  LOGGER,
  ROOT,
  run,
  SENDER,
  tempDir,
  waitForLines,
  waitForPort,
} from "./helpers.ts";
import type { LocalTimeCase } from "./local_time_probe.ts";

/** UTC+14 all year: a local date is often the next UTC day. */
const KIRITIMATI = "Pacific/Kiritimati";
/** UTC-10 (HST) in winter and UTC-9 (HDT) from March to November. */
const ADAK = "America/Adak";

/** Reads each case in a Deno started with TZ=`zone` (tests/local_time_probe.ts). */
async function readInZone(
  zone: string,
  cases: LocalTimeCase[],
): Promise<(string | null)[]> {
  const out = await run(Deno.execPath(), [
    "run",
    "-q",
    `${ROOT}tests/local_time_probe.ts`,
    JSON.stringify(cases),
  ], { env: { TZ: zone } });
  assert.equal(out.code, 0, out.stderr);
  return JSON.parse(out.stdout);
}

/** Asserts what each case reads as in `zone`: `[input, now, expected UTC]`. */
async function assertReadInZone(
  zone: string,
  expected: [LocalTimeCase, string | null][],
) {
  const got = await readInZone(zone, expected.map(([one]) => one));
  assert.deepEqual(
    expected.map(([one], i) => [one, got[i]]),
    expected,
    `in ${zone}`,
  );
}

Deno.test(`--since/--until values without a zone are local times: ${KIRITIMATI} and ${ADAK}, with daylight saving`, async () => {
  const at = (time: string, now = "2026-11-24T20:00:00Z") => ({ time, now });
  await assertReadInZone(KIRITIMATI, [
    [at("2026-11-24T10:00"), "2026-11-23T20:00:00.000Z"],
    [at("2026-11-24 10:00:30.25"), "2026-11-23T20:00:30.250Z"],
    [at("2026-11-24"), "2026-11-23T10:00:00.000Z"],
    // It is 10:00 on the 25th there: today began at 10:00 UTC the day before.
    [at("today"), "2026-11-24T10:00:00.000Z"],
    [at("yesterday"), "2026-11-23T10:00:00.000Z"],
    // A time with a zone is that instant, whatever the zone of the machine.
    [at("2026-11-24T10:00Z"), "2026-11-24T10:00:00.000Z"],
    [at("2026-11-24T10:00+01:00"), "2026-11-24T09:00:00.000Z"],
    [at("-2h"), "2026-11-24T18:00:00.000Z"],
  ]);
  await assertReadInZone(ADAK, [
    [at("2026-11-24T10:00"), "2026-11-24T20:00:00.000Z"],
    [at("2026-07-01T10:00"), "2026-07-01T19:00:00.000Z"], // summer: UTC-9
    [at("2026-11-24"), "2026-11-24T10:00:00.000Z"],
    [at("today"), "2026-11-24T10:00:00.000Z"],
    // The day after summer time ended (1 November 2026, 02:00): yesterday
    // began at UTC-9, 25 hours before today.
    [at("today", "2026-11-02T20:00:00Z"), "2026-11-02T10:00:00.000Z"],
    [at("yesterday", "2026-11-02T20:00:00Z"), "2026-11-01T09:00:00.000Z"],
    [at("2026-11-24T10:00Z"), "2026-11-24T10:00:00.000Z"],
  ]);
});

Deno.test(`RFC 3164 times (no zone, no year) are read as local times: ${KIRITIMATI} and ${ADAK}`, async () => {
  const frame = (stamp: string, now: string) => ({
    frame: `<30>${stamp} pi cron[42]: job done`,
    now,
  });
  await assertReadInZone(KIRITIMATI, [
    [
      frame("Nov 24 10:15:02", "2026-11-24T12:00:00Z"),
      "2026-11-23T20:15:02.000Z",
    ],
    // New Year's Day there, still 31 December in UTC: the year is the local one.
    [
      frame("Jan  1 01:00:00", "2026-12-31T12:00:00Z"),
      "2026-12-31T11:00:00.000Z",
    ],
    // 31 December of this (local) year is ahead: last year's.
    [
      frame("Dec 31 23:00:00", "2026-12-31T12:00:00Z"),
      "2026-12-31T09:00:00.000Z",
    ],
  ]);
  await assertReadInZone(ADAK, [
    [
      frame("Nov 24 10:15:02", "2026-11-24T12:00:00Z"),
      "2026-11-24T20:15:02.000Z",
    ],
    [
      frame("Jul  1 10:00:00", "2026-07-02T00:00:00Z"),
      "2026-07-01T19:00:00.000Z",
    ],
    [
      frame("Dec 31 18:00:00", "2027-01-01T05:00:00Z"),
      "2027-01-01T04:00:00.000Z",
    ],
  ]);
});

Deno.test(`the unit tests of local times pass in ${KIRITIMATI} and ${ADAK} too`, async () => {
  // Their expected values are local times made by the Date constructor:
  // in UTC a parser that ignored the zone would pass them.
  for (const zone of [KIRITIMATI, ADAK]) {
    const out = await run(Deno.execPath(), [
      "test",
      "-q",
      "--no-check",
      "lib/log/syslog_in_test.ts",
      "lib/cli/logger_options_test.ts",
    ], { cwd: ROOT, env: { TZ: zone, NO_COLOR: "1" } });
    assert.equal(out.code, 0, `in ${zone}:\n${out.stdout}${out.stderr}`);
    assert.match(out.stdout, / \d+ passed \| 0 failed /, out.stdout);
  }
});

/** Lines with the arrival time of --timestamps, each named by its text. */
const TIMED_LOG = [
  ["2026-11-23T19:59:59.999Z", "k-before"],
  ["2026-11-23T20:00:00.000Z", "k-first"],
  ["2026-11-23T20:30:00.000Z", "k-middle"],
  ["2026-11-23T21:00:00.000Z", "k-last"],
  ["2026-11-23T21:00:00.001Z", "k-after"],
  ["2026-11-24T10:30:00.000Z", "utc-middle"],
  ["2026-11-24T19:59:59.999Z", "a-before"],
  ["2026-11-24T20:00:00.000Z", "a-first"],
  ["2026-11-24T20:59:00.000Z", "a-last"],
  ["2026-11-24T21:00:00.001Z", "a-after"],
];

Deno.test("--show and --stats take --since 2026-11-24T10:00 --until 2026-11-24T11:00 in the logger's zone: exactly that local hour", async () => {
  using dir = tempDir();
  Deno.writeTextFileSync(
    `${dir.path}/log.txt`,
    TIMED_LOG.map(([time, name]) => `${time} ${name}\n`).join(""),
  );
  const range = ["--since", "2026-11-24T10:00", "--until", "2026-11-24T11:00"];
  const expected: Record<string, string[]> = {
    [KIRITIMATI]: ["k-first", "k-middle", "k-last"],
    [ADAK]: ["a-first", "a-last"],
    UTC: ["utc-middle"],
  };
  for (const [zone, names] of Object.entries(expected)) {
    const env = { TZ: zone };
    const show = await run(LOGGER, ["--show", ...range], {
      cwd: dir.path,
      env,
    });
    assert.equal(show.code, 0, show.stderr);
    assert.deepEqual(
      show.stdout.split("\n").slice(0, -1).map((line) => line.slice(25)),
      names,
      `--show in ${zone}`,
    );
    const stats = await run(
      LOGGER,
      ["--stats", ...range, "--every", "1h", "--format", "json"],
      { cwd: dir.path, env },
    );
    assert.equal(stats.code, 0, stats.stderr);
    const counted = JSON.parse(stats.stdout);
    const times = TIMED_LOG.filter(([, name]) => names.includes(name))
      .map(([time]) => time);
    assert.deepEqual(
      {
        total: counted.total,
        first: counted.rows[0]?.start,
        last: counted.rows.at(-1)?.start,
      },
      {
        total: names.length,
        first: `${times[0].slice(0, 13)}:00:00Z`,
        last: `${times.at(-1)!.slice(0, 13)}:00:00Z`,
      },
      `--stats in ${zone}`,
    );
  }
});

/** `time` as an RFC 3164 TIMESTAMP (`Mmm dd hh:mm:ss`) on the clocks of `zone`. */
function stamp3164(time: number, zone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      month: "short",
      day: "numeric",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      hourCycle: "h23",
    }).formatToParts(time).map((part) => [part.type, part.value]),
  );
  return `${parts.month} ${
    parts.day.padStart(2, " ")
  } ${parts.hour}:${parts.minute}:${parts.second}`;
}

Deno.test(`a logger in ${KIRITIMATI} or ${ADAK} logs an RFC 3164 frame's local time as its instant in UTC`, async () => {
  for (const zone of [KIRITIMATI, ADAK]) {
    using dir = tempDir();
    const port = freePort();
    await using logger = new Background(
      LOGGER,
      ["--port", String(port), "--format", "json"],
      { cwd: dir.path, env: { TZ: zone } },
    );
    await waitForPort(port);
    // An hour ago on the zone's clocks, to the second; never in the hour a
    // clock going back repeats, which names two instants.
    let sent = Math.floor((Date.now() - 3_600_000) / 1000) * 1000;
    const repeated = (t: number) =>
      [t - 3_600_000, t + 3_600_000].some((other) =>
        stamp3164(other, zone) === stamp3164(t, zone)
      );
    if (repeated(sent)) sent -= 7_200_000;
    const frame = `<30>${stamp3164(sent, zone)} pi cron[42]: in ${zone}`;
    const out = await run(SENDER, ["--port", String(port), frame]);
    assert.equal(out.code, 0, out.stderr);
    const record = JSON.parse(await waitForLines(`${dir.path}/log.txt`, 1));
    assert.deepEqual(
      { sent: record.sent, host: record.host, message: record.message },
      {
        sent: new Date(sent).toISOString(),
        host: "pi",
        message: `in ${zone}`,
      },
      `${frame} read in ${zone}`,
    );
    const end = await logger.stop();
    assert.equal(end.code, 0, end.stderr);
  }
});
