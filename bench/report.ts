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

/** The fleet case against our logger and the C logger. */
export interface FleetResults {
  shape: FleetShape;
  runs: Record<"deno" | "c", FleetRun>;
}

/** Everything one run of the bench measured, for {@link renderTable} and {@link renderReport}. */
export interface BenchResults {
  setup: BenchSetup;
  /** Each logger's rounds, in the order they ran. */
  runs: Record<LoggerName, LoggerRun[]>;
  shots: OneShots;
  /** The memory floor: peak RSS of bench/floor.ts (addon loaded, a context open), MiB. */
  floorMiB: number;
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
 * What the profiles showed and what was tried, with what it gave: written
 * into the report under the table, so bench/results.md keeps it.
 */
const NOTES = `## Where the time goes

Found by hand on this machine with the logger receiving 1,000,000 messages (see the
README's "How it works"):

- zeromq.js under Deno, the first version: 3.7 CPU s per million and 116 MiB. Its receive
  path makes a Promise and a Buffer per message and waits with uv_poll, which Deno stops
  after one callback (upstream issue 36317), so it also had to be polled on a timer.
- The fix, at the bottom: call libzmq's C API in npm:zeromq's own addon through Deno FFI.
  \`zmq_poll\` waits on a worker thread; then non-blocking \`zmq_recv\` copies every queued
  message straight into the write buffer, and one \`write(2)\` takes the whole batch.
- \`deno run --cpu-prof\` of the logger then: 62% of its samples in FFI calls into libzmq,
  14% garbage collection (one small array view per received message), 12% in
  \`write\`, the JavaScript loop itself about 5%.
- \`strace -c -f\`: 2,467 \`write\` calls for the million messages (about 400 lines a
  write), 12,623 \`recvfrom\` by libzmq's I/O thread, 14,695 \`poll\`.
- A signal landing in a libzmq system call (the profiler's SIGPROF) made \`zmq_recv\` fail
  with EINTR and stopped the logger; such calls are now simply made again.

## Issue 18: towards the C logger (tried, and what it gave)

Two runs of this bench one after the other (1,000,000 messages, 3 rounds), before
the changes below (commit 89417c6) and after; the C logger's own numbers move
between runs by up to 15%:

| measure | before | ÷ C | after | ÷ C | goal |
| --- | --- | --- | --- | --- | --- |
| throughput, msg/s | 1467k | 0.71× | 1672k | 0.71× | ≥ 0.9× |
| CPU s per million | 0.70 | 1.84× | 0.59 | 1.44× | ≤ 1.3× |
| peak RSS, MiB | 63 | | 58 | | ≤ 40 |
| latency median, µs | 368 | 1.79× | 351 | 1.54× | ≤ 1.5× |
| latency p99, µs | 1030 | 1.37× | 957 | 2.03× | |
| one-shot, ms (hello-world) | 139.0 (79.5) | | 108.3 (81.5) | | hello + 15 |

The p99 ratio moved with C's own p99 (752 then 471 µs). The measures below were taken
while another session ran its tests on the same 2 cores, so single runs vary by ±30%;
each was run side by side, old and new in turn, several times (medians).

- Latency, where a message reaches an idle logger. \`strace\` showed the wait: \`zmq_poll\`
  on a worker thread, then a promise to the main thread. Now an idle logger waits in
  \`zmq_poll\` on the main thread (200 ms at most, then lets the event loop run, for
  signals): median latency 495-582 µs before, 346-471 µs after, C 261-317 µs.
- A p99 of 4 ms in those loaded runs came from \`setTimeout(0)\`, used to let signals in: Deno's timer sleeps
  1-2 ms in \`epoll_wait\`, and a message arriving then waited for it. Tried instead: a
  MessageChannel round trip (0.17 ms, no sleep) - it did not help: signals were then not
  heard under load (SIGTERM took 4.3 s, until the flood ended, instead of 1.0 s).
  Kept: a zero-time \`zmq_poll\` on a worker thread, whose wait in epoll also takes the
  signals (SIGTERM under load: 1.05-1.1 s, as before).
- The file is written before the control, ZAP and monitor sockets are looked at, so they
  add nothing to a line's latency.
- CPU: one array view per message for \`zmq_recv\` (14% of samples in garbage collection)
  is gone: libzmq gets an address inside the buffer (found with \`memset(buf, 0, 0)\`,
  which returns it; \`Deno.UnsafePointer.of\` would need \`--allow-ffi\` for everything):
  0.75-0.78 CPU s per million before, 0.67-0.73 after. Passing the address as a number
  instead of a BigInt did not help: Deno's fast call takes only BigInts for \`usize\`, and
  the slow path cost 1.38-1.46 CPU s per million.
- \`deno run --cpu-prof\` of the logger after, 1,000,000 messages: of the samples while
  busy, \`zmq_recv\` (through \`receiveAt\`) 13% of all, \`write\` 1.7%, the fstat after each
  write 0.9%, garbage collection 0.8% (14% before), the escape scan 0.6%; the rest is the
  wait in \`zmq_poll\`. What is left is the call into libzmq itself and two cores shared by
  four busy threads (the logger's, libzmq's I/O thread, two senders).
- Tried, did not help: answering the control, ZAP and monitor sockets at most every 10 ms
  while busy, instead of after every batch (0.65-0.76 CPU s per million against
  0.66-0.70 without).
- One-shot start-up: importing node:util (for \`parseArgs\`) starts Deno's Node
  compatibility layer. A parser of our own (\`lib/args.ts\`, the same values and
  messages as node:util's on 36,000 command lines) took \`log_cmd_basic.ts -p PORT hello\`
  from 194 ms to 154 ms in one loaded run (Deno's hello-world 102 ms), and about 2 MiB off
  the idle logger; it was taken out again, as the project reads its command lines with
  node:util's \`parseArgs\` by decision. What is left besides (\`strace\`, timings inside
  the process): 7-19 ms loading our modules, 5-10 ms \`dlopen\` of npm:zeromq's addon with
  libstdc++, a trampoline (mmap and mprotect) for each of the 30 FFI symbols, then the
  connection and its handshake. The sender also waits for the logger in \`zmq_poll\` on the
  main thread now: no difference that the noise let us see.
- Peak RSS: not met. Deno's hello-world peaks at 31 MiB here; importing npm:zeromq's
  manifest adds 3 MiB and loading the addon (with libstdc++) 5.5 MiB, the idle logger is at
  47-50 MiB; the burst adds about 12 MiB, 7 of them pages of the deno binary itself. V8
  flags did not help (peak after 800,000 messages: 59.5 MiB as it is,
  \`--max-semi-space-size=1\` 59.5, \`--single-threaded\` 58.3, \`--max-lazy\` 59.8).

### 2026-12-03

- \`perf record -g\` of the logger under the load (\`--v8-flags=--perf-basic-prof\`):
  libzmq's I/O thread 39% of the samples (kernel TCP 17%, libzmq 17%), the logger's
  thread 55%: kernel (\`write\`, \`poll\`) 14%, the JavaScript of \`receiveQueued\` 12%,
  libzmq's \`zmq_recv\` 13%, V8 and Deno 9%, libc 6%; V8's helper threads 6%.
- The escape scan looked at each byte of each message: 65 ns of a 100-byte message. It
  now looks at four bytes at a time (\`lib/escape.ts\`), 30 ns. Old and new in turn,
  four times each: 0.64 CPU s per million against 0.59 (medians), 1.24M msg/s against
  1.30M.
- Is it libzmq? The C logger here uses Debian's libzmq 4.3.4; ours is the 4.3.5 linked
  into npm:zeromq's addon. Built against the addon itself (its Node symbols stubbed), the
  C logger did the same as on Debian's (four rounds each, in turn: 1.51-1.67M msg/s and
  0.39-0.52 CPU s per million, against 1.45-1.61M and 0.42-0.48; ours in the same runs
  1.29-1.43M and 0.55-0.58, 0.87x and 1.32x of the medians), so the gap is ours, not the
  library's.
- What is left per message, measured apart: the BigInt that carries the address to
  \`zmq_recv\` (28 ns; Deno's fast call takes a \`usize\` only as a BigInt, and a
  pointer object would need \`--allow-ffi\` for everything), the escape scan (30 ns), and
  V8's own threads (garbage collection, compiling). That is 0.15 CPU s per million
  above C, so 0.8-0.87x its throughput on these two cores.
- One-shot start-up, each step measured alone (six runs each, medians, ms): Deno's
  hello-world 64; importing any \`node:\` module (\`node:path\` the same as \`node:util\`)
  +12, as it starts Deno's Node compatibility layer; importing npm:zeromq's manifest +3;
  our modules +8; \`dlopen\` of the addon 4.5, and 0.14 for each FFI symbol (30: +4); the
  send itself +7 (the C sender's whole run is 11). That is hello-world + 39: the goal of
  + 15 is below what \`node:util\` and the addon cost before any of our code runs.
- Peak RSS: hello-world 31 MiB, the Node layer 5, the manifest 3, the addon with
  libstdc++ 5.5: 44 MiB before the logger has a socket, against the goal of 40.

## Issue 24: each mode loaded only when it runs

\`bench/startup.ts\` (its doc says how to run it), before the restructure (68bb4bb) and
after it (589ff2c), in turn, twice each; 15 runs after 2 warm-ups, medians:

| | before | after |
| --- | --- | --- |
| logger: local modules loaded on every start | 26, 226 KiB | 26, 151 KiB |
| one-shot sender: local modules loaded on every start | 11, 100 KiB | 11, 58 KiB |
| logger: spawn to port accepting, ms | 28.5, 28.5 | 26.6, 29.2 |
| logger: peak RSS then, MiB | 48.8, 49.7 | 48.6, 48.5 |
| one-shot sender: spawn to exit, ms | 24.4, 25.7 | 24.5, 25.8 |
| one-shot sender minus hello-world, ms | 13.0, 13.6 | 13.1, 13.9 |
| one-shot sender: peak RSS, MiB | 46.6, 46.3 | 46.1, 46.8 |

A third less of our code runs on every start (the logger no longer loads \`--show\`,
\`--stats\`'s counting, the forwarder, CurveZMQ or \`--help\`; the sender no longer
loads the syslog parser, LogSender, \`--stdin\` or CurveZMQ), but start-up time and
memory did not move beyond the noise: what start-up costs is the fixed parts (Deno,
\`node:util\`'s Node layer, the addon), as measured step by step above.

The receive path does what it did (the loop's steps moved into \`serve()\`, the
escape scan's state into an object the loop owns): \`deno task bench --messages 400000\`, before then after, 3.63M and 3.50M msg/s (the C logger 5.71M and 4.63M in
the same runs), 0.27 and 0.22 CPU s per million: within the noise.

## Issue 26: memory bounded in bytes

Peak RSS (GNU time's %M), old then new code, on this 2-core machine:

|                                                                       | before    | after   | goal      |
| --------------------------------------------------------------------- | --------- | ------- | --------- |
| --stats --by host, 300,000 lines from 1,000 hosts over 7 days (25 MB) | 1,480 MiB | 112 MiB | under 150 |
| --stats --by level, the same log                                      | 169 MiB   | 62 MiB  |           |
| --stdin, 12,000 lines of 65,000 bytes, logger away                    | 1,001 MiB | 95 MiB  | under 100 |

--stats: each bucket keeps counts for the hosts seen in it only (a Map, not an
array with a slot for each host), at most a million such counts, and without
--every a few thousand buckets before they merge into coarser ones. --stdin: its
queue is 16 MiB (256 of the longest lines) instead of 10,000 lines.

## Issue 28: start-up and CPU per message, against the floor (tried, and what it gave)

Each idea in a copy of commit 5455caa, paired A against B run by run (30 runs after 2
warm-ups, medians of whole processes), the plain call \`./log_cmd_basic.ts arg1 arg2 arg3\`
to a logger on port 5555 in a network namespace of its own; the machine quiet then
(Deno's hello-world 11 ms, the book's Python sender 30 ms):

| idea | before | after | |
| --- | --- | --- | --- |
| no \`node:util\` when no argument starts with \`-\` | 24 ms, 48.6 MiB | 19 ms, 43.7 MiB | 0.81× wall: worth taking |
| dlopen only the 12 symbols the one-shot sender calls (of 22) | 18 ms | 17 ms | 0.96×, 0.7 ms |
| the addon's manifest as a literal, not an npm import | 19 ms, 43.4 MiB | 18 ms, 42.7 MiB | 0.98×: within the noise |

- The first is taken: parseArgs lives in lib/cli/command_line.ts, loaded only when an
  argument is an option. After it, the plain call 21 ms against hello-world's 12 ms
  (farm-bench, 20 pairs, the machine busy with other work), hello-world + 9 ms.
- CPU per message: \`zmq_recv\` with a \`buffer\` parameter into one reused scratch
  array, then copied into the write buffer, instead of a BigInt address inside it: 0.24,
  0.25, 0.24 CPU s per million against 0.23, 0.23, 0.22, and 3.8-3.9M msg/s against
  4.2-4.5M (1,000,000 messages, in turn): worse, not taken.
- \`--v8-flags=--trace-gc\` under the same load: 22 scavenges and no mark-compact for
  1,000,000 messages, 5-9 ms of garbage collection in all: about 3% of the logger's CPU.
  Garbage collection is not where the gap to C (0.09-0.12 CPU s per million in the same
  hour) is.
- The fleet case, 1,000 senders × 10 msg/s × 20 s (200,000 messages) once against each:
  0 lost by both; our logger 5.91 CPU s and 104 MiB peak, the C logger 2.57 CPU s and
  45 MiB (its 1,000 connections cost libzmq about 38 MiB; the floor is 43-45 MiB).

## Issue 26: the control-byte flood against the normal load

The logger's peak RSS (VmHWM) once every line is in the file, normal load 8
connections × 3,000 × 100 B, flood 8 × 300 × 64 KiB of \`\\x01\`
(tests/flood_memory_test.ts holds the ratio under 2x):

|                 | normal     | flood before    | flood after       |
| --------------- | ---------- | --------------- | ----------------- |
| text            | 60-69 MiB  | 208 (3.0-3.3x)  | 99-102 (1.5-1.65x) |
| \`--format json\` | 65-68 MiB  | 254-259 (3.7x)  | 100-111 (1.5-1.7x) |
| \`--timestamps\`  | 65-66 MiB  | 327-340 (5.0x)  | 99-105 (1.5-1.6x)  |

- After: a 4 MiB queue per sender (64 messages of 64 KiB, was 1,000), and lines of
  1 KiB or more built from their bytes, not a string each. Both are needed: the
  queue alone leaves JSON at 2.13x and \`--timestamps\` at 3.0x; the building alone
  leaves the flood at 3.2x.
- The queue alone, text / \`--timestamps\` peak: 32 MiB 218 / 334, 16 MiB 176 / 317,
  8 MiB 127 / 251, 4 MiB 102 / 221.
- The cost: with many small messages (8 × 400,000 × 100 B) the logger's CPU rose
  from 0.68 to 0.90 s (+32%, median of 7) and the wall time 7%: libzmq's threads
  hand over work each half queue. Tried and dropped: growing the queue back for
  small messages (a waiting sender can hang, woken only at multiples of the new
  half queue) and shrinking it on the first large message (the flood has filled the
  queues by then: 161-205 MiB).

## Issue 29: what --seal costs

\`bench/seal_speed.ts\`: 2,000,000 messages of 100 bytes from 2 concurrent
senders (bench/c/load.c), 7 rounds taken in turn, medians; the machine shared
(load average 2-4). Goal: throughput with \`--seal\` at least 0.8x without.

| measure                  | without --seal | with --seal | ratio |
| ------------------------ | -------------- | ----------- | ----- |
| logger throughput, msg/s | 2545k          | 2220k       | 0.87x |
| logger CPU s per million | 0.34           | 0.42        | 1.25x |
| --verify, lines/s        |                | 5209k       |       |

- An earlier 7-round run gave 0.87x too (2310k / 2004k).
- The same work through \`crypto.subtle\` (async: a hop to a thread per call) gave
  0.52x (5 rounds), against 0.90x synchronously through \`node:crypto\`'s
  \`createHash\` and \`createHmac\`, which the sealer uses.
- Per line the tag costs about 25 ns; the seal file is about 5 bytes a line plus
  340 a record (about 5% of a busy log).

## Issue 30: --show --context and --stats --capacity against awk

A generated log of 300,000 lines (50 hosts, 3 tags, 1 line in 60 an error),
each mode through the shebang against the awk one-liner for the same answer
(both give it: checked), median of 7 rounds; goal at most 1.5x awk
(\`deno run --allow-run --allow-read --allow-write bench/read_speed.ts 300000 7\`).

|                    | seconds | awk seconds | ratio     | peak RSS |
| ------------------ | ------- | ----------- | --------- | -------- |
| --show --context 3 | 0.20    | 0.15        | **1.29x** | 88 MiB   |
| --stats --capacity | 0.16    | 0.12        | **1.32x** | 67 MiB   |

On 1,000,000 lines: 1.10x and 1.12x (122 and 66 MiB; --context's 122 MiB is
V8 collecting late: with its old space capped at 40 MB it reads 3M lines).`;

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

/** The fleet rows: messages lost, CPU and peak RSS, against the C logger. */
function fleetRows(fleet: FleetResults, floorMiB: number): string[] {
  const { shape, runs: { deno, c } } = fleet;
  const what = `fleet, ${
    shape.senders.toLocaleString("en")
  } senders × ${shape.rate} msg/s × ${shape.seconds} s`;
  const rssGoal = c.peakMiB + floorMiB;
  return [
    goalRow(
      `${what}: messages lost of ${deno.sent.toLocaleString("en")}`,
      `${deno.lost}`,
      `C ${c.lost}`,
      "0",
      deno.lost === 0,
    ),
    goalRow(
      `${what}: logger CPU s`,
      deno.cpuSeconds.toFixed(2),
      `C ${c.cpuSeconds.toFixed(2)}`,
      "≤ C's",
      deno.cpuSeconds <= c.cpuSeconds,
    ),
    goalRow(
      `${what}: logger peak RSS, MiB`,
      deno.peakMiB.toFixed(0),
      `C ${c.peakMiB.toFixed(0)} + floor ${floorMiB.toFixed(0)}`,
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
  const { floorMiB, setup } = results;
  const rounds = `median of ${setup.rounds} round(s)`;
  const cpuRatio = measuredRatio(cpu.deno, cpu.c);
  const rssGoal = floorMiB + FLOOR_GOALS.rssOverFloorMiB;
  return [
    "| goal (issue 28) | measured | floor, same run | target | |",
    "| --- | --- | --- | --- | --- |",
    ...plainRows(results.plain),
    goalRow(
      `logger peak RSS under the load, MiB, ${rounds}`,
      rss.deno.toFixed(0),
      `addon + context ${floorMiB.toFixed(0)}`,
      `≤ ${rssGoal.toFixed(0)} (floor + ${FLOOR_GOALS.rssOverFloorMiB})`,
      rss.deno <= rssGoal,
    ),
    goalRow(
      `logger CPU per message ÷ C's, ${rounds}`,
      cpuRatio === undefined ? "n/a" : `${cpuRatio.toFixed(2)}×`,
      `C ${cpu.c.toFixed(2)} CPU s per million`,
      `≤ ${TARGETS.cpu}×`,
      cpuRatio === undefined ? undefined : cpuRatio <= TARGETS.cpu,
    ),
    goalRow(
      `logger throughput ÷ C's, ${rounds}`,
      `${(rates.deno / rates.c).toFixed(2)}×`,
      `C ${k(rates.c)} msg/s`,
      `≥ ${TARGETS.throughput}×`,
      rates.deno / rates.c >= TARGETS.throughput,
    ),
    ...fleetRows(results.fleet, floorMiB),
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
our scripts load it, a context open); the start-up floor is Deno's hello-world. The
plain call goes to a logger on the default port, in turn with the book's Python
sender (\`tests/peers/book_sender.py arg1 arg2 arg3\`) and hello-world, ${setup.oneShotRuns}
runs after 2 warm-ups. The fleet (\`bench/c/fleet.c\`) is one process with a PUSH
socket, and its own connection, per sender, each sending ${setup.messageSize}-byte messages at an even
pace; CPU is the logger's from the fleet's start until its last line is in the file.

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

${NOTES}

${statsReport(results.stats)}
Raw rounds (msg/s, CPU s per million, peak MiB, latency median/p99 µs):

${rawRounds(results)}
`;
}
