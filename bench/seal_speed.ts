/**
 * What `--seal` costs: the logger's throughput with and without it, on the
 * bench's load (bench/c/load.c: MESSAGES messages of 100 bytes from 2
 * concurrent senders, from the first send until the last line is in the
 * log file), rounds taken in turn, medians; with the CPU seconds per
 * million messages (from /proc) and, for the sealed log, the time
 * `--verify` takes to check it. Prints a markdown section.
 *
 * It builds bench/c/load.c with gcc and Debian's libzmq3-dev first.
 *
 * Usage:
 *
 * ```sh
 * deno run --allow-run --allow-read --allow-write --allow-env --allow-net=127.0.0.1 \
 *   bench/seal_speed.ts [--messages 1000000] [--rounds 3]
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  Background,
  freePort,
  LOGGER,
  ROOT,
  run,
  tempDir,
  waitForPort,
  waitForSize,
} from "../tests/helpers.ts";

const MESSAGE_SIZE = 100;
const SENDERS = 2;

/** The logger's Deno flags: its shebang's, and read and write of the seal file and key. */
function loggerFlags(): string[] {
  const shebang = Deno.readTextFileSync(LOGGER).split("\n")[0];
  const seal = ",./log.txt.seal,./log.txt.seal-key";
  return shebang.split(" ").filter((word) =>
    word.startsWith("-") && word !== "-S"
  ).map((word) =>
    word.startsWith("--allow-write=") || word.startsWith("--allow-read=")
      ? word + seal
      : word
  );
}

/** Builds bench/c/load.c into a temporary directory; returns the program. */
async function buildLoad(): Promise<string> {
  const dir = Deno.makeTempDirSync({ prefix: "zmqlog-seal-speed-" });
  const out = await run("gcc", [
    "-O2",
    "-o",
    `${dir}/load`,
    `${ROOT}bench/c/load.c`,
    "-lzmq",
  ]);
  if (out.code !== 0) {
    throw new Error(
      `gcc could not build bench/c/load.c (apt-get install -y gcc libzmq3-dev): ${out.stderr}`,
    );
  }
  return `${dir}/load`;
}

/** A process's CPU seconds so far (cat reads /proc: Deno would need --allow-all). */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = (await run("cat", [`/proc/${pid}/stat`])).stdout;
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number((await run("getconf", ["CLK_TCK"])).stdout) || 100;
  return (Number(fields[11]) + Number(fields[12])) / ticks;
}

/** One round: the load against a logger, sealing or not. */
async function round(
  load: string,
  messages: number,
  seal: boolean,
): Promise<{ seconds: number; cpuPerMillion: number; verifySeconds?: number }> {
  using dir = tempDir();
  const flags = loggerFlags();
  let key = "";
  if (seal) {
    const init = await run("deno", ["run", ...flags, LOGGER, "--seal-init"], {
      cwd: dir.path,
    });
    key = init.stdout.trim();
  }
  const port = freePort();
  const logger = new Background("deno", [
    "run",
    ...flags,
    LOGGER,
    "--port",
    String(port),
    ...(seal ? ["--seal"] : []),
  ], { cwd: dir.path });
  try {
    await waitForPort(port);
    const before = await cpuSeconds(logger.pid);
    const began = performance.now();
    const each = Math.ceil(messages / SENDERS);
    const senders = Array.from(
      { length: SENDERS },
      (_, i) =>
        run(load, [String(port), `s${i}`, String(each), String(MESSAGE_SIZE)]),
    );
    const total = each * SENDERS * (MESSAGE_SIZE + 1);
    await waitForSize(`${dir.path}/log.txt`, total, 300_000, 5);
    const seconds = (performance.now() - began) / 1000;
    for (const out of await Promise.all(senders)) {
      if (out.code !== 0) throw new Error(`load failed: ${out.stderr}`);
    }
    const cpu = await cpuSeconds(logger.pid) - before;
    const stopped = await logger.stop();
    if (stopped.code !== 0) throw new Error(stopped.stderr);
    const result = { seconds, cpuPerMillion: cpu / (each * SENDERS / 1e6) };
    if (!seal) return result;
    const started = performance.now();
    const verified = await run("deno", [
      "run",
      "-q",
      "-P=logging_basic",
      `--allow-read=${dir.path}`,
      LOGGER,
      "--verify",
      "--verify-key",
      key,
    ], { cwd: dir.path });
    if (verified.code !== 0) throw new Error(verified.stdout);
    return { ...result, verifySeconds: (performance.now() - started) / 1000 };
  } finally {
    await logger.stop("SIGKILL");
  }
}

function median(values: number[]): number {
  const sorted = values.toSorted((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? sorted[middle]
    : (sorted[middle - 1] + sorted[middle]) / 2;
}

async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      messages: { type: "string", default: "1000000" },
      rounds: { type: "string", default: "3" },
    },
  });
  const messages = Number(values.messages);
  const rounds = Number(values.rounds);
  const load = await buildLoad();
  try {
    await measure(load, messages, rounds);
  } finally {
    Deno.removeSync(load.slice(0, load.lastIndexOf("/")), { recursive: true });
  }
}

/** The rounds, in turn, and the section that says what they found. */
async function measure(
  load: string,
  messages: number,
  rounds: number,
): Promise<void> {
  const plain: number[] = [];
  const sealed: number[] = [];
  const cpu = { plain: [] as number[], sealed: [] as number[] };
  const verify: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const a = await round(load, messages, false);
    plain.push(messages / a.seconds);
    cpu.plain.push(a.cpuPerMillion);
    const b = await round(load, messages, true);
    sealed.push(messages / b.seconds);
    cpu.sealed.push(b.cpuPerMillion);
    verify.push(messages / b.verifySeconds!);
    console.error(
      `round ${i + 1}: ${Math.round(messages / a.seconds)} msg/s plain, ${
        Math.round(messages / b.seconds)
      } sealed`,
    );
  }
  const k = (n: number) => `${Math.round(n / 1000)}k`;
  console.log(`## --seal: what sealing costs

\`bench/seal_speed.ts\` on ${new Date().toISOString()}: ${messages} messages of
${MESSAGE_SIZE} bytes from ${SENDERS} concurrent senders (bench/c/load.c), ${rounds}
round(s) taken in turn, medians.

| measure                  | without --seal | with --seal | ratio |
| ------------------------ | -------------- | ----------- | ----- |
| logger throughput, msg/s | ${k(median(plain))} | ${k(median(sealed))} | ${
    (median(sealed) / median(plain)).toFixed(2)
  }× |
| logger CPU s per million | ${median(cpu.plain).toFixed(2)} | ${
    median(cpu.sealed).toFixed(2)
  } | ${(median(cpu.sealed) / median(cpu.plain)).toFixed(2)}× |
| --verify, lines/s        |                | ${k(median(verify))} |       |
`);
}

if (import.meta.main) await main(Deno.args);
