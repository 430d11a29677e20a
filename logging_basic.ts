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
 * the filters (see lib/log/pattern.ts). To log somewhere else, grant that one file
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
 * receive and write until stopped. What supports them lives in `lib/`, a
 * folder for each part (README.md, Layout): `lib/zmq/` (libzmq),
 * `lib/log/` (the file, its lines, the message formats), `lib/logger/` (the
 * loop and the control socket), `lib/cli/` (the command line), and, loaded
 * only for their modes, `lib/read/` (--show, --stats), `lib/forward/`
 * (--forward to syslog) and `lib/curve/` (CurveZMQ).
 *
 * @module
 */

import { fail } from "./lib/cli/args.ts";
import {
  bindEndpoint,
  type LoggerDefaults,
  type LoggerOptions,
  parseLoggerArgs,
} from "./lib/cli/logger_options.ts";
import type { SenderGate } from "./lib/curve/zap.ts";
import {
  forwardPermissionProblem,
  STATE_SUFFIX as FORWARD_PLACE_SUFFIX,
} from "./lib/forward/target.ts";
import { LogFile } from "./lib/log/log_file.ts";
import { AcceptWatch } from "./lib/logger/accepts.ts";
import {
  anotherLoggerAt,
  askLogger,
  ControlServer,
  controlSocket,
} from "./lib/logger/control.ts";
import { Logger } from "./lib/logger/loop.ts";
import { pullOptions } from "./lib/logger/pull_socket.ts";
import { sealPath, sealPermissionProblem } from "./lib/seal/seal_options.ts";
import { Context, type Socket, ZMQ, ZmqError } from "./lib/zmq/sockets.ts";

/** The log file, relative to the directory the logger is started in. */
export const LOG_FILENAME = "./log.txt";

/** The port to listen on. It MUST match the port in log_cmd_basic.ts. */
export const PORT = 5555;

/** Where to listen: `*` is every interface, as in the book. */
export const BIND_ADDRESS = "*";

/** Largest message accepted; a sender of a larger one is disconnected. */
export const MAX_MESSAGE_SIZE = 65536;

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
    const options = await parseLoggerArgs(args, DEFAULTS);
    if (options === undefined) {
      const { loggerUsage } = await import("./lib/cli/logger_usage.ts");
      console.log(loggerUsage(DEFAULTS));
      return 0;
    }
    // Each mode's modules are loaded only when it runs.
    switch (options.mode) {
      case "serve":
        return await serve(options);
      case "show": {
        const { showLog } = await import("./lib/read/show.ts");
        await showLog(options);
        return 0;
      }
      case "stats": {
        const { printStats } = await import("./lib/read/stats_report.ts");
        await printStats({ ...options, ...options.stats! });
        return 0;
      }
      case "control":
        console.log(
          `${PROGRAM}: ${await askLogger(options.file, options.request!)}`,
        );
        return 0;
      case "keygen": {
        const { printNewKeys } = await import("./lib/curve/keys.ts");
        printNewKeys(PROGRAM);
        return 0;
      }
      case "seal-init": {
        canSeal(options);
        const { initSeal } = await import("./lib/seal/seal_init.ts");
        initSeal(options.file, PROGRAM);
        return 0;
      }
      case "verify": {
        canSeal(options);
        const { verifyLogs } = await import("./lib/seal/verify.ts");
        return await verifyLogs(
          options.seal!.verify!,
          options.seal!.verifyKey!,
          (text) => console.error(`${PROGRAM}: ${text}`),
        );
      }
    }
  } catch (err) {
    return fail(PROGRAM, err);
  }
}

/** Listens and logs until Ctrl-C or SIGTERM; resolves to the exit status. */
async function serve(options: LoggerOptions): Promise<number> {
  // What can be refused is refused before anything is opened.
  const curve = await readCurveKeys(options);
  if (options.seal?.seal) canSeal(options);
  if (options.forward) canForward(options);

  using file = new LogFile(options.file, PROGRAM);
  await using context = new Context();
  // CurveZMQ's key checks must be in place before the socket takes senders.
  using gate = curve?.gate(context);
  using socket = context.socket(
    ZMQ.PULL,
    pullOptions(options, curve?.secretKey),
  );
  using accepts = new AcceptWatch(context, socket, PROGRAM);
  await refuseSecondLogger(socket, options);
  using control = ControlServer.open(context, options.file, PROGRAM);
  // --seal: each batch written is sealed before the next is taken (once no
  // other logger has the file: two would fork the chain).
  using sealer = options.seal?.seal
    ? await startSealer(file, options.forward !== undefined)
    : undefined;
  // Lines go on to syslog from the file, behind the logger.
  await using forwarder = options.forward && await startForwarder(options);
  // ... and so do the seals, from the seal file: the server then shows
  // where the log ended, whatever is done to it here.
  await using _sealForwarder = sealer && options.forward &&
    await startForwarder(options, sealPath(options.file));
  // Bound last: once senders can connect they may take every descriptor
  // there is, and a socket or file opened after that could not be.
  bind(socket, options);

  // The book's loop: receive, write, until stopped.
  using logger = new Logger({
    socket,
    file,
    options,
    program: PROGRAM,
    control,
    gate,
    accepts,
    forwarder,
  });
  do {
    logger.receive(); // what ZeroMQ has queued, as lines
    await logger.write(); // ... into the file, before waiting again
  } while (await logger.waitForMore());
  await sealer?.stop();
  return logger.finish();
}

/**
 * `--curve-key` and `--curve-allow`, read (CurveZMQ's modules are loaded
 * only then): the logger's secret key, and the gate that checks each
 * sender's key against the allow-list, if there is one.
 */
async function readCurveKeys(options: LoggerOptions): Promise<
  {
    secretKey?: string;
    gate: (context: Context) => SenderGate | undefined;
  } | undefined
> {
  if (options.curveKey === undefined) return undefined;
  const { readAllowList, readKeyFile } = await import("./lib/curve/keys.ts");
  const { SenderGate } = await import("./lib/curve/zap.ts");
  const keys = readKeyFile(options.curveKey, "--curve-key", true, PROGRAM);
  const allowList = options.curveAllow;
  const allowed = allowList === undefined
    ? undefined
    : readAllowList(allowList);
  return {
    secretKey: keys.secretKey,
    gate: (context) => allowed && new SenderGate(context, allowList!, allowed),
  };
}

/** Refuses, before anything is opened, a `--forward` that Deno may not carry out. */
function canForward(options: LoggerOptions): void {
  const problem = forwardPermissionProblem(options.file, options.forward!);
  if (problem !== undefined) throw new Error(problem);
}

/**
 * Refuses, before anything is opened, a `--seal`, `--seal-init` or
 * `--verify` that Deno may not carry out.
 */
function canSeal(options: LoggerOptions): void {
  const forward = options.forward && {
    net: `${
      options.forward.host.includes(":")
        ? `[${options.forward.host}]`
        : options.forward.host
    }:${options.forward.port}`,
    places: [options.file, sealPath(options.file)].map((path) =>
      `${path}${FORWARD_PLACE_SUFFIX}`
    ),
  };
  const problem = sealPermissionProblem(options.file, options.seal!, forward);
  if (problem !== undefined) throw new Error(problem);
}

/**
 * Starts `--seal` (its modules are loaded only then) and hooks it to the
 * file; `forward`: the seal file is made at once, for --forward to read.
 */
async function startSealer(file: LogFile, forward: boolean) {
  const { Sealer } = await import("./lib/seal/sealer.ts");
  const sealer = await Sealer.start({ file: file.path, program: PROGRAM });
  if (forward) sealer.makeFile();
  file.onWritten = (bytes, written, stopping) =>
    sealer.sealWritten(bytes, written, stopping);
  return sealer;
}

/** Starts `--forward` of the log, or of `file` beside it (its modules are loaded only then). */
async function startForwarder(options: LoggerOptions, file = options.file) {
  const { Forwarder } = await import("./lib/forward/forward.ts");
  return Forwarder.start({
    file,
    target: options.forward!,
    facility: options.facility,
    maxMessageSize: options.maxMessageSize,
    program: PROGRAM,
  });
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
      : err.errno === ZMQ.ENODEV
      ? `${options.bind} is neither an address of this machine nor the name of one of its interfaces (--bind takes those, or * for all)`
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

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
