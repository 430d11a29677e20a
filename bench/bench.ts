/**
 * The benchmark: logging_basic.ts against a reference logger written in C on
 * Debian's libzmq (the limit of its design on this machine) and against the
 * book's Python scripts (chapter 2 logic on Debian's python3-zmq), side by
 * side, in one run on one machine; log_cmd_basic.ts against Deno's own
 * hello-world, a one-shot sender in C and the book's Python sender. It
 * prints a table of medians and ratios and writes it, with the machine,
 * versions and date, to bench/last-run.md (which git ignores), or with
 * --update to the committed bench/results.md. This module measures;
 * bench/report.ts renders the table and the report from what it measured.
 *
 * It builds the C programs in bench/c/ with gcc and Debian's libzmq3-dev
 * into a temporary directory first (`apt-get install -y gcc libzmq3-dev`).
 *
 * Usage:
 *
 * ```sh
 * deno task bench                              # 1,000,000 messages, 3 rounds
 * deno task bench --update                     # the same, into bench/results.md
 * deno task bench --messages 100000 --rounds 1 --out /tmp/results.md
 * ```
 *
 * What it measures, for each logger:
 * - throughput: MESSAGES messages of 100 bytes from 2 concurrent senders
 *   (bench/c/load.c, the same for every logger), from the first send until
 *   the last line is in the log file;
 * - CPU seconds per million messages and peak RSS (VmHWM), from /proc, for
 *   the load only (start-up excluded from CPU);
 * - one-message latency, median and 99th percentile: from a send until the
 *   line is in the file, one message at a time with the logger idle between
 *   them (bench/c/latency.c, woken by inotify);
 *
 * and for the senders: one-shot wall time (`./log_cmd_basic.ts hello`)
 * against `deno run` of bench/hello.ts, bench/c/load.c sending "hello", the
 * book's Python sender, and util-linux `logger` over UDP as the floor; then
 * `--stdin`: lines per second from a pipe into the log file; and `--stats`
 * against the awk one-liner for hourly counts per level, on a generated log
 * of MESSAGES lines (bench/stats.ts).
 *
 * For the goals of issue 28 (bench/goals.ts), each beside a floor measured
 * in the same run: the memory floor (bench/floor.ts's peak RSS: the addon
 * loaded, a context open; and with node:util loaded, as any option makes our
 * scripts do); the book's plain call `./log_cmd_basic.ts arg1
 * arg2 arg3` to a logger on the default port (when that port is free), in
 * turn with the book's Python sender and Deno's hello-world; and the fleet
 * case, --fleet-senders PUSH sockets at 10 messages a second each for
 * --fleet-seconds (bench/c/fleet.c) into our logger and into the C logger:
 * messages lost, the logger's CPU seconds and peak RSS.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { benchStats, statsReport } from "./stats.ts";
import { fleetCase, measureFloor, plainShots, usage } from "./goals.ts";
import { BOOK_PORT, portFor, startBare, startNamed } from "./loggers.ts";
import { canListen } from "../tests/ports.ts";
import {
  type BenchResults,
  type BenchSetup,
  type FleetShape,
  LOGGER_NAMES,
  type LoggerName,
  type LoggerRun,
  median,
  type OneShots,
  renderGoals,
  renderReport,
  renderTable,
} from "./report.ts";
import {
  Background,
  freePort,
  PEERS,
  PYTHON,
  ROOT,
  run,
  SENDER,
  startLogger,
  tempDir,
  waitForSize,
} from "../tests/helpers.ts";

const MESSAGE_SIZE = 100;
const SENDERS = 2;
const ONE_SHOT_RUNS = 15;
const STDIN_LINES = 200_000;
/** One-message latency: messages timed per logger and round, and the pause before each. */
const LATENCY_MESSAGES = 200;
const LATENCY_GAP_US = 2000;
/** The fleet case of issue 28: each sender's messages a second. */
const FLEET_RATE = 10;
/** Runs of bench/floor.ts for the memory floor (the median is taken). */
const FLOOR_RUNS = 3;

/** The C programs in bench/c/, built by {@link buildC}. */
const C_PROGRAMS = ["reference_logger", "load", "latency", "fleet"] as const;
const C_SOURCES = `${ROOT}bench/c/`;

/**
 * Builds the C programs into a temporary directory and returns it; throws
 * one line when gcc or libzmq3-dev is missing.
 */
async function buildC(): Promise<string> {
  const missing = [];
  if ((await run("sh", ["-c", "command -v gcc"])).code !== 0) {
    missing.push("gcc");
  }
  try {
    Deno.statSync("/usr/include/zmq.h");
  } catch {
    missing.push("libzmq3-dev");
  }
  if (missing.length > 0) {
    throw new Error(
      `the C reference needs ${
        missing.join(" and ")
      }, which this machine lacks: apt-get install -y ${missing.join(" ")}`,
    );
  }
  const dir = Deno.makeTempDirSync({ prefix: "zmqlog-bench-c-" });
  await Promise.all(C_PROGRAMS.map(async (name) => {
    const out = await run("gcc", [
      "-O2",
      "-Wall",
      "-o",
      `${dir}/${name}`,
      `${C_SOURCES}${name}.c`,
      "-lzmq",
    ]);
    if (out.code !== 0) {
      throw new Error(`gcc could not build bench/c/${name}.c: ${out.stderr}`);
    }
  }));
  return dir;
}

/**
 * One round against a logger started by `start`: the throughput load, then
 * the one-message latency on the same logger, idle again.
 */
async function loggerRound(
  start: (dir: string, port: number) => Promise<Background>,
  port: number,
  messages: number,
  bin: string,
): Promise<LoggerRun> {
  using dir = tempDir();
  const logger = await start(dir.path, port);
  try {
    const before = await usage(logger.pid);
    const began = performance.now();
    const each = Math.ceil(messages / SENDERS);
    const senders = Array.from(
      { length: SENDERS },
      (_, i) =>
        run(`${bin}/load`, [
          String(port),
          `s${i}`,
          String(each),
          String(MESSAGE_SIZE),
        ]),
    );
    const total = each * SENDERS * (MESSAGE_SIZE + 1);
    const size = await waitForSize(`${dir.path}/log.txt`, total, 300_000, 5);
    const seconds = (performance.now() - began) / 1000;
    for (const out of await Promise.all(senders)) {
      if (out.code !== 0) throw new Error(`load failed: ${out.stderr}`);
    }
    if (size !== total) {
      throw new Error(
        `the log holds ${size} bytes, not ${total}: messages were lost`,
      );
    }
    const after = await usage(logger.pid);
    const latency = await run(`${bin}/latency`, [
      String(port),
      `${dir.path}/log.txt`,
      String(LATENCY_MESSAGES),
      String(MESSAGE_SIZE),
      String(LATENCY_GAP_US),
    ]);
    if (latency.code !== 0) throw new Error(`latency: ${latency.stderr}`);
    const [p50, p99] = latency.stdout.trim().split(" ").map(Number);
    return {
      seconds,
      cpuPerMillion: (after.cpu - before.cpu) / (each * SENDERS / 1e6),
      peakMiB: after.peakMiB,
      p50,
      p99,
    };
  } finally {
    await logger.stop("SIGKILL");
  }
}

/** Median wall time of a one-shot command, in milliseconds. */
async function oneShot(
  command: string,
  args: string[],
  env?: Record<string, string>,
) {
  const times: number[] = [];
  for (let i = 0; i < ONE_SHOT_RUNS + 2; i++) {
    const began = performance.now();
    const out = await run(command, args, { env });
    if (out.code !== 0) throw new Error(`${command} failed: ${out.stderr}`);
    if (i >= 2) times.push(performance.now() - began); // two warm-up runs
  }
  return median(times);
}

/** Lines per second through `log_cmd_basic.ts --stdin` into the log file. */
async function stdinRate(lines: number): Promise<number> {
  using dir = tempDir();
  const port = freePort();
  const logger = await startLogger(dir.path, port);
  try {
    const input = new TextEncoder().encode(
      Array.from(
        { length: lines },
        (_, i) =>
          `${String(i).padStart(9, "0")} ${"y".repeat(MESSAGE_SIZE - 10)}\n`,
      )
        .join(""),
    );
    const began = performance.now();
    const child = new Deno.Command(SENDER, {
      args: ["--stdin", "-p", String(port), "--timeout", "60"],
      stdin: "piped",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(input);
    await writer.close();
    // A logger that ends while it is sent to would leave the sender waiting.
    const out = await Promise.race([child.output(), logger.exited]);
    if (!("stderr" in out)) {
      child.kill("SIGKILL");
      await child.output();
      throw new Error(
        `the logger ended while --stdin sent: ${logger.stderrSoFar}`,
      );
    }
    if (out.code !== 0) throw new Error(new TextDecoder().decode(out.stderr));
    const size = await waitForSize(
      `${dir.path}/log.txt`,
      input.length,
      120_000,
      5,
    );
    if (size !== input.length) throw new Error("--stdin lost lines");
    return lines / ((performance.now() - began) / 1000);
  } finally {
    await logger.stop("SIGKILL");
  }
}

async function versions(): Promise<string[]> {
  const first = async (cmd: string, args: string[]) =>
    (await run(cmd, args)).stdout.split("\n")[0].trim();
  const cpu =
    /model name\s*:\s*(.*)/.exec((await run("cat", ["/proc/cpuinfo"])).stdout)
      ?.[1] ?? "unknown CPU";
  return [
    `machine: ${await first("uname", [
      "-srm",
    ])}, ${cpu}, ${navigator.hardwareConcurrency} cores`,
    `deno: ${Deno.version.deno} (V8 ${Deno.version.v8})`,
    `python: ${await first(PYTHON, ["--version"])}, pyzmq/libzmq ${await first(
      PYTHON,
      ["-c", "import zmq; print(zmq.__version__, zmq.zmq_version())"],
    )}`,
    `util-linux logger: ${await first("logger", ["--version"])}`,
  ];
}

/** What `deno task bench --help` prints. */
const USAGE = `Usage: deno task bench [options]

Times logging_basic.ts against a logger in C and the book's Python, and
log_cmd_basic.ts against hello-world; prints the table and writes a report.

Options:
  --messages N  messages per logger round and lines for --stats (1000000)
  --rounds N    rounds per logger; the medians are reported (3)
  --out FILE    where the report goes (bench/last-run.md, which git ignores)
  --update      write the report to the committed bench/results.md
  --fleet-senders N  senders in the fleet case, ${FLEET_RATE} msg/s each (1000)
  --fleet-seconds N  how long the fleet sends (20)
  --free-ports  run our logger with --port on free ports too, not as the book
                does on 5555 (for a run beside others that use 5555: the tests)
  --help        print this and exit`;

/** The command line's options; a usage error throws (node:util's TypeError). */
function parseBenchArgs(args: string[]) {
  return parseArgs({
    args,
    options: {
      messages: { type: "string", default: "1000000" },
      rounds: { type: "string", default: "3" },
      // A run writes where git does not look; --update writes the committed table.
      out: { type: "string" },
      update: { type: "boolean", default: false },
      "fleet-senders": { type: "string", default: "1000" },
      "fleet-seconds": { type: "string", default: "20" },
      "free-ports": { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  }).values;
}

async function main(args: string[]): Promise<number> {
  let values: ReturnType<typeof parseBenchArgs>;
  try {
    values = parseBenchArgs(args);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    console.error(
      `bench: ${message.split("\n")[0]} (deno task bench --help for usage)`,
    );
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const out = values.out ??
    (values.update ? `${ROOT}bench/results.md` : `${ROOT}bench/last-run.md`);
  const messages = Number(values.messages);
  const rounds = Number(values.rounds);
  if (!(messages >= SENDERS) || !(rounds >= 1)) {
    console.error("bench: --messages and --rounds must be positive numbers");
    return 2;
  }
  const fleet: FleetShape = {
    senders: Number(values["fleet-senders"]),
    rate: FLEET_RATE,
    seconds: Number(values["fleet-seconds"]),
    messageSize: MESSAGE_SIZE,
  };
  for (const name of ["senders", "seconds"] as const) {
    if (!Number.isInteger(fleet[name]) || fleet[name] < 1) {
      console.error(
        `bench: --fleet-${name} must be a positive whole number, not ${
          values[`fleet-${name}`]
        }`,
      );
      return 2;
    }
  }
  const say = (text: string) => console.error(`bench: ${text}`);
  let bin: string;
  try {
    bin = await buildC();
  } catch (err) {
    say(err instanceof Error ? err.message : String(err));
    return 1;
  }
  try {
    return await measure(
      { messages, rounds, fleet, freePorts: values["free-ports"] },
      out,
      values.update,
      bin,
      say,
    );
  } finally {
    Deno.removeSync(bin, { recursive: true });
  }
}

/** Runs every measure and writes the report to `out`; the exit status. */
async function measure(
  load: {
    messages: number;
    rounds: number;
    fleet: FleetShape;
    freePorts: boolean;
  },
  out: string,
  update: boolean,
  bin: string,
  say: (text: string) => void,
): Promise<number> {
  const { messages, rounds } = load;
  say("the memory floor (bench/floor.ts), without and with node:util");
  const floorMiB = await measureFloor(FLOOR_RUNS);
  const floorNodeUtilMiB = await measureFloor(FLOOR_RUNS, true);
  // Ours runs as the book runs it, with no option, where the port is free.
  const bookCall = !load.freePorts && canListen(BOOK_PORT);
  if (!bookCall) say("our logger runs with --port, on free ports");
  const { runs, bare } = await loggerRounds(
    messages,
    rounds,
    bin,
    bookCall,
    say,
  );
  say("one-shot senders");
  const shots = await oneShots(bin);
  say("the book's plain call, its Python sender and hello-world, in turn");
  const plain = await plainShots(ONE_SHOT_RUNS);
  if (plain.busy !== undefined) {
    say(`port ${plain.busy} is busy: the plain call is not measured`);
  }
  const fleet = await fleetCase(load.fleet, rounds, bin, bookCall, say);
  say("--stdin");
  const stdinRates: number[] = [];
  for (let round = 0; round < rounds; round++) {
    stdinRates.push(await stdinRate(Math.min(STDIN_LINES, messages)));
  }
  say("--stats against awk");
  const stats = await benchStats(messages, rounds);
  const setup: BenchSetup = {
    messages,
    rounds,
    messageSize: MESSAGE_SIZE,
    senders: SENDERS,
    latencyMessages: LATENCY_MESSAGES,
    latencyGapUs: LATENCY_GAP_US,
    oneShotRuns: ONE_SHOT_RUNS,
    bookCall,
  };
  await writeReport(
    {
      setup,
      runs,
      bare,
      shots,
      floorMiB,
      floorNodeUtilMiB,
      plain,
      fleet,
      stdinRates,
      stats,
    },
    out,
  );
  say(
    `wrote ${out}${
      update ? "" : " (deno task bench --update writes bench/results.md)"
    }`,
  );
  return 0;
}

/**
 * `rounds` rounds against each logger, each round in another order; says
 * each round's numbers as it goes.
 */
async function loggerRounds(
  messages: number,
  rounds: number,
  bin: string,
  bookCall: boolean,
  say: (text: string) => void,
): Promise<{ runs: Record<LoggerName, LoggerRun[]>; bare: LoggerRun[] }> {
  const runs: Record<LoggerName, LoggerRun[]> = { deno: [], c: [], python: [] };
  const bare: LoggerRun[] = [];
  const names = [...LOGGER_NAMES, "bare"] as const;
  for (let round = 1; round <= rounds; round++) {
    // Rotate which goes first, so none always gets the cooler machine.
    const shift = (round - 1) % names.length;
    const order = [...names.slice(shift), ...names.slice(0, shift)];
    for (const name of order) {
      const result = await loggerRound(
        (dir, port) =>
          name === "bare"
            ? startBare(dir, port)
            : startNamed(name, bin, dir, port),
        portFor(name, bookCall),
        messages,
        bin,
      );
      (name === "bare" ? bare : runs[name]).push(result);
      say(
        `round ${round}/${rounds} ${name}: ${
          (messages / result.seconds / 1000).toFixed(0)
        }k msg/s, ${result.cpuPerMillion.toFixed(2)} CPU s/M, ${
          result.peakMiB.toFixed(0)
        } MiB, latency ${result.p50}/${result.p99} µs`,
      );
    }
  }
  return { runs, bare };
}

/**
 * The one-shot senders' median wall times, the Deno and C ones and the
 * book's Python delivering to a running logger, against Deno's hello-world
 * and util-linux `logger` over UDP.
 */
async function oneShots(bin: string): Promise<OneShots> {
  using dir = tempDir();
  const port = freePort();
  const sink = await startLogger(dir.path, port);
  const deno = await oneShot(SENDER, ["-p", String(port), "hello"]);
  const hello = await oneShot(Deno.execPath(), [
    "run",
    "-q",
    `${ROOT}bench/hello.ts`,
  ]);
  const c = await oneShot(`${bin}/load`, [String(port), "hello", "1", "5"]);
  const python = await oneShot(
    PYTHON,
    [`${PEERS}book_sender.py`, "hello"],
    { PORT: String(port) },
  );
  const udp = await oneShot("logger", [
    "-d",
    "-n",
    "127.0.0.1",
    "-P",
    String(freePort()),
    "hello",
  ]);
  await sink.stop("SIGKILL");
  return { deno, hello, c, python, udp };
}

/**
 * Prints the table and the `--stats` section, and writes the whole report,
 * with the date and the machine, to `out`, aligned by `deno fmt`.
 */
async function writeReport(results: BenchResults, out: string): Promise<void> {
  const date = new Date();
  const report = renderReport(results, { date, versions: await versions() });
  console.log(renderTable(results));
  console.log(`\n${renderGoals(results)}\n`);
  console.log(statsReport(results.stats));
  Deno.writeTextFileSync(out, report);
  // Aligned as deno fmt wants it, so CI's fmt --check passes on a fresh run.
  await new Deno.Command(Deno.execPath(), { args: ["fmt", "-q", out] })
    .output();
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
