/**
 * Starting the loggers `deno task bench` compares, each in a directory of
 * its own on a port of its own: ours, the C logger, the book's Python
 * logger, and bench/bare_logger.ts (the C logger's loop in Deno on our
 * binding); each on one CPU alone (`taskset`) when asked.
 *
 * @example
 * ```ts
 * import { startNamed } from "./loggers.ts";
 * const logger = await startNamed("c", bin, dir, port, 0); // on CPU 0
 * await logger.stop("SIGKILL");
 * ```
 *
 * @module
 */

import type { LoggerName } from "./report.ts";
import {
  Background,
  LOGGER,
  ROOT,
  startBookLogger,
  waitForPort,
} from "../tests/helpers.ts";

export /**
 * Starts one of the loggers in `dir`, listening on `port`; on CPU `cpu`
 * alone (`taskset`, which execs it: the pid is the logger's) when given.
 */
function startNamed(
  name: LoggerName,
  bin: string,
  dir: string,
  port: number,
  cpu?: number,
): Promise<Background> {
  if (name === "python") return startBookLogger(dir, port);
  const [command, ...args] = name === "deno"
    ? [LOGGER, "--port", String(port)]
    : [`${bin}/reference_logger`, String(port), `${dir}/log.txt`];
  return (async () => {
    const logger = cpu === undefined
      ? new Background(command, args, { cwd: dir })
      : new Background("taskset", ["-c", String(cpu), command, ...args], {
        cwd: dir,
      });
    await waitForPort(port);
    return logger;
  })();
}

export /**
 * Starts bench/bare_logger.ts (the C logger's loop in Deno, on our libzmq
 * binding alone) in `dir` on `port`, on CPU `cpu` when given.
 */
async function startBare(
  dir: string,
  port: number,
  cpu?: number,
): Promise<Background> {
  const deno = [
    Deno.execPath(),
    "run",
    "-q",
    `--allow-ffi=${ROOT}node_modules`,
    "--allow-write=log.txt",
    `${ROOT}bench/bare_logger.ts`,
    String(port),
  ];
  const [command, ...args] = cpu === undefined
    ? deno
    : ["taskset", "-c", String(cpu), ...deno];
  const logger = new Background(command, args, { cwd: dir });
  await waitForPort(port);
  return logger;
}
