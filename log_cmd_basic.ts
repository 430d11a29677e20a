#!/usr/bin/env -S deno run -q --no-prompt -P=log_cmd_basic --allow-read=./keys
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
 * ./log_cmd_basic.ts arg1 arg2 arg3          # logs "arg1 arg2 arg3"
 * ./log_cmd_basic.ts --host raspberrypi.local Hello from the Pi
 * ./log_cmd_basic.ts --level warn --tag backup -T disk almost full
 * some_program | ./log_cmd_basic.ts --stdin --tag some_program
 * ./log_cmd_basic.ts --timeout 5 -- -42 is a message too
 * ./log_cmd_basic.ts --curve-server-key keys/logger.pub Hello, encrypted
 * ./log_cmd_basic.ts --help
 * ```
 *
 * Options come first; the first word that is not an option (or everything
 * after `--`) starts the message.
 *
 * From a Deno program, open once and log many:
 *
 * ```ts
 * import { LogSender } from "./lib/sender/log_sender.ts";
 * const log = new LogSender({ host: "desktop.local", tag: "sensor" });
 * log.info("started");
 * log.warn("temperature 71 C");
 * await log.close(); // delivers what is queued
 * ```
 *
 * Reading this file: the book's constants, then `main` (which mode the
 * command line asks for) and `sendOnce`, where the book's steps stand in
 * order: make the context and the PUSH socket, connect, join the arguments,
 * send, close. What supports them lives in `lib/` (README.md, Layout):
 * `lib/sender/` (the message's text, the handshake, and LogSender, the
 * long-lived sender that --stdin uses), `lib/cli/` (the command line),
 * `lib/log/wire.ts` (levels and the message header) and `lib/zmq/`
 * (libzmq); CurveZMQ's keys and --stdin load only when asked for.
 *
 * @module
 */

import { fail } from "./lib/cli/args.ts";
import {
  parseSenderArgs,
  type SenderDefaults,
  type SenderOptions,
} from "./lib/cli/sender_options.ts";
import { connectEndpoint, hostPort } from "./lib/sender/endpoint.ts";
import {
  ConnectionWatch,
  pushOptions,
  type SenderCurve,
  WAIT_NOTICE_MS,
} from "./lib/sender/handshake.ts";
import { wireText } from "./lib/sender/message_text.ts";
import { Context, pollHere, type Socket, ZMQ } from "./lib/zmq/sockets.ts";

/** The port to send to. It MUST match the port in logging_basic.ts. */
export const PORT = 5555;

/** Where the logger runs: a name (resolved by the system) or an IP address. */
export const HOST = "localhost";

/** Largest message the logger takes by default (its --max-message-size). */
export const MAX_MESSAGE_SIZE = 65536;

const PROGRAM = "log_cmd_basic";

const DEFAULTS: SenderDefaults = {
  host: HOST,
  port: PORT,
  maxMessageSize: MAX_MESSAGE_SIZE,
};

/** Runs the sender; resolves to the process exit status. */
export async function main(args: string[]): Promise<number> {
  try {
    const options = await parseSenderArgs(args, DEFAULTS);
    if (options === undefined) {
      const { senderUsage } = await import("./lib/cli/sender_usage.ts");
      console.log(senderUsage(DEFAULTS));
      return 0;
    }
    // What only some runs need is loaded only for them.
    if (options.keygen) {
      const { printNewKeys } = await import("./lib/curve/keys.ts");
      printNewKeys(PROGRAM);
      return 0;
    }
    const curve = options.curveServerKey === undefined
      ? undefined
      : (await import("./lib/sender/curve_client.ts")).senderCurve(options);
    if (options.stdin) {
      const { sendLines } = await import("./lib/sender/send_lines.ts");
      await sendLines(options, curve, MAX_MESSAGE_SIZE);
    } else {
      await sendOnce(options, curve);
    }
    return 0;
  } catch (err) {
    return fail(PROGRAM, err);
  }
}

/**
 * Sends the one message of the command line, and returns once it is
 * delivered; rejects with one line when it cannot be.
 */
async function sendOnce(
  options: SenderOptions,
  curve?: SenderCurve,
): Promise<void> {
  const where = hostPort(options.host, options.port);
  const timeoutMs = options.timeout === undefined
    ? Infinity
    : options.timeout * 1000;
  const started = Date.now();
  await using context = new Context();
  // immediate: queue nothing until a logger is really there (see waitForLogger).
  using socket = context.socket(ZMQ.PUSH, {
    [ZMQ.IMMEDIATE]: 1,
    [ZMQ.LINGER]: 0,
    [ZMQ.IPV6]: options.host.includes(":") ? 1 : 0,
    ...pushOptions(curve),
  });
  // A failed handshake (a refused or missing key, something that is not a
  // logger) is not a missing logger.
  using watch = new ConnectionWatch(context, socket, options, curve);
  socket.connect(
    connectEndpoint(options.host, options.port),
    `Cannot connect to ${where}`,
  );
  const message = new TextEncoder().encode(wireText(options, options.message));
  const limit = options.timeout === undefined
    ? "Ctrl-C to give up"
    : `giving up after ${options.timeout} s`;
  // Said once, and again when the reason why is learned later.
  let told: string | undefined;
  const onSlow = (reason = "") => {
    if (told === reason || (told !== undefined && reason === "")) return;
    told = reason;
    const why = reason === "" ? "" : `: ${reason}`;
    console.error(
      `${PROGRAM}: waiting for the logger at ${where}${why} (${limit})`,
    );
  };
  // Send once a logger is there; should it go again in between, wait again.
  do {
    const waited = Date.now() - started;
    if (!waitForLogger(socket, timeoutMs - waited, watch, onSlow)) {
      const reason = watch.waitingReason(true);
      throw new Error(
        `no logger at ${where} after ${options.timeout} s${
          reason === undefined ? "" : `: ${reason}`
        }; message not sent`,
      );
    }
  } while (!socket.send(message, ZMQ.DONTWAIT, `Cannot send to ${where}`));
  // Deliver before we end: the rest of --timeout, or as long as it takes.
  const left = timeoutMs - (Date.now() - started);
  socket.set(
    ZMQ.LINGER,
    Number.isFinite(left) ? Math.max(100, Math.round(left)) : -1,
  );
}

/**
 * Waits until the PUSH socket has a connection to the logger. The socket has
 * `immediate` set, so it can send only once a logger accepted the connection.
 * A failed handshake that the watch hears of throws, saying why; after
 * WAIT_NOTICE_MS, `onSlow` is called with why no logger took it yet, as far
 * as the watch knows, each time that is looked at.
 *
 * @returns `true` when connected, `false` when `timeoutMs` ran out first.
 */
function waitForLogger(
  socket: Socket,
  timeoutMs: number,
  watch: ConnectionWatch,
  onSlow: (reason?: string) => void,
): boolean {
  const start = Date.now();
  const sockets = [socket, watch.monitor];
  while (true) {
    const waited = Date.now() - start;
    if (waited >= timeoutMs) return false;
    // Here, not on a worker thread: this process has nothing else to do
    // meanwhile, and the hand-over back from a worker costs start-up time.
    // A slice at a time, to say why it waits once that is known.
    const [events, heard] = pollHere(
      sockets,
      [ZMQ.POLLOUT, ZMQ.POLLIN],
      Math.min(timeoutMs - waited, WAIT_NOTICE_MS),
    );
    if (events & ZMQ.POLLOUT) return true;
    if (heard) {
      const problem = watch.problem();
      if (problem !== undefined) throw new Error(problem);
    }
    if (Date.now() - start >= WAIT_NOTICE_MS) onSlow(watch.waitingReason());
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
