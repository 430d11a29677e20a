/**
 * The values of the logger's options that are more than a word: sizes
 * (`64K`), points in time (`2026-11-24T10:00`, `today`, `-1h`), and the
 * ages `parseArgs` would take for options of their own.
 *
 * @example
 * ```ts
 * import { parseSize } from "./values.ts";
 * parseSize("64K", "--max-message-size"); // 65536
 * ```
 *
 * @module
 */

import { UsageError } from "../base/errors.ts";

/**
 * Reads a size in bytes: a whole number, optionally with K or M (KiB, MiB).
 *
 * @example
 * ```ts
 * parseSize("64K", "--max-message-size"); // 65536
 * ```
 */
export function parseSize(text: string, flag: string): number {
  const match = /^(\d+)([kKmM]?)$/.exec(text);
  const unit = match?.[2].toLowerCase() === "k"
    ? 1024
    : match?.[2].toLowerCase() === "m"
    ? 1024 * 1024
    : 1;
  const size = match ? Number(match[1]) * unit : NaN;
  if (!(size >= 1 && size <= 16 * 1024 * 1024)) {
    throw new UsageError(
      `Cannot listen as '${flag}' must be 1 byte to 16M: current value is ${
        JSON.stringify(text)
      }`,
    );
  }
  return size;
}

/**
 * Reads a point in time for `--since` and `--until`: RFC 3339 (a time
 * without a zone is local time), a date, `now`, `today`, `yesterday`, or an
 * age such as `-30s`, `-10m`, `-2h`, `-7d`.
 *
 * @returns milliseconds since the epoch.
 * @example
 * ```ts
 * parseTime("2026-11-24T10:00:00Z", "--since", Date.now()); // 1795514400000
 * parseTime("-1h", "--since", 3_600_000); // 0
 * ```
 */
export function parseTime(text: string, flag: string, now: number): number {
  const age = /^-(\d+)([smhd])$/.exec(text);
  if (age) {
    const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[
      age[2] as "s" | "m" | "h" | "d"
    ];
    return now - Number(age[1]) * unit;
  }
  const midnight = new Date(now);
  midnight.setHours(0, 0, 0, 0);
  if (text === "now") return now;
  if (text === "today") return midnight.getTime();
  if (text === "yesterday") return midnight.setDate(midnight.getDate() - 1);
  const parts =
    /^(\d{4})-(\d\d)-(\d\d)(?:[T ](\d\d):(\d\d)(?::(\d\d)(\.\d+)?)?)?(Z|[+-]\d\d:\d\d)?$/
      .exec(text);
  let time = NaN;
  if (parts) {
    const [, y, mo, d, h = "00", mi = "00", s = "00", frac = "", zone] = parts;
    const local = `${y}-${mo}-${d}T${h}:${mi}:${s}${frac}`;
    time = zone ? Date.parse(local + zone) : new Date(local).getTime();
  }
  if (Number.isNaN(time)) {
    throw new UsageError(
      `Cannot show the log as '${flag}' must be a time such as 2026-11-24T10:00, today or -1h: current value is ${
        JSON.stringify(text)
      }`,
    );
  }
  return time;
}

/**
 * `--since -1h` as `--since=-1h`: parseArgs takes a value that starts with
 * `-` for an option of its own, but an age is the value the help shows.
 *
 * @example
 * ```ts
 * joinAges(["--show", "--since", "-1h"]); // ["--show", "--since=-1h"]
 * ```
 */
export function joinAges(args: string[]): string[] {
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const [arg, next] = [args[i], args[i + 1]];
    if (
      (arg === "--since" || arg === "--until") &&
      /^-\d+[smhd]$/.test(next ?? "")
    ) {
      joined.push(`${arg}=${next}`);
      i++;
    } else {
      joined.push(arg);
    }
  }
  return joined;
}
