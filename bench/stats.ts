/**
 * `--stats` against the awk one-liner a user would write for the same hourly
 * counts per level, on one generated log, in one run: wall time (median of
 * the rounds) and peak memory, the latter also on a log a tenth the size, to
 * show that memory does not grow with the log (it is read as a stream).
 * Both must agree on every count, or the bench fails.
 *
 * `deno task bench` runs it after the logger benchmarks; alone:
 *
 * ```sh
 * deno run --allow-run --allow-read --allow-write bench/stats.ts 1000000 3
 * ```
 *
 * @module
 */

import { LOGGER, PYTHON, tempDir } from "../tests/helpers.ts";

/** The awk a user would write: lines per hour and level. */
export const AWK_PROGRAM =
  '{c[substr($1,1,13) " " $2]++} END{for(k in c) print k, c[k]}';

/** The goal of issue 15: --stats time / awk time, at most. */
export const STATS_TARGET = 1.5;

/** What one run of the stats bench measured. */
export interface StatsBench {
  lines: number;
  statsSeconds: number;
  awkSeconds: number;
  /** Peak RSS of --stats on the whole log, and on a tenth of it. */
  peakMiB: number;
  peakTenthMiB: number;
}

const LEVELS = ["debug", "info", "info", "info", "warn", "error"];
const HOSTS = ["pi-kitchen", "pi-garage", "pi-attic", "desktop"];

/** Writes a log of `lines` lines as the logger writes with --timestamps, 3 a second. */
function writeLog(path: string, lines: number): void {
  using file = Deno.openSync(path, {
    write: true,
    create: true,
    truncate: true,
  });
  const encoder = new TextEncoder();
  const start = Date.UTC(2026, 10, 24);
  let batch: string[] = [];
  for (let i = 0; i < lines; i++) {
    const time = new Date(start + i * 333).toISOString();
    batch.push(
      `${time} <${LEVELS[i % 6]}> ${time} ${HOSTS[i % 4]} sensor${
        i % 7
      }: reading ${i % 997} from probe ${i % 13}, all well`,
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

/**
 * A command's wall time, peak RSS and output, run under python3 (getrusage
 * of the child); its stderr is left out.
 *
 * @example
 * ```ts
 * const { seconds, peakMiB } = await timed(["awk", "1", "log.txt"], dir);
 * ```
 */
export async function timed(
  command: string[],
  cwd: string,
): Promise<{ seconds: number; peakMiB: number; stdout: string }> {
  const script = `import resource, subprocess, sys, time
start = time.monotonic()
out = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=True).stdout
seconds = time.monotonic() - start
sys.stderr.write("%f %d\\n" % (seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.stdout.buffer.write(out)`;
  const out = await new Deno.Command(PYTHON, {
    args: ["-c", script, ...command],
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  if (out.code !== 0) {
    throw new Error(`${command.join(" ")} failed: ${stderr.trim()}`);
  }
  const [seconds, kib] = stderr.trim().split("\n").at(-1)!.split(" ");
  return {
    seconds: Number(seconds),
    peakMiB: Number(kib) / 1024,
    stdout: new TextDecoder().decode(out.stdout),
  };
}

/** awk's output as hour → level → count. */
function awkCounts(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of text.trim().split("\n")) {
    const [hour, level, n] = line.split(" ");
    counts.set(`${hour} ${level.slice(1, -1)}`, Number(n));
  }
  return counts;
}

/** --stats CSV as hour → level → count (zeros left out, as awk has none). */
function statsCounts(csv: string): Map<string, number> {
  const counts = new Map<string, number>();
  const [head, ...rows] = csv.trim().split("\r\n");
  const levels = head.split(",").slice(1, -1);
  for (const row of rows) {
    const [start, ...values] = row.split(",");
    levels.forEach((level, i) => {
      if (values[i] !== "0") {
        counts.set(`${start.slice(0, 13)} ${level}`, Number(values[i]));
      }
    });
  }
  return counts;
}

/** Median of a list of numbers. */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/**
 * Times `--stats --every 1h --format csv` and the awk one-liner on a log of
 * `lines` lines, `rounds` times each, alternating; checks they agree.
 */
export async function benchStats(
  lines: number,
  rounds: number,
): Promise<StatsBench> {
  using dir = tempDir();
  const log = `${dir.path}/log.txt`;
  writeLog(log, lines);
  // Through the shebang, as a user runs it: it may read ./log.txt.
  const stats = [LOGGER, "--stats", "--every", "1h", "--format", "csv"];
  const awk = ["awk", AWK_PROGRAM, "log.txt"];
  const statsRuns = [];
  const awkRuns = [];
  for (let round = 0; round < rounds; round++) {
    statsRuns.push(await timed(stats, dir.path));
    awkRuns.push(await timed(awk, dir.path));
  }
  const want = awkCounts(awkRuns[0].stdout);
  const got = statsCounts(statsRuns[0].stdout);
  const differ = [...new Set([...want.keys(), ...got.keys()])]
    .filter((key) => want.get(key) !== got.get(key));
  if (differ.length > 0) {
    throw new Error(
      `--stats and awk disagree on ${differ.length} counts, for example ${
        differ[0]
      }: ${got.get(differ[0])} against ${want.get(differ[0])}`,
    );
  }
  const peakMiB = median(statsRuns.map((run) => run.peakMiB));
  writeLog(log, Math.max(1, Math.floor(lines / 10)));
  const tenth = await timed(stats, dir.path);
  return {
    lines,
    statsSeconds: median(statsRuns.map((run) => run.seconds)),
    awkSeconds: median(awkRuns.map((run) => run.seconds)),
    peakMiB,
    peakTenthMiB: tenth.peakMiB,
  };
}

/** The bench's rows for the report: a Markdown table and a verdict. */
export function statsReport(result: StatsBench): string {
  const ratio = result.statsSeconds / result.awkSeconds;
  const memory = result.peakMiB / result.peakTenthMiB;
  return `## --stats against awk

Hourly counts per level of a generated log of ${result.lines} lines (about ${
    Math.round(result.lines * 100 / 1e6)
  } MB): \`./logging_basic.ts --stats --every 1h --format csv\` against
\`awk '${AWK_PROGRAM}'\`; both give the same counts.

| | seconds | peak RSS |
|---|---|---|
| --stats | ${result.statsSeconds.toFixed(2)} | ${
    result.peakMiB.toFixed(0)
  } MiB |
| awk | ${result.awkSeconds.toFixed(2)} | |
| --stats on a tenth of the log | | ${result.peakTenthMiB.toFixed(0)} MiB |

- time, --stats / awk: **${
    ratio.toFixed(2)
  }x** (goal at most ${STATS_TARGET}x: ${
    ratio <= STATS_TARGET ? "met" : "not met"
  })
- peak memory, whole log / a tenth: **${
    memory.toFixed(2)
  }x** (streamed: about 1x)
`;
}

if (import.meta.main) {
  const [lines = "1000000", rounds = "3"] = Deno.args;
  console.log(statsReport(await benchStats(Number(lines), Number(rounds))));
}
