/**
 * The measures bench/bench.ts adds for the goals of issue 28, each against
 * a floor measured in the same run: the memory floor (bench/floor.ts: the
 * addon loaded and a context open), the one-shot sender's plain call as the
 * book has it (`./log_cmd_basic.ts arg1 arg2 arg3`, to the default port)
 * beside Deno's hello-world and the book's Python sender, and the fleet case
 * (bench/c/fleet.c: many PUSH sockets at a steady rate into one logger).
 * bench/report.ts renders them ({@link FloorRun}, {@link PlainShots},
 * {@link FleetRun}).
 *
 * @example
 * ```ts
 * import { measureFloor } from "./goals.ts";
 *
 * const floor = await measureFloor(3); // median peak RSS, MiB
 * ```
 *
 * @module
 */

import type { FleetResults, FleetRun, PlainShots } from "./report.ts";
import { BOOK_PORT, portFor, startBare, startNamed } from "./loggers.ts";
import { canListen } from "../tests/ports.ts";
import {
  Background,
  PEERS,
  PYTHON,
  ROOT,
  run,
  SENDER,
  startLogger,
  tempDir,
} from "../tests/helpers.ts";

/** The plain call's words, as in the book. */
const PLAIN_WORDS = ["arg1", "arg2", "arg3"];

/** How long the fleet's last lines may take to reach the file after it ends. */
const FLEET_DRAIN_MS = 30_000;

const CLOCK_TICKS = Number((await run("getconf", ["CLK_TCK"])).stdout.trim()) ||
  100;

/** A process's CPU seconds so far and its peak resident memory, from /proc. */
export async function usage(
  pid: number,
): Promise<{ cpu: number; peakMiB: number }> {
  // Deno reads /proc only with --allow-all; cat needs just --allow-run.
  const stat = (await run("cat", [`/proc/${pid}/stat`])).stdout;
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime
  const status = (await run("cat", [`/proc/${pid}/status`])).stdout;
  const hwm = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
  return { cpu: ticks / CLOCK_TICKS, peakMiB: hwm / 1024 };
}

const median = (values: number[]) =>
  values.toSorted((a, b) => a - b)[Math.floor(values.length / 2)];

/**
 * The memory floor: the median, over `runs` runs, of bench/floor.ts's peak
 * RSS in MiB once it has loaded the addon and opened a context (and, with
 * `nodeUtil`, loaded node:util, as any option makes our scripts do).
 */
export async function measureFloor(
  runs: number,
  nodeUtil = false,
): Promise<number> {
  const peaks: number[] = [];
  for (let i = 0; i < runs; i++) {
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-q",
        `--allow-ffi=${ROOT}node_modules`,
        `${ROOT}bench/floor.ts`,
        ...(nodeUtil ? ["node:util"] : []),
      ],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const reader = child.stdout.getReader();
    const first = await reader.read();
    const said = new TextDecoder().decode(first.value ?? new Uint8Array());
    if (said.startsWith("ready")) {
      peaks.push((await usage(child.pid)).peakMiB);
    }
    await child.stdin.close();
    reader.releaseLock();
    const out = await child.output();
    if (!said.startsWith("ready") || out.code !== 0) {
      throw new Error(
        `bench/floor.ts failed: ${new TextDecoder().decode(out.stderr)}`,
      );
    }
  }
  return median(peaks);
}

/** Wall milliseconds of one run of a command that must succeed. */
async function timedRun(
  command: string,
  args: string[],
  env?: Record<string, string>,
): Promise<number> {
  const began = performance.now();
  const out = await run(command, args, { env });
  if (out.code !== 0) throw new Error(`${command} failed: ${out.stderr}`);
  return performance.now() - began;
}

/**
 * The book's plain call, `./log_cmd_basic.ts arg1 arg2 arg3`, the book's
 * Python sender with the same words and Deno's hello-world, in turn run by
 * run (`runs` after 2 warm-ups), to a logger on the default port: medians,
 * in ms. The plain call has no port to give, so it needs the default port
 * free; when it is not, the two senders are not measured and `busy` says so.
 */
export async function plainShots(runs: number): Promise<PlainShots> {
  const hello = () =>
    timedRun(Deno.execPath(), ["run", "-q", `${ROOT}bench/hello.ts`]);
  if (!canListen(BOOK_PORT)) {
    const times = [];
    for (let i = 0; i < runs + 2; i++) times.push(await hello());
    return { hello: median(times.slice(2)), busy: BOOK_PORT };
  }
  using dir = tempDir();
  const sink = await startLogger(dir.path, BOOK_PORT);
  try {
    const times = { deno: [] as number[], python: [] as number[], hello: [] };
    for (let i = 0; i < runs + 2; i++) {
      const deno = await timedRun(SENDER, PLAIN_WORDS);
      const python = await timedRun(
        PYTHON,
        [`${PEERS}book_sender.py`, ...PLAIN_WORDS],
        { PORT: String(BOOK_PORT) },
      );
      const floor = await hello();
      if (i < 2) continue; // two warm-up runs
      times.deno.push(deno);
      times.python.push(python);
      (times.hello as number[]).push(floor);
    }
    return {
      deno: median(times.deno),
      python: median(times.python),
      hello: median(times.hello),
    };
  } finally {
    await sink.stop("SIGKILL");
  }
}

/** The fleet's shape: how many senders, at what rate each, for how long. */
export interface FleetShape {
  senders: number;
  rate: number;
  seconds: number;
  messageSize: number;
}

/**
 * The fleet case against one logger, started by `start` in a fresh
 * directory: bench/c/fleet.c's senders for the whole of their time, then
 * until their lines are in the file (or FLEET_DRAIN_MS passed); the fleet
 * on CPU `cpu` alone (`taskset`) when given. The logger's CPU seconds from
 * the fleet's start to its last line, its peak RSS, and the messages
 * missing from the file.
 */
export async function fleetRound(
  start: (dir: string, port: number) => Promise<Background>,
  port: number,
  shape: FleetShape,
  bin: string,
  cpu?: number,
): Promise<FleetRun> {
  using dir = tempDir();
  const logger = await start(dir.path, port);
  try {
    const before = await usage(logger.pid);
    const fleet = [
      `${bin}/fleet`,
      String(port),
      String(shape.senders),
      String(shape.rate),
      String(shape.seconds),
      String(shape.messageSize),
    ];
    const out = cpu === undefined
      ? await run(fleet[0], fleet.slice(1))
      : await run("taskset", ["-c", String(cpu), ...fleet]);
    if (out.code !== 0) throw new Error(`fleet failed: ${out.stderr}`);
    const sent = Number(out.stdout.trim());
    const lineBytes = shape.messageSize + 1;
    const size = await sizeWhenWritten(
      `${dir.path}/log.txt`,
      sent * lineBytes,
      logger,
    );
    const after = await usage(logger.pid);
    return {
      sent,
      lost: sent - Math.floor(size / lineBytes),
      cpuSeconds: after.cpu - before.cpu,
      peakMiB: after.peakMiB,
    };
  } finally {
    await logger.stop("SIGKILL");
  }
}

/**
 * The file's size once it holds `bytes`, or its size after FLEET_DRAIN_MS
 * without growing to that (lines lost); throws when the logger ended.
 */
async function sizeWhenWritten(
  path: string,
  bytes: number,
  logger: Background,
): Promise<number> {
  const deadline = Date.now() + FLEET_DRAIN_MS;
  const sizeNow = () => {
    try {
      return Deno.statSync(path).size;
    } catch {
      return 0;
    }
  };
  let ended = false;
  logger.exited.then(() => ended = true);
  while (sizeNow() < bytes && Date.now() < deadline) {
    if (ended) {
      throw new Error(
        `the logger ended under the fleet: ${logger.stderrSoFar}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 20)); // a poll's pause
  }
  return sizeNow();
}

/**
 * The fleet case against our logger and the C logger, `rounds` times each
 * in turn (the order rotating), each logger on one CPU and the fleet on
 * another where it can; says each as it goes.
 */
export async function fleetCase(
  shape: FleetShape,
  rounds: number,
  bin: string,
  bookCall: boolean,
  say: (text: string) => void,
): Promise<FleetResults> {
  const pinned = await fleetCpus();
  const runs: FleetResults["runs"] = { deno: [], bare: [], c: [] };
  const names = ["deno", "bare", "c"] as const;
  for (let round = 1; round <= rounds; round++) {
    // Rotate which goes first, so none always gets the cooler machine.
    const shift = (round - 1) % names.length;
    const order = [...names.slice(shift), ...names.slice(0, shift)];
    for (const name of order) {
      say(
        `fleet ${round}/${rounds}: ${shape.senders} senders × ${shape.rate} msg/s × ${shape.seconds} s into ${name}`,
      );
      const port = portFor(name, bookCall);
      const run = await fleetRound(
        (dir) =>
          name === "bare"
            ? startBare(dir, port, pinned?.logger)
            : startNamed(name, bin, dir, port, pinned?.logger),
        port,
        shape,
        bin,
        pinned?.fleet,
      );
      runs[name].push(run);
      say(
        `fleet ${round}/${rounds} ${name}: ${run.lost} lost of ${run.sent}, ${
          run.cpuSeconds.toFixed(2)
        } CPU s, ${run.peakMiB.toFixed(0)} MiB`,
      );
    }
  }
  return { shape, runs, pinned };
}

/**
 * The CPUs for the fleet case: the logger on CPU 0, the fleet on CPU 1;
 * undefined where the machine has one CPU or no `taskset` (util-linux).
 * Left to the scheduler, the same logger's CPU time varied up to 2× from
 * run to run on 2 cores, with where its two threads and the fleet's landed.
 */
async function fleetCpus(): Promise<
  { logger: number; fleet: number } | undefined
> {
  if (navigator.hardwareConcurrency < 2) return undefined;
  const found = await run("sh", ["-c", "command -v taskset"]);
  return found.code === 0 ? { logger: 0, fleet: 1 } : undefined;
}
