#!/usr/bin/env -S deno run -q --no-prompt -P=log_cmd_basic
/**
 * Basic utility to send logs to the logger: chapter 2 of the book, on Deno.
 *
 * It joins its command-line arguments with single spaces into one message
 * and PUSHes it to logging_basic.ts. If the logger is not up yet, it waits
 * for it (saying so on stderr), delivers, and exits 0.
 *
 * Usage:
 *
 * ```sh
 * ./log_cmd_basic.ts arg1 arg2 arg3        # logs "arg1 arg2 arg3"
 * ./log_cmd_basic.ts --host raspberrypi.local Hello from the Pi
 * ./log_cmd_basic.ts --timeout 5 -- -42 is a message too
 * ./log_cmd_basic.ts --help
 * ```
 *
 * Options come first; the first word that is not an option (or everything
 * after `--`) starts the message.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { Push } from "zeromq";

/** The port to send to. It MUST match the port in logging_basic.ts. */
export const PORT = 5555;

/** Where the logger runs: a name (resolved by the system) or an IP address. */
export const HOST = "localhost";

/** How long the logger may be missing before we say that we are waiting. */
const WAIT_NOTICE_MS = 500;

/** Longest sleep between two looks at whether the logger is there. */
const CONNECT_POLL_MAX_MS = 50;

const PROGRAM = "log_cmd_basic";

/** What the sender was asked to do on its command line. */
export interface SenderOptions {
  /** Host name or IP address of the logger. */
  host: string;
  /** TCP port of the logger. */
  port: number;
  /** Give up after this many seconds without a logger; `undefined` waits forever. */
  timeout?: number;
  /** The message: the arguments joined by single spaces. */
  message: string;
}

/** A command-line mistake: shown to the user as one line, exit status 2. */
export class UsageError extends Error {}

/** Options that take a value: each name they go by, and their long name. */
const VALUE_OPTIONS: Record<string, string> = {
  "--host": "--host",
  "-H": "--host",
  "--port": "--port",
  "-p": "--port",
  "--timeout": "--timeout",
  "-t": "--timeout",
};

/**
 * Splits a command line into its options and its message words. Options come
 * first: the first word that does not start with `-`, or everything after
 * `--`, is the message, so a message may hold words such as `-3`. An option's
 * value is joined to it (`--port=6000`), so a value may start with `-` too.
 *
 * @example
 * ```ts
 * splitOptions(["-p", "6000", "disk", "at", "-3"]);
 * // { options: ["--port=6000"], words: ["disk", "at", "-3"] }
 * ```
 */
export function splitOptions(
  args: string[],
): { options: string[]; words: string[] } {
  const options: string[] = [];
  let i = 0;
  for (; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") return { options, words: args.slice(i + 1) };
    if (!arg.startsWith("-") || arg === "-") break;
    const long = Object.hasOwn(VALUE_OPTIONS, arg) ? VALUE_OPTIONS[arg] : "";
    if (long && i + 1 < args.length) {
      options.push(`${long}=${args[++i]}`);
    } else {
      options.push(arg);
    }
  }
  return { options, words: args.slice(i) };
}

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
 * parsePort("5555", "send"); // 5555
 * parsePort("0", "send"); // throws UsageError
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
 * Parses the sender's command line.
 *
 * @returns the options, or `undefined` when `--help` was asked for.
 * @example
 * ```ts
 * parseSenderArgs(["--host", "pi", "hello", "world"]);
 * // { host: "pi", port: 5555, timeout: undefined, message: "hello world" }
 * ```
 */
export function parseSenderArgs(args: string[]): SenderOptions | undefined {
  const { options, words } = splitOptions(args);
  let values;
  try {
    ({ values } = parseArgs({
      args: options,
      options: {
        host: { type: "string", short: "H", default: HOST },
        port: { type: "string", short: "p", default: String(PORT) },
        timeout: { type: "string", short: "t" },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (err) {
    throw new UsageError(
      `${
        parseArgsProblem(err)
      } (try --help; put -- before a message that starts with '-')`,
    );
  }
  if (values.help) return undefined;
  const port = parsePort(values.port, "send");
  const host = values.host;
  // Letters, digits and . - _ for names; : and % for IPv6, optionally in [ ].
  if (!/^(\[[\w.:%-]+\]|[\w.:%-]+)$/.test(host)) {
    throw new UsageError(
      `Cannot send as '--host' must be a host name or IP address: current value is ${
        JSON.stringify(host)
      }`,
    );
  }
  let timeout: number | undefined;
  if (values.timeout !== undefined) {
    timeout = /^\d+(\.\d+)?$/.test(values.timeout)
      ? Number(values.timeout)
      : NaN;
    if (!(timeout > 0)) {
      throw new UsageError(
        `Cannot send as '--timeout' must be a number of seconds above 0: current value is ${
          JSON.stringify(values.timeout)
        }`,
      );
    }
  }
  return { host, port, timeout, message: words.join(" ") };
}

/**
 * The ZeroMQ endpoint to connect to for a host and port.
 *
 * @example
 * ```ts
 * connectEndpoint("localhost", 5555); // "tcp://localhost:5555"
 * connectEndpoint("fe80::1", 5555); // "tcp://[fe80::1]:5555"
 * ```
 */
export function connectEndpoint(host: string, port: number): string {
  const name = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  return `tcp://${name}:${port}`;
}

function printUsage(): void {
  console.log(`Basic utility to send logs to the logger: joins its arguments
into one message and sends it to logging_basic.ts.

Usage: ./log_cmd_basic.ts [options] [--] word...

Options:
  -H, --host HOST     logger's host name or IP address (default ${HOST})
  -p, --port PORT     logger's TCP port (default ${PORT})
  -t, --timeout SECS  give up if the logger is not there within SECS seconds
                      (default: wait for it as long as it takes)
  -h, --help          print this help and exit

Options come first; the first word that is not an option starts the message.
Put -- before a message whose first word starts with '-'.

Example: ./log_cmd_basic.ts arg1 arg2 arg3   logs the line "arg1 arg2 arg3"`);
}

/**
 * Waits until the PUSH socket has a connection to the logger.
 *
 * The socket is created with `immediate: true`, so it is `writable` only once
 * a logger has accepted the connection. We look at that flag on a short timer
 * rather than awaiting zeromq.js's own poll, which Deno issue 36317 can stall
 * (see PLATFORM.md).
 *
 * @returns `true` when connected, `false` when `timeoutMs` ran out first.
 */
async function waitForLogger(
  socket: Push,
  timeoutMs: number,
  onSlow: () => void,
): Promise<boolean> {
  const start = Date.now();
  let wait = 1;
  let told = false;
  while (!socket.writable) {
    const waited = Date.now() - start;
    if (waited >= timeoutMs) return false;
    if (!told && waited >= WAIT_NOTICE_MS) {
      onSlow();
      told = true;
    }
    await new Promise((resolve) => setTimeout(resolve, wait));
    wait = Math.min(wait * 2, CONNECT_POLL_MAX_MS);
  }
  return true;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Runs the sender; resolves to the process exit status. */
export async function main(args: string[]): Promise<number> {
  let options;
  try {
    options = parseSenderArgs(args);
  } catch (err) {
    console.error(`${PROGRAM}: ${describe(err)}`);
    return 2;
  }
  if (options === undefined) {
    printUsage();
    return 0;
  }

  const where = `${options.host}:${options.port}`;
  const timeoutMs = options.timeout === undefined
    ? Infinity
    : options.timeout * 1000;
  // immediate: queue nothing until a logger is really there (see waitForLogger).
  // linger -1: once handed over, the message is delivered before the process ends.
  const socket = new Push({
    immediate: true,
    linger: -1,
    sendTimeout: 0,
    ipv6: options.host.includes(":"),
  });
  try {
    socket.connect(connectEndpoint(options.host, options.port));
  } catch (err) {
    socket.close();
    console.error(`${PROGRAM}: Cannot connect to ${where}: ${describe(err)}`);
    return 1;
  }

  const connected = await waitForLogger(socket, timeoutMs, () => {
    const limit = options.timeout === undefined
      ? "Ctrl-C to give up"
      : `giving up after ${options.timeout} s`;
    console.error(`${PROGRAM}: waiting for the logger at ${where} (${limit})`);
  });
  if (!connected) {
    socket.linger = 0;
    socket.close();
    console.error(
      `${PROGRAM}: no logger at ${where} after ${options.timeout} s; message not sent`,
    );
    return 1;
  }

  try {
    await socket.send(options.message);
  } catch (err) {
    socket.linger = 0;
    socket.close();
    console.error(`${PROGRAM}: Cannot send to ${where}: ${describe(err)}`);
    return 1;
  }
  socket.close();
  return 0;
}

if (import.meta.main) {
  const status = await main(Deno.args);
  if (status !== 0) Deno.exit(status);
}
