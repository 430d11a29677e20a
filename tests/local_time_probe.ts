/**
 * Reads times as the logger does, in the zone this process runs in (TZ is
 * read when Deno starts, so a test that wants another zone runs this script
 * with TZ set): each case is a `--since`/`--until` value (parseTime) or a
 * syslog frame (parseSyslog), each with the `now` it is read at; prints the
 * results as one JSON array, each an RFC 3339 UTC time or the error's text.
 *
 * Usage:
 *
 * ```sh
 * TZ=Pacific/Kiritimati deno run tests/local_time_probe.ts \
 *   '[{"time":"2026-11-24T10:00","now":"2026-11-24T12:00:00Z"}]'
 * # ["2026-11-23T20:00:00.000Z"]
 * ```
 *
 * @module
 */

import { parseTime } from "../lib/cli/values.ts";
import { parseSyslog } from "../lib/log/syslog_in.ts";

/** A value to read: `time` as --since reads it, or a syslog `frame`. */
export type LocalTimeCase =
  | { time: string; now: string }
  | { frame: string; now: string };

/** What a case reads as: a UTC time, `undefined` for no time, or the error. */
function read(one: LocalTimeCase): string | undefined {
  const now = Date.parse(one.now);
  try {
    if ("time" in one) {
      return new Date(parseTime(one.time, "--since", now)).toISOString();
    }
    return parseSyslog(one.frame, now)?.sent;
  } catch (err) {
    return `error: ${(err as Error).message}`;
  }
}

if (import.meta.main) {
  const cases: LocalTimeCase[] = JSON.parse(Deno.args[0]);
  console.log(JSON.stringify(cases.map(read)));
}
