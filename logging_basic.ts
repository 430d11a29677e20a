#!/usr/bin/env -S deno run -q --no-prompt -P=logging_basic --allow-write=./log.txt,./log.txt.ctl --allow-read=./log.txt,./keys --v8-flags=--enable-experimental-regexp-engine,--enable-experimental-regexp-engine-on-excessive-backtracks
/**
 * A very basic logger: chapter 2 of the book, on Deno.
 *
 * It binds a ZeroMQ PULL socket and appends every message it receives, as
 * one line, to a log file. With no options, received logs are not parsed or
 * modified in any way: they are written as they came, each followed by a
 * newline, and each line is in the file before the logger waits for more.
 *
 * Usage:
 *
 * ```sh
 * ./logging_basic.ts                        # tcp://*:5555 -> ./log.txt
 * ./logging_basic.ts --port 6000 --bind 127.0.0.1
 * ./logging_basic.ts --timestamps           # prefix the time each arrived
 * ./logging_basic.ts --level warn           # keep warn, error, critical
 * ./logging_basic.ts --exclude heartbeat --include-host '^pi'
 * ./logging_basic.ts --format json          # JSON Lines, for jq
 *
 * ./logging_basic.ts --set-level debug      # change the running logger's level
 * ./logging_basic.ts --reopen               # open ./log.txt again (logrotate)
 * ./logging_basic.ts --status               # ask it what it has logged and dropped
 * ./logging_basic.ts --show --level error --since -1h
 * ./logging_basic.ts --show --follow --include-host '^pi'   # like tail -f | grep
 * ./logging_basic.ts --stats --by host --every 1h            # counts over time
 * ./logging_basic.ts --stats --format html > report.html     # a page with charts
 * ./logging_basic.ts --help
 *
 * (umask 077; ./logging_basic.ts --keygen > keys/logger.key)   # CurveZMQ keys
 * ./logging_basic.ts --curve-key keys/logger.key --curve-allow keys/allowed.txt
 *
 * # each line on to rsyslog too (it needs the network: see the README)
 * deno run ... --allow-net=logs.lan:2514 logging_basic.ts --forward relp://logs.lan:2514
 * ```
 *
 * The shebang lets Deno write and read `./log.txt` and no other file (and read
 * CurveZMQ key files in `./keys`, and remove its control socket
 * `./log.txt.ctl` at exit), and gives V8's linear-time regexp engine to
 * the filters (see lib/pattern.ts). To log somewhere else, grant that one file
 * when you start it:
 *
 * ```sh
 * deno run -q --no-prompt -P=logging_basic \
 *   --v8-flags=--enable-experimental-regexp-engine,--enable-experimental-regexp-engine-on-excessive-backtracks \
 *   --allow-write=/var/log/zmq.log,/var/log/zmq.log.ctl \
 *   --allow-read=/var/log/zmq.log \
 *   logging_basic.ts --file /var/log/zmq.log
 * ```
 *
 * Stop it with Ctrl-C (or SIGTERM): what it has received is written (for up
 * to a second; after a flood, what is still queued then is not taken, and it
 * says so), the file closed, and it exits 0. `--status` asks a running
 * logger what it has logged and dropped.
 *
 * Reading this file: the book's constants, then `main` (which mode the
 * command line asks for) and `serve`, where the book's steps stand in order:
 * open the log file, make the context and the PULL socket, bind, then
 * receive and write until stopped. What supports them lives in `lib/`, one
 * module for each thing: `lib/zmq.ts` (libzmq), `lib/log_file.ts` (the file),
 * `lib/logger.ts` (the receive-and-write loop), `lib/logger_options.ts` (the
 * command line), `lib/show.ts` (--show), `lib/stats.ts` (--stats), `lib/forward.ts` (--forward to syslog), `lib/control.ts` (--set-level,
 * --status, --reopen), `lib/keys.ts` and `lib/zap.ts` (CurveZMQ),
 * `lib/escape.ts` and `lib/pattern.ts` (hostile text), `lib/wire.ts` (levels
 * and the message header).
 *
 * @module
 */

import { AcceptWatch } from "./lib/logger/accepts.ts";
import { fail } from "./lib/cli/args.ts";
import {
  anotherLoggerAt,
  askLogger,
  ControlServer,
  controlSocket,
} from "./lib/logger/control.ts";
import {
  type CurveKeys,
  printNewKeys,
  readAllowList,
  readKeyFile,
} from "./lib/curve/keys.ts";
import { Forwarder, forwardPermissionProblem } from "./lib/forward/forward.ts";
import { LogFile } from "./lib/log/log_file.ts";
import { Logger } from "./lib/logger/loop.ts";
import {
  bindEndpoint,
  type LoggerDefaults,
  type LoggerOptions,
  parseLoggerArgs as parseOptions,
} from "./lib/cli/logger_options.ts";
import { loggerUsage } from "./lib/cli/logger_usage.ts";
import { showLog } from "./lib/read/show.ts";
import { SenderGate, ZAP_DOMAIN } from "./lib/curve/zap.ts";
import {
  Context,
  type Socket,
  type SocketOptions,
  ZMQ,
  ZmqError,
} from "./lib/zmq/sockets.ts";

/** The log file, relative to the directory the logger is started in. */
export const LOG_FILENAME = "./log.txt";

/** The port to listen on. It MUST match the port in log_cmd_basic.ts. */
export const PORT = 5555;

/** Where to listen: `*` is every interface, as in the book. */
export const BIND_ADDRESS = "*";

/** Largest message accepted; a sender of a larger one is disconnected. */
export const MAX_MESSAGE_SIZE = 65536;

/** What libzmq may queue per sender, at most, in bytes of the largest messages. */
const QUEUE_BYTES_PER_SENDER = 64 * 1024 * 1024;

const PROGRAM = "logging_basic";

const DEFAULTS: LoggerDefaults = {
  port: PORT,
  bind: BIND_ADDRESS,
  file: LOG_FILENAME,
  maxMessageSize: MAX_MESSAGE_SIZE,
};

/** Runs the logger; resolves to the process exit status. */
export async function main(args: string[]): Promise<number> {
  try {
    const options = parseLoggerArgs(args);
    if (options === undefined) {
      console.log(loggerUsage(DEFAULTS));
      return 0;
    }
    switch (options.mode) {
      case "serve":
        return await serve(options);
      case "show":
        await showLog(options);
        return 0;
      case "stats": {
        // Loaded only here: the logger itself never needs it.
        const { printStats } = await import("./lib/read/stats_report.ts");
        await printStats({ ...options, ...options.stats! });
        return 0;
      }
      case "control":
        console.log(
          `${PROGRAM}: ${await askLogger(options.file, options.request!)}`,
        );
        return 0;
      case "keygen":
        printNewKeys(PROGRAM);
        return 0;
    }
  } catch (err) {
    return fail(PROGRAM, err);
  }
}

/** Listens and logs until Ctrl-C or SIGTERM; resolves to the exit status. */
async function serve(options: LoggerOptions): Promise<number> {
  const keys = options.curveKey === undefined
    ? undefined
    : readKeyFile(options.curveKey, "--curve-key", true, PROGRAM);
  const allowed = options.curveAllow === undefined
    ? undefined
    : readAllowList(options.curveAllow);
  if (options.forward) canForward(options);

  using file = new LogFile(options.file, PROGRAM);
  await using context = new Context();
  // CurveZMQ's key checks must be in place before the socket takes senders.
  using gate = allowed && new SenderGate(context, options.curveAllow!, allowed);
  using socket = context.socket(ZMQ.PULL, pullOptions(options, keys));
  using accepts = new AcceptWatch(context, socket, PROGRAM);
  await refuseSecondLogger(socket, options);
  using control = ControlServer.open(context, options.file, PROGRAM);
  // Lines go on to syslog from the file, behind the logger (lib/forward.ts).
  await using forwarder = options.forward && Forwarder.start({
    file: options.file,
    target: options.forward,
    facility: options.facility,
    maxMessageSize: options.maxMessageSize,
    program: PROGRAM,
  });
  // Bound last: once senders can connect they may take every descriptor
  // there is, and a socket or file opened after that could not be.
  bind(socket, options);

  const logger = new Logger({
    socket,
    file,
    options,
    program: PROGRAM,
    control,
    gate,
    accepts,
    forwarder,
  });
  return await logger.run();
}

/** Refuses, before anything is opened, a `--forward` that Deno may not carry out. */
function canForward(options: LoggerOptions): void {
  const problem = forwardPermissionProblem(options.file, options.forward!);
  if (problem !== undefined) throw new Error(problem);
}

/**
 * The PULL socket's options. With `keys` it is a CurveZMQ server: only senders
 * that know its public key get in (and, with an allow-list, libzmq asks the
 * SenderGate about each).
 */
function pullOptions(options: LoggerOptions, keys?: CurveKeys): SocketOptions {
  const socket: SocketOptions = {
    [ZMQ.LINGER]: 0, // nothing is ever queued for sending on a PULL socket
    [ZMQ.IPV6]: options.bind.includes(":") ? 1 : 0,
    [ZMQ.MAXMSGSIZE]: options.maxMessageSize,
    [ZMQ.RCVHWM]: queuedPerSender(options.maxMessageSize),
    // A ZAP domain makes libzmq refuse peers of ZeroMQ 2's protocol (ZMTP
    // 1.0), which has no greeting: any bytes sent to the port would be taken
    // as messages. Without a ZAP handler bound, everyone else still gets in.
    [ZMQ.ZAP_DOMAIN]: ZAP_DOMAIN,
  };
  if (keys?.secretKey !== undefined) {
    socket[ZMQ.CURVE_SERVER] = 1;
    socket[ZMQ.CURVE_SECRETKEY] = keys.secretKey;
  }
  return socket;
}

/**
 * How many messages libzmq may queue for each sender (ZMQ_RCVHWM): its
 * default, 1,000, unless that many of the largest size would pass
 * QUEUE_BYTES_PER_SENDER; at least 16. A sender beyond it waits (PUSH
 * blocks, nothing is lost). With `--max-message-size 16M`, 1,000 let each
 * sender queue 16 GB; 16 let it queue 256 MiB. (A count, not bytes, so it
 * slows small messages too: 300,000 lines of 100 bytes through --stdin took
 * 1.6 s at 16, 2.6 s at 8, 5.2 s at 4, 1.5 s at 1,000.)
 *
 * @example
 * ```ts
 * queuedPerSender(65536); // 1000
 * queuedPerSender(16 * 1024 * 1024); // 16
 * ```
 */
export function queuedPerSender(maxMessageSize: number): number {
  return Math.max(
    16,
    Math.min(1000, Math.floor(QUEUE_BYTES_PER_SENDER / maxMessageSize)),
  );
}

/** Binds the PULL socket, or explains in one line why it cannot. */
function bind(socket: Socket, options: LoggerOptions): void {
  const endpoint = bindEndpoint(options.bind, options.port);
  try {
    socket.bind(endpoint);
  } catch (err) {
    if (!(err instanceof ZmqError)) throw err;
    const why = err.errno === ZMQ.EADDRINUSE
      ? `port ${options.port} is already in use (is another logger running?)`
      : err.reason;
    throw new Error(`Cannot listen on ${endpoint}: ${why}`);
  }
}

/**
 * Two loggers on one file would take turns at its control socket: refuse.
 * When the other one also has the port, that is said first, as it was when
 * the socket was bound before this check.
 */
async function refuseSecondLogger(
  socket: Socket,
  options: LoggerOptions,
): Promise<void> {
  const file = options.file;
  if (await anotherLoggerAt(file)) {
    bind(socket, options); // throws when the port is in use
    throw new Error(
      `Cannot log to ${file}: another logger is logging to it already (it answers at ${
        controlSocket(file).path
      }); stop that one, or give this one another --file`,
    );
  }
}

/**
 * Parses the logger's command line, with the book's defaults.
 *
 * @returns the options, or `undefined` when `--help` was asked for.
 * @example
 * ```ts
 * parseLoggerArgs(["--port", "6000"])?.port; // 6000
 * ```
 */
export function parseLoggerArgs(
  args: string[],
  now = Date.now(),
): LoggerOptions | undefined {
  return parseOptions(args, DEFAULTS, now);
}

// What the logger exported before its parts moved to lib/, for programs that import it.
export { parseArgsProblem, parsePort, UsageError } from "./lib/cli/args.ts";
export { CONTROL_SUFFIX } from "./lib/logger/control.ts";
export {
  type CurveKeys,
  formatKeyFile,
  isKey,
  KEYS_DIR,
  parseAllowList,
  parseKeyFile,
} from "./lib/curve/keys.ts";
export { escapeControls, escapeControlText } from "./lib/log/escape.ts";
export {
  dropReason,
  type Filters,
  formatLine,
  jsonLine,
  type LogLine,
  parseLogLine,
} from "./lib/log/log_line.ts";
export {
  bindEndpoint,
  type LoggerOptions,
  parseSize,
  parseTime,
} from "./lib/cli/logger_options.ts";
export {
  formatMessage,
  type Level,
  LEVELS,
  type LogMessage,
  parseLevel,
  parseMessage,
} from "./lib/log/wire.ts";
export { RefusalLog } from "./lib/curve/zap.ts";

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
