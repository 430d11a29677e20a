/**
 * `--show --context 3` and `--stats --capacity` against the awk one-liners
 * a user would write for the same answers, on one generated log, in one
 * run: wall time (median of the rounds), the ratio to awk (the goal: at
 * most 1.5x), and peak memory. Both sides must give the same answer, or
 * the bench fails: the same lines around each error from its host and tag,
 * the same messages and bytes per host and day and busiest minutes.
 *
 * ```sh
 * deno run --allow-run --allow-read --allow-write bench/read_speed.ts 300000 5
 * ```
 *
 * @module
 */

import { LOGGER, tempDir } from "../tests/helpers.ts";
import { timed } from "./stats.ts";

/** The goal: each mode's time over awk's, at most. */
export const READ_TARGET = 1.5;

/**
 * The awk a user would write for `--show --level error --context 3`: per
 * host and tag ($4 $5), the last 3 lines not printed, printed before each
 * error; the 3 after it printed as they come.
 */
export const CONTEXT_AWK = `{ k = $4 " " $5; n = c[k]++ }
$2 == "<error>" { for (i = n - 3; i < n; i++) if ((k, i) in r) { print r[k, i]; delete r[k, i] } print; a[k] = 3; next }
a[k] > 0 { print; a[k]--; next }
{ r[k, n] = $0; delete r[k, n - 3] }`;

/**
 * The awk a user would write for `--stats --capacity`'s counts: messages
 * and bytes per day and host, and the busiest minute per host and in all.
 */
export const CAPACITY_AWK =
  `{ d = substr($1, 1, 10); h = $4; m = substr($1, 1, 16); b = length($0) + 1
  n[d " " h]++; s[d " " h] += b
  if (m != lm[h]) { lm[h] = m; c[h] = 0 } if (++c[h] > p[h]) { p[h] = c[h]; pm[h] = m }
  if (m != LM) { LM = m; C = 0 } if (++C > P) { P = C; PM = m } }
END { for (k in n) print k, n[k], s[k]; for (h in p) print "peak", h, pm[h], p[h]; print "peak (total)", PM, P }`;

const LEVELS = ["debug", "info", "info", "info", "warn"];
const DAY = 86_400_000;
const TAGS = ["sensor", "backup", "cron"];

/** Writes a log of `lines` lines as the logger writes with --timestamps: 50 hosts, 3 tags, 1 in 60 an error. */
function writeLog(path: string, lines: number): void {
  using file = Deno.openSync(path, {
    write: true,
    create: true,
    truncate: true,
  });
  const encoder = new TextEncoder();
  // Ending before now: --stats takes a time more than a day ahead as none.
  const start = Math.floor((Date.now() - lines * 1000) / DAY - 2) * DAY;
  let seed = 7;
  let batch: string[] = [];
  for (let i = 0; i < lines; i++) {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    const time = new Date(start + i * 1000 + (seed % 900)).toISOString();
    const level = seed % 60 === 0 ? "error" : LEVELS[i % 5];
    batch.push(
      `${time} <${level}> ${time} pi-${seed % 50} ${TAGS[seed % 3]}: reading ${
        i % 997
      } from probe ${i % 13}, all well`,
    );
    if (batch.length === 10_000 || i === lines - 1) {
      const bytes = encoder.encode(`${batch.join("\n")}\n`);
      for (let done = 0; done < bytes.length;) {
        done += file.writeSync(bytes.subarray(done));
      }
      batch = [];
    }
  }
}

/** Median of a list of numbers. */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Fails unless --show printed the lines awk did, in the same order (its -- lines aside). */
function checkContext(show: string, awk: string): void {
  const shown = show.split("\n").filter((line) => line !== "--");
  const printed = awk.split("\n");
  const differ = shown.findIndex((line, i) => line !== printed[i]);
  if (differ !== -1 || shown.length !== printed.length) {
    throw new Error(
      `--show --context and awk disagree at line ${differ} (${shown.length} against ${printed.length} lines): ${
        shown[differ]
      } against ${printed[differ]}`,
    );
  }
}

/** --capacity's CSV as awk prints its counts: "DAY HOST messages bytes", "peak HOST MINUTE n". */
function capacityCounts(csv: string): Set<string> {
  const counts = new Set<string>();
  for (const row of csv.trim().split("\r\n").slice(1)) {
    const cells = row.split(",");
    if (cells[1] === "(total)" && cells[0] !== "all") continue;
    if (cells[0] !== "all") counts.add(cells.slice(0, 4).join(" "));
    else counts.add(`peak ${cells[1]} ${cells[6].slice(0, 16)} ${cells[7]}`);
  }
  return counts;
}

/** Fails unless --capacity and awk counted the same. */
function checkCapacity(csv: string, awk: string): void {
  const want = new Set(awk.trim().split("\n"));
  const got = capacityCounts(csv);
  const differ = [...want].filter((row) => !got.has(row))
    .concat([...got].filter((row) => !want.has(row)));
  if (differ.length > 0) {
    throw new Error(
      `--stats --capacity and awk disagree on ${differ.length} counts, for example ${
        differ[0]
      }`,
    );
  }
}

/** One mode against its awk: medians of `rounds` alternating runs. */
interface Pair {
  name: string;
  ours: string;
  awk: string;
  seconds: number;
  awkSeconds: number;
  peakMiB: number;
}

/** Times a command and its awk `rounds` times each, alternating; checks their answers with `check`. */
async function race(
  cwd: string,
  name: string,
  ours: string[],
  awk: string,
  rounds: number,
  check: (ours: string, awk: string) => void,
): Promise<Pair> {
  const oursRuns = [];
  const awkRuns = [];
  for (let round = 0; round < rounds; round++) {
    oursRuns.push(await timed([LOGGER, ...ours], cwd));
    awkRuns.push(await timed(["awk", awk, "log.txt"], cwd));
  }
  check(oursRuns[0].stdout, awkRuns[0].stdout);
  return {
    name,
    ours: `./logging_basic.ts ${ours.join(" ")}`,
    awk: awk.split("\n")[0],
    seconds: median(oursRuns.map((run) => run.seconds)),
    awkSeconds: median(awkRuns.map((run) => run.seconds)),
    peakMiB: median(oursRuns.map((run) => run.peakMiB)),
  };
}

/** Runs both races on a log of `lines` lines. */
export async function benchReadSpeed(
  lines: number,
  rounds: number,
): Promise<Pair[]> {
  using dir = tempDir();
  writeLog(`${dir.path}/log.txt`, lines);
  return [
    await race(
      dir.path,
      "--show --context 3",
      ["--show", "--level", "error", "--context", "3"],
      CONTEXT_AWK,
      rounds,
      checkContext,
    ),
    await race(
      dir.path,
      "--stats --capacity",
      ["--stats", "--capacity", "--format", "csv"],
      CAPACITY_AWK,
      rounds,
      checkCapacity,
    ),
  ];
}

/** The results as Markdown: a table and the ratios. */
export function readSpeedReport(lines: number, pairs: Pair[]): string {
  const rows = pairs.map((pair) => {
    const ratio = pair.seconds / pair.awkSeconds;
    return `| ${pair.name} | ${pair.seconds.toFixed(2)} | ${
      pair.awkSeconds.toFixed(2)
    } | **${ratio.toFixed(2)}x** (${
      ratio <= READ_TARGET ? "met" : "not met"
    }) | ${pair.peakMiB.toFixed(0)} MiB |`;
  });
  return `## --show --context and --stats --capacity against awk

A generated log of ${lines} lines (50 hosts, 3 tags, 1 line in 60 an error),
each mode through the shebang against the awk one-liner for the same answer
(both give it: checked), median of the rounds; goal at most ${READ_TARGET}x awk.

| | seconds | awk seconds | ratio | peak RSS |
|---|---|---|---|---|
${rows.join("\n")}
`;
}

if (import.meta.main) {
  const lines = Number(Deno.args[0] ?? 300_000);
  const rounds = Number(Deno.args[1] ?? 5);
  console.log(readSpeedReport(lines, await benchReadSpeed(lines, rounds)));
}
