/**
 * The benchmark's report: what bench/bench.ts measured, rendered as the
 * Markdown table of medians and ratios against the goals of issue 18 (C on
 * libzmq and the book's Python side by side with logging_basic.ts and
 * log_cmd_basic.ts), and as the whole page bench/bench.ts writes to
 * bench/last-run.md or bench/results.md: the setup, the machine, the table,
 * the notes on where the time goes, the `--stats` section (bench/stats.ts)
 * and the raw rounds. It runs and measures nothing: the same numbers give
 * the same text.
 *
 * @example
 * ```ts
 * import { type BenchResults, renderReport, renderTable } from "./report.ts";
 *
 * declare const results: BenchResults; // from bench/bench.ts's measures
 * console.log(renderTable(results));
 * Deno.writeTextFileSync(
 *   "/tmp/results.md",
 *   renderReport(results, { date: new Date(), versions: ["deno: 2.0.0"] }),
 * );
 * ```
 *
 * @module
 */

import { type StatsBench, statsReport } from "./stats.ts";

/** The loggers the bench compares, by their short names. */
export type LoggerName = "deno" | "c" | "python";

/** Every logger, in the order of the report's columns and raw rounds. */
export const LOGGER_NAMES: LoggerName[] = ["deno", "c", "python"];

const TITLES: Record<LoggerName, string> = {
  deno: "logging_basic.ts",
  c: "C on libzmq",
  python: "book's Python",
};

/** The goals of issue 18: against the C logger in the same run, and Deno's hello-world. */
const TARGETS = {
  throughput: 0.9, // at least, Deno / C
  cpu: 1.3, // at most, Deno / C
  rssMiB: 40, // at most, Deno
  latency: 1.5, // at most, Deno / C, median
  oneShotMs: 15, // at most, Deno sender - Deno hello-world
};

/** What one round against one logger measured. */
export interface LoggerRun {
  seconds: number;
  cpuPerMillion: number;
  peakMiB: number;
  /** One-message latency in µs: median and 99th percentile. */
  p50: number;
  p99: number;
}

/** How the bench ran, as the report states it. */
export interface BenchSetup {
  /** Messages per logger round, and the rounds. */
  messages: number;
  rounds: number;
  /** Bytes per message, and the concurrent senders of the load. */
  messageSize: number;
  senders: number;
  /** One-message latency: messages per round, and the pause before each, in µs. */
  latencyMessages: number;
  latencyGapUs: number;
  /** Timed runs of each one-shot command (after 2 warm-ups). */
  oneShotRuns: number;
  /**
   * Whether our logger ran as the book runs it, with no option, on the
   * book's port (free when the bench began); else with `--port`.
   */
  bookCall: boolean;
}

/** Median one-shot wall times, in milliseconds. */
export interface OneShots {
  /** `log_cmd_basic.ts hello`, Deno's hello-world, C, the book's Python. */
  deno: number;
  hello: number;
  c: number;
  python: number;
  /** util-linux `logger` over UDP: the floor. */
  udp: number;
}

/**
 * The book's plain call (`./log_cmd_basic.ts arg1 arg2 arg3`, to the default
 * port) and the book's Python sender with the same words, beside Deno's
 * hello-world, run in turn: medians, in ms. With the default port busy the
 * two senders are not measured and `busy` is that port.
 */
export interface PlainShots {
  deno?: number;
  python?: number;
  hello: number;
  busy?: number;
}

/** The fleet case: how many senders, at what rate each, for how long. */
export interface FleetShape {
  senders: number;
  /** Messages a second, each sender. */
  rate: number;
  seconds: number;
  messageSize: number;
}

/** What the fleet case measured against one logger. */
export interface FleetRun {
  sent: number;
  /** Messages that never reached the file. */
  lost: number;
  /** The logger's CPU seconds from the fleet's start to its last line. */
  cpuSeconds: number;
  peakMiB: number;
}

/**
 * The fleet case against our logger, the C logger and bench/bare_logger.ts
 * (the C logger's loop in Deno: what Deno and FFI cost alone), round by
 * round.
 */
export interface FleetResults {
  shape: FleetShape;
  runs: Record<"deno" | "bare" | "c", FleetRun[]>;
  /**
   * The CPUs the loggers and the fleet ran on (`taskset`), or undefined
   * where the machine has one CPU or no taskset.
   */
  pinned?: { logger: number; fleet: number };
}

/** Everything one run of the bench measured, for {@link renderTable} and {@link renderReport}. */
export interface BenchResults {
  setup: BenchSetup;
  /** Each logger's rounds, in the order they ran. */
  runs: Record<LoggerName, LoggerRun[]>;
  /**
   * bench/bare_logger.ts's rounds under the same load: the C logger's loop
   * in Deno on our binding, what Deno and FFI cost alone.
   */
  bare: LoggerRun[];
  shots: OneShots;
  /** The memory floor: peak RSS of bench/floor.ts (addon loaded, a context open), MiB. */
  floorMiB: number;
  /** The same with node:util loaded too, as any option makes our scripts do, MiB. */
  floorNodeUtilMiB: number;
  plain: PlainShots;
  fleet: FleetResults;
  /** `--stdin` lines per second, one per round. */
  stdinRates: number[];
  stats: StatsBench;
}

/** Where and when the bench ran, for the report's opening lines. */
export interface RunContext {
  date: Date;
  /** Lines on the machine and the versions, each a list item in the report. */
  versions: string[];
}

/**
 * What was tried, measured and learnt, kept in bench/notes.md and written
 * into the report after the tables.
 */
function notes(): string {
  return Deno.readTextFileSync(new URL("./notes.md", import.meta.url))
    .trimEnd();
}

/** The median of `values` (the mean of the middle two when even). */
export function median(values: number[]): number {
  const sorted = values.toSorted((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const k = (value: number) => `${(value / 1000).toFixed(0)}k`;

/**
 * `a / b` as a ratio cell, or `n/a` when `b` is 0: CPU time is read in clock
 * ticks (10 ms), and on a short run the C logger can use less than one.
 *
 * @example
 * ```ts
 * ratio(0.5, 0.25); // "2.00×"
 * ratio(0.5, 0); // "n/a"
 * ```
 */
export function ratio(a: number, b: number): string {
  const value = a / b;
  return Number.isFinite(value) ? `${value.toFixed(2)}×` : "n/a";
}

/** The verdict on a goal; none can be given when its ratio is not a number. */
function verdict(ok: boolean, value = 0): string {
  if (!Number.isFinite(value)) return "not measured";
  return ok ? "met" : "NOT met";
}

/** A row of the three loggers' values, its ratios, goal and verdict. */
function loggerRow(
  measure: string,
  values: Record<LoggerName, number>,
  show: (value: number) => string,
  goal = "",
  met?: boolean,
): string {
  return `| ${measure} | ${show(values.deno)} | ${show(values.c)} | ${
    show(values.python)
  } | ${ratio(values.deno, values.c)} | ${
    ratio(values.deno, values.python)
  } | ${goal} | ${
    met === undefined ? "" : verdict(met, values.deno / values.c)
  } |`;
}

/** Each logger's medians over its rounds: throughput in msg/s and the rest. */
function loggerMedians(results: BenchResults) {
  const { runs, setup } = results;
  const med = (name: LoggerName, key: keyof LoggerRun) =>
    median(runs[name].map((r) => r[key]));
  const each = (f: (name: LoggerName) => number) =>
    Object.fromEntries(LOGGER_NAMES.map((n) => [n, f(n)])) as Record<
      LoggerName,
      number
    >;
  return {
    rates: each((n) => setup.messages / med(n, "seconds")),
    cpu: each((n) => med(n, "cpuPerMillion")),
    rss: each((n) => med(n, "peakMiB")),
    p50: each((n) => med(n, "p50")),
    p99: each((n) => med(n, "p99")),
  };
}

/**
 * The Markdown table of medians: each logger's throughput, CPU, peak RSS
 * and latency, the one-shot senders, `--stdin`; the ratios of
 * logging_basic.ts / log_cmd_basic.ts to C and to Python, against the goals
 * of issue 18, with a verdict for each goal.
 */
export function renderTable(results: BenchResults): string {
  const { rates, cpu, rss, p50, p99 } = loggerMedians(results);
  const { shots } = results;
  const oneShotGoal = shots.hello + TARGETS.oneShotMs;
  return [
    "| measure | logging_basic.ts / log_cmd_basic.ts | C on libzmq | book's Python | ÷ C | ÷ Python | goal | |",
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
    loggerRow(
      "logger throughput, msg/s",
      rates,
      k,
      `≥ ${TARGETS.throughput}× C`,
      rates.deno / rates.c >= TARGETS.throughput,
    ),
    loggerRow(
      "logger CPU s per million",
      cpu,
      (v) => v.toFixed(2),
      `≤ ${TARGETS.cpu}× C`,
      cpu.deno / cpu.c <= TARGETS.cpu,
    ),
    loggerRow(
      "logger peak RSS, MiB",
      rss,
      (v) => v.toFixed(0),
      `≤ ${TARGETS.rssMiB} MiB`,
      rss.deno <= TARGETS.rssMiB,
    ),
    loggerRow(
      "one-message latency, median, µs",
      p50,
      (v) => v.toFixed(0),
      `≤ ${TARGETS.latency}× C`,
      p50.deno / p50.c <= TARGETS.latency,
    ),
    loggerRow("one-message latency, p99, µs", p99, (v) => v.toFixed(0)),
    loggerRow(
      "one-shot sender, ms",
      { deno: shots.deno, c: shots.c, python: shots.python },
      (v) => v.toFixed(1),
      `≤ hello-world + ${TARGETS.oneShotMs} ms`,
      shots.deno <= oneShotGoal,
    ),
    `| Deno hello-world (\`deno run\`), ms | ${
      shots.hello.toFixed(1)
    } | | | | | | |`,
    `| util-linux logger over UDP (floor), ms | ${
      shots.udp.toFixed(1)
    } | | | | | | |`,
    `| --stdin into the log file, lines/s | ${
      k(median(results.stdinRates))
    } | | | | | | |`,
  ].join("\n");
}

/** The goals of issue 28, each against a floor measured in the same run. */
const FLOOR_GOALS = {
  oneShotMs: 20, // at most, plain call - Deno's hello-world
  oneShotPython: 0.8, // at most, plain call / the book's Python sender
  rssOverFloorMiB: 12, // at most, logger's peak - the memory floor
};

/** A row of the goals table: what, the value, the floor, the target, the verdict. */
function goalRow(
  measure: string,
  value: string,
  floor: string,
  target: string,
  met: boolean | undefined,
): string {
  const said = met === undefined ? "not measured" : met ? "met" : "NOT met";
  return `| ${measure} | ${value} | ${floor} | ${target} | ${said} |`;
}

/** `a / b` as a number when both were measured and `b` is not 0. */
function measuredRatio(a?: number, b?: number): number | undefined {
  if (a === undefined || b === undefined) return undefined;
  const value = a / b;
  return Number.isFinite(value) ? value : undefined;
}

/** The one-shot rows: the plain call against hello-world and against Python. */
function plainRows(plain: PlainShots): string[] {
  const ms = (v?: number) =>
    v === undefined
      ? `not measured (port ${plain.busy} busy)`
      : `${v.toFixed(1)}`;
  const goalMs = plain.hello + FLOOR_GOALS.oneShotMs;
  const toPython = measuredRatio(plain.deno, plain.python);
  return [
    goalRow(
      "one-shot sender, the book's plain call `./log_cmd_basic.ts arg1 arg2 arg3`, ms",
      ms(plain.deno),
      `hello-world ${plain.hello.toFixed(1)}`,
      `≤ ${goalMs.toFixed(1)} (hello-world + ${FLOOR_GOALS.oneShotMs})`,
      plain.deno === undefined ? undefined : plain.deno <= goalMs,
    ),
    goalRow(
      "one-shot sender ÷ the book's Python sender, same words",
      toPython === undefined ? ms(undefined) : `${toPython.toFixed(2)}×`,
      plain.python === undefined ? "" : `Python ${ms(plain.python)} ms`,
      `≤ ${FLOOR_GOALS.oneShotPython}× (20% faster)`,
      toPython === undefined
        ? undefined
        : toPython <= FLOOR_GOALS.oneShotPython,
    ),
  ];
}

/** The median of each measure of the fleet's rounds, and all they lost. */
function fleetMedians(runs: FleetRun[]): FleetRun {
  return {
    sent: runs.reduce((sum, run) => sum + run.sent, 0),
    lost: runs.reduce((sum, run) => sum + run.lost, 0),
    cpuSeconds: median(runs.map((run) => run.cpuSeconds)),
    peakMiB: median(runs.map((run) => run.peakMiB)),
  };
}

/**
 * The fleet rows: messages lost (in all rounds), CPU and peak RSS (medians
 * of the rounds), against the C logger.
 */
function fleetRows(
  fleet: FleetResults,
  floorMiB: number,
  nodeUtil: string,
): string[] {
  const { shape } = fleet;
  const deno = fleetMedians(fleet.runs.deno);
  const bare = fleetMedians(fleet.runs.bare);
  const c = fleetMedians(fleet.runs.c);
  const rounds = fleet.runs.deno.length;
  const what = `fleet, ${
    shape.senders.toLocaleString("en")
  } senders × ${shape.rate} msg/s × ${shape.seconds} s`;
  const rssGoal = c.peakMiB + floorMiB;
  return [
    goalRow(
      `${what}: messages lost of ${
        deno.sent.toLocaleString("en")
      } in ${rounds} round(s)`,
      `${deno.lost}`,
      `C ${c.lost}`,
      "0",
      deno.lost === 0,
    ),
    goalRow(
      `${what}: logger CPU s, median of ${rounds} round(s)`,
      deno.cpuSeconds.toFixed(2),
      `C ${c.cpuSeconds.toFixed(2)}; bare Deno loop ${
        bare.cpuSeconds.toFixed(2)
      }`,
      "≤ C's",
      deno.cpuSeconds <= c.cpuSeconds,
    ),
    goalRow(
      `${what}: logger peak RSS, MiB, median of ${rounds} round(s)`,
      deno.peakMiB.toFixed(0),
      `C ${c.peakMiB.toFixed(0)} + floor ${
        floorMiB.toFixed(0)
      }${nodeUtil}; bare Deno loop ${bare.peakMiB.toFixed(0)}`,
      `≤ ${rssGoal.toFixed(0)} (C's + floor)`,
      deno.peakMiB <= rssGoal,
    ),
  ];
}

/**
 * The goals of issue 28 as a Markdown table: each goal's measured value,
 * the floor (or the C logger) measured in the same run beside it, the
 * target and whether it is met.
 */
export function renderGoals(results: BenchResults): string {
  const { rates, cpu, rss } = loggerMedians(results);
  const { floorMiB, floorNodeUtilMiB, setup } = results;
  const rounds = `median of ${setup.rounds} round(s)`;
  // What node:util adds to the floor: an option loads it (lib/cli/args.ts).
  const nodeUtil = ` (with node:util ${floorNodeUtilMiB.toFixed(0)})`;
  const cpuRatio = measuredRatio(cpu.deno, cpu.c);
  const rssGoal = floorMiB + FLOOR_GOALS.rssOverFloorMiB;
  const bare = (key: keyof LoggerRun) =>
    median(results.bare.map((run) => run[key]));
  const bareCpu = measuredRatio(bare("cpuPerMillion"), cpu.c);
  const bareRate = setup.messages / bare("seconds");
  return [
    "| goal (issue 28) | measured | floor, same run | target | |",
    "| --- | --- | --- | --- | --- |",
    ...plainRows(results.plain),
    goalRow(
      `logger peak RSS under the load, MiB, ${rounds}`,
      rss.deno.toFixed(0),
      `addon + context ${floorMiB.toFixed(0)}${nodeUtil}; bare Deno loop ${
        bare("peakMiB").toFixed(0)
      }`,
      `≤ ${rssGoal.toFixed(0)} (floor + ${FLOOR_GOALS.rssOverFloorMiB})`,
      rss.deno <= rssGoal,
    ),
    goalRow(
      `logger CPU per message ÷ C's, ${rounds}`,
      cpuRatio === undefined ? "n/a" : `${cpuRatio.toFixed(2)}×`,
      `C ${cpu.c.toFixed(2)} CPU s per million; bare Deno loop ${
        bare("cpuPerMillion").toFixed(2)
      }${bareCpu === undefined ? "" : ` (${bareCpu.toFixed(2)}×)`}`,
      `≤ ${TARGETS.cpu}×`,
      cpuRatio === undefined ? undefined : cpuRatio <= TARGETS.cpu,
    ),
    goalRow(
      `logger throughput ÷ C's, ${rounds}`,
      `${(rates.deno / rates.c).toFixed(2)}×`,
      `C ${k(rates.c)} msg/s; bare Deno loop ${k(bareRate)} (${
        (bareRate / rates.c).toFixed(2)
      }×)`,
      `≥ ${TARGETS.throughput}×`,
      rates.deno / rates.c >= TARGETS.throughput,
    ),
    ...fleetRows(results.fleet, floorMiB, nodeUtil),
  ].join("\n");
}

/** The raw rounds of each logger, one list item each, and of `--stdin`. */
function rawRounds(results: BenchResults): string {
  const { runs, setup } = results;
  return `${
    LOGGER_NAMES.map((name) =>
      `- ${TITLES[name]}: ${
        runs[name].map((r) =>
          `${k(setup.messages / r.seconds)}, ${r.cpuPerMillion.toFixed(2)}, ${
            r.peakMiB.toFixed(0)
          }, ${r.p50}/${r.p99}`
        ).join("; ")
      }`
    ).join("\n")
  }
- bare Deno loop: ${
    results.bare.map((r) =>
      `${k(setup.messages / r.seconds)}, ${r.cpuPerMillion.toFixed(2)}, ${
        r.peakMiB.toFixed(0)
      }, ${r.p50}/${r.p99}`
    ).join("; ")
  }
- --stdin lines/s: ${results.stdinRates.map(k).join(", ")}`;
}

/**
 * The whole report page: how the bench ran and on what, the table of
 * {@link renderTable}, how each logger is measured, the notes on where the
 * time goes, the `--stats` section and the raw rounds. Not yet aligned as
 * `deno fmt` wants it: bench/bench.ts formats the file it writes.
 */
export function renderReport(
  results: BenchResults,
  context: RunContext,
): string {
  const { setup } = results;
  return `# Benchmark results

Written by \`deno task bench\` on ${context.date.toISOString()}: ${
    setup.messages.toLocaleString("en")
  } messages of
${setup.messageSize} bytes from ${setup.senders} concurrent senders per logger run, ${setup.rounds} round(s), medians.

${context.versions.map((line) => `- ${line}`).join("\n")}

${renderTable(results)}

${renderGoals(results)}

The memory floor is the peak RSS of \`bench/floor.ts\` (npm:zeromq's addon loaded as
our scripts load it, a context open), and with node:util loaded too, as any option
makes our scripts load it for \`parseArgs\`; the start-up floor is Deno's hello-world.
${
    setup.bookCall
      ? "Our logger ran as the book runs it, with no option (so without node:util), on port 5555."
      : "Our logger ran with `--port` on free ports (5555 was busy, or `--free-ports` said so), and so with node:util loaded."
  } The
plain call goes to a logger on the default port, in turn with the book's Python
sender (\`tests/peers/book_sender.py arg1 arg2 arg3\`) and hello-world, ${setup.oneShotRuns}
runs after 2 warm-ups. The fleet (\`bench/c/fleet.c\`) is one process with a PUSH
socket, and its own connection, per sender, each sending ${setup.messageSize}-byte messages at an even
pace; CPU is the logger's from the fleet's start until its last line is in the file.
The bare Deno loop (\`bench/bare_logger.ts\`) is the C logger's loop in Deno on our
libzmq binding, nothing else: what Deno and FFI cost under the same load, and the
same fleet.
${
    results.fleet.pinned === undefined
      ? "The loggers and the fleet ran where the scheduler put them (one CPU, or no `taskset`)."
      : `Each logger ran on CPU ${results.fleet.pinned.logger} and the fleet on CPU ${results.fleet.pinned.fleet} (\`taskset\`): left to the scheduler, the same logger's CPU time varied up to 2× from run to run with where its threads and the fleet's landed.`
  }

The C logger (\`bench/c/reference_logger.c\`) is this design at its limit on Debian's
libzmq: PULL, take every queued message without waiting into one buffer, one
\`write(2)\` whenever the queue is empty, then wait in \`zmq_poll\`. The book's Python
logger is chapter 2's logic on Debian's python3-zmq (PULL, write and flush per
message: \`tests/peers/book_logger.py\`). Every logger gets the same load generator
in C (\`bench/c/load.c\`). CPU is the logger's user + system time during the load,
from /proc/PID/stat; peak RSS is VmHWM. Latency (\`bench/c/latency.c\`) is from a
send until the line is in the file, ${setup.latencyMessages} messages ${
    setup.latencyGapUs / 1000
  } ms apart, on the same logger after the load. The one-shot times are wall times of
whole processes, ${setup.oneShotRuns} runs after 2 warm-ups, delivering to a running
logger; the C one is \`bench/c/load.c\` sending one message.

${notes()}

${statsReport(results.stats)}
Raw rounds (msg/s, CPU s per million, peak MiB, latency median/p99 µs):

${rawRounds(results)}
`;
}
