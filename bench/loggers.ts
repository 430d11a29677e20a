/**
 * Starting the loggers `deno task bench` compares, each in a directory of
 * its own on a port of its own: ours, the C logger, the book's Python
 * logger, and bench/bare_logger.ts (the C logger's loop in Deno on our
 * binding); each on one CPU alone (`taskset`) when asked. Ours runs as the
 * book runs it, with no option, on the book's port while that is free.
 *
 * @example
 * ```ts
 * import { portFor, startNamed } from "./loggers.ts";
 * const port = portFor("deno", true); // 5555, the book's, while free
 * const logger = await startNamed("deno", bin, dir, port, 0); // on CPU 0
 * await logger.stop("SIGKILL");
 * ```
 *
 * @module
 */

import type { LoggerName } from "./report.ts";
import { canListen } from "../tests/ports.ts";
import {
  Background,
  freePort,
  LOGGER,
  ROOT,
  startBookLogger,
  waitForPort,
} from "../tests/helpers.ts";

/** The port the scripts use when none is given, as the book's plain call does. */
export const BOOK_PORT = 5555;

export /**
 * Where to start `name`: with `bookCall`, our logger on the book's port
 * while that is free, so that it starts as the book starts it, with no
 * option (an option loads node:util: bench/floor.ts measures what that
 * costs); every other logger on a free port of its own.
 */
function portFor(name: LoggerName | "bare", bookCall: boolean): number {
  return name === "deno" && bookCall && canListen(BOOK_PORT)
    ? BOOK_PORT
    : freePort();
}

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
    ? [LOGGER, ...(port === BOOK_PORT ? [] : ["--port", String(port)])]
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
