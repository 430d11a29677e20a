#!/usr/bin/env -S deno run -q --no-prompt -P=logging_basic --allow-write=./log.txt
/**
 * A very basic logger: chapter 2 of the book, on Deno.
 *
 * It binds a ZeroMQ PULL socket and appends every message it receives, as
 * one line, to a log file. Received logs are not parsed or modified in any
 * way: they are written to the file as they came, each followed by a newline,
 * and each line is in the file before the logger waits for the next message.
 *
 * Usage:
 *
 * ```sh
 * ./logging_basic.ts                       # tcp://*:5555 -> ./log.txt
 * ./logging_basic.ts --port 6000           # another port
 * ./logging_basic.ts --bind 127.0.0.1      # only this machine may log
 * ./logging_basic.ts --help
 * ```
 *
 * The shebang lets Deno write `./log.txt` and nothing else. To log somewhere
 * else, grant that one file when you start it:
 *
 * ```sh
 * deno run -q --no-prompt -P=logging_basic --allow-write=/var/log/zmq.log \
 *   logging_basic.ts --file /var/log/zmq.log
 * ```
 *
 * Stop it with Ctrl-C (or SIGTERM): what it has received is written, the
 * file closed, and it exits 0.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { Pull } from "zeromq";

/** The log file, relative to the directory the logger is started in. */
export const LOG_FILENAME = "./log.txt";

/** The port to listen on. It MUST match the port in log_cmd_basic.ts. */
export const PORT = 5555;

/** Where to listen: `*` is every interface, as in the book. */
export const BIND_ADDRESS = "*";

/** Shortest and longest sleep while no message waits (see {@link waitForMessages}). */
const IDLE_WAIT_MIN_MS = 1;
const IDLE_WAIT_MAX_MS = 10;

/** Most messages taken in one go before they are written to the file. */
const MAX_BATCH = 4096;

const PROGRAM = "logging_basic";

/** What the logger was asked to do on its command line. */
export interface LoggerOptions {
  /** TCP port to bind. */
  port: number;
  /** Interface address to bind, `*` for all. */
  bind: string;
  /** Path of the log file. */
  file: string;
}

/** A command-line mistake: shown to the user as one line, exit status 2. */
export class UsageError extends Error {}

/**
 * Turns an error from `parseArgs` into one line for the user.
 *
 * @example
 * ```ts
 * parseArgsProblem(new Error("Unknown option '--x'. To specify ..."));
 * // "Unknown option '--x'. To specify ..."
 * ```
 */
export function parseArgsProblem(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  // Node's message for "--port -1" spans three lines; say it in one.
  const ambiguous = /^Option '(?:-\w, )?(--[\w-]+)[^']*' argument is ambiguous/
    .exec(text);
  if (ambiguous) {
    const flag = ambiguous[1];
    return `Option '${flag}' needs a value (write ${flag}=VALUE for one that starts with '-')`;
  }
  return text.split("\n")[0];
}

/**
 * Reads a TCP port number from a command-line value.
 *
 * @example
 * ```ts
 * parsePort("5555", "listen"); // 5555
 * parsePort("70000", "listen"); // throws UsageError
 * ```
 */
export function parsePort(text: string, action: string): number {
  const port = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(port >= 1 && port <= 65535)) {
    throw new UsageError(
      `Cannot ${action} as '--port' must be 1-65535: current value is ${
        JSON.stringify(text)
      }`,
    );
  }
  return port;
}

/**
 * Parses the logger's command line.
 *
 * @returns the options, or `undefined` when `--help` was asked for.
 * @example
 * ```ts
 * parseLoggerArgs(["--port", "6000"]);
 * // { port: 6000, bind: "*", file: "./log.txt" }
 * ```
 */
export function parseLoggerArgs(args: string[]): LoggerOptions | undefined {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        port: { type: "string", short: "p", default: String(PORT) },
        bind: { type: "string", short: "b", default: BIND_ADDRESS },
        file: { type: "string", short: "f", default: LOG_FILENAME },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (err) {
    throw new UsageError(`${parseArgsProblem(err)} (try --help)`);
  }
  if (values.help) return undefined;
  const port = parsePort(values.port, "listen");
  if (values.bind === "" || /[\s/]/.test(values.bind)) {
    throw new UsageError(
      `Cannot listen as '--bind' must be an address or interface: current value is ${
        JSON.stringify(values.bind)
      }`,
    );
  }
  if (values.file === "") {
    throw new UsageError(
      "Cannot log as '--file' must name a file: current value is \"\"",
    );
  }
  return { port, bind: values.bind, file: values.file };
}

/**
 * The ZeroMQ endpoint to bind for an address and port.
 *
 * @example
 * ```ts
 * bindEndpoint("*", 5555); // "tcp://*:5555"
 * bindEndpoint("::1", 5555); // "tcp://[::1]:5555"
 * ```
 */
export function bindEndpoint(bind: string, port: number): string {
  const host = bind.includes(":") && !bind.startsWith("[") ? `[${bind}]` : bind;
  return `tcp://${host}:${port}`;
}

function printUsage(): void {
  console.log(`A very basic logger: appends every ZeroMQ message it receives,
as one line, to a log file.

Usage: ./logging_basic.ts [options]

Options:
  -p, --port PORT   TCP port to listen on (default ${PORT})
  -b, --bind ADDR   address to listen on; * is every interface (default ${BIND_ADDRESS})
  -f, --file PATH   log file, appended to, never truncated (default ${LOG_FILENAME})
  -h, --help        print this help and exit

Send it logs with ./log_cmd_basic.ts, or any ZeroMQ PUSH socket.
Stop it with Ctrl-C.

The shebang allows writing ${LOG_FILENAME} only. For another file, grant it:
  deno run -q --no-prompt -P=logging_basic --allow-write=PATH logging_basic.ts --file PATH`);
}

/** Opens the log file for appending, or explains in one line why it cannot. */
function openLogFile(path: string): Deno.FsFile {
  try {
    return Deno.openSync(path, { append: true, create: true });
  } catch (err) {
    if (err instanceof Deno.errors.NotCapable) {
      throw new Error(
        `Cannot open log file '${path}': Deno was not given write permission for it ` +
          `(the shebang allows ${LOG_FILENAME} only); start the logger as ` +
          `'deno run -q --no-prompt -P=logging_basic --allow-write=${path} logging_basic.ts --file ${path}'`,
      );
    }
    throw new Error(`Cannot open log file '${path}': ${describe(err)}`);
  }
}

/** Binds the PULL socket, or explains in one line why it cannot. */
function bindSocket(options: LoggerOptions): Pull {
  const endpoint = bindEndpoint(options.bind, options.port);
  // linger 0: nothing is ever queued for sending on a PULL socket, so exit at once.
  // receiveTimeout 0: see receiveWaiting() below.
  const socket = new Pull({
    linger: 0,
    receiveTimeout: 0,
    ipv6: options.bind.includes(":"),
  });
  try {
    // bindSync: the socket is bound, or the error known, before we go on.
    socket.bindSync(endpoint);
  } catch (err) {
    socket.close();
    const code = (err as { code?: string }).code;
    const why = code === "EADDRINUSE"
      ? `port ${options.port} is already in use (is another logger running?)`
      : describe(err);
    throw new Error(`Cannot listen on ${endpoint}: ${why}`);
  }
  return socket;
}

/**
 * Takes the messages already waiting on the socket, without ever waiting.
 *
 * Workaround for Deno issue 36317 (see PLATFORM.md): Deno stops zeromq.js's
 * `uv_poll` watcher after its first callback, so an awaited `receive()` that
 * has to wait for data can stall forever. We only call `receive()` when
 * `readable` says a message is queued (and `receiveTimeout: 0` makes it fail
 * with EAGAIN rather than wait); the caller sleeps on a timer instead.
 */
async function receiveWaiting(socket: Pull, into: Uint8Array[]): Promise<void> {
  while (into.length < MAX_BATCH && socket.readable) {
    let frames;
    try {
      frames = await socket.receive();
    } catch (err) {
      if ((err as { code?: string }).code === "EAGAIN") return;
      throw err;
    }
    // Each frame is one line, as the book's recv() loop reads them.
    for (const frame of frames) into.push(frame);
  }
}

/**
 * Sleeps until a message may be waiting or `isStopping()` turns true.
 *
 * The other half of the Deno issue 36317 workaround: a short timer, doubling
 * from 1 ms to 10 ms while idle, instead of zeromq.js's stalled poll. Idle
 * cost is about a hundred cheap wake-ups a second.
 */
async function waitForMessages(
  socket: Pull,
  isStopping: () => boolean,
): Promise<void> {
  let wait = IDLE_WAIT_MIN_MS;
  while (!socket.readable && !isStopping()) {
    await new Promise((resolve) => setTimeout(resolve, wait));
    wait = Math.min(wait * 2, IDLE_WAIT_MAX_MS);
  }
}

/**
 * Joins messages into the bytes of their log lines: each message as it came,
 * followed by a newline.
 *
 * @example
 * ```ts
 * const enc = new TextEncoder();
 * new TextDecoder().decode(toLines([enc.encode("a b"), enc.encode("c")]));
 * // "a b\nc\n"
 * ```
 */
export function toLines(messages: Uint8Array[]): Uint8Array {
  let size = 0;
  for (const m of messages) size += m.length + 1;
  const out = new Uint8Array(size);
  let at = 0;
  for (const m of messages) {
    out.set(m, at);
    at += m.length;
    out[at++] = 0x0a;
  }
  return out;
}

/** Writes all of `bytes`; the file is opened for appending, so lines stay whole. */
function writeAll(file: Deno.FsFile, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) done += file.writeSync(bytes.subarray(done));
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Runs the logger; resolves to the process exit status. */
export async function main(args: string[]): Promise<number> {
  let options;
  try {
    options = parseLoggerArgs(args);
  } catch (err) {
    console.error(`${PROGRAM}: ${describe(err)}`);
    return 2;
  }
  if (options === undefined) {
    printUsage();
    return 0;
  }

  let file: Deno.FsFile;
  let socket: Pull;
  try {
    file = openLogFile(options.file);
    try {
      socket = bindSocket(options);
    } catch (err) {
      file.close();
      throw err;
    }
  } catch (err) {
    console.error(`${PROGRAM}: ${describe(err)}`);
    return 1;
  }

  // Ctrl-C and SIGTERM end the loop below; it writes what it has, then exits.
  let stopping = false;
  const stop = () => stopping = true;
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);

  let received = 0;
  const batch: Uint8Array[] = [];
  try {
    while (true) {
      await receiveWaiting(socket, batch);
      if (batch.length > 0) {
        // The book's write() and flush(): the lines reach the file before we wait again.
        writeAll(file, toLines(batch));
        received += batch.length;
        batch.length = 0;
        continue;
      }
      if (stopping) break;
      await waitForMessages(socket, () => stopping);
    }
  } catch (err) {
    console.error(
      `${PROGRAM}: Cannot write to '${options.file}': ${describe(err)}`,
    );
    return 1;
  } finally {
    Deno.removeSignalListener("SIGINT", stop);
    Deno.removeSignalListener("SIGTERM", stop);
    socket.close();
    file.close();
  }
  console.error(
    `${PROGRAM}: stopped; ${received} ${
      received === 1 ? "message" : "messages"
    } logged to ${options.file}`,
  );
  return 0;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
