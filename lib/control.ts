/**
 * The control socket: how `--set-level` and `--status` talk to a running
 * logger. Both ends of its small protocol live here: the logger's
 * {@link ControlServer} and the asking side, {@link askLogger}.
 *
 * It is a Unix socket next to the log file (`./log.txt.ctl` for
 * `./log.txt`), so only users who may use that directory on this machine can
 * reach it, and no one over the network. A request is one frame of text,
 * `level NAME` or `status`; the answer is one frame of text.
 *
 * @example
 * ```ts
 * import { askLogger } from "./lib/control.ts";
 * await askLogger("./log.txt", "status"); // "level debug; 3 messages logged to ./log.txt"
 * ```
 *
 * @module
 */

import { describe } from "./cli.ts";
import { type Level, LEVELS } from "./wire.ts";
import { Context, poll, type Socket, unlinkFile, ZMQ } from "./zmq.ts";

/** The control socket of log file `f` is `f` + this. */
export const CONTROL_SUFFIX = ".ctl";

/** The longest path a Unix socket may have: sun_path holds 108 bytes with its NUL. */
export const MAX_SOCKET_PATH = 107;

/** How long the asking side waits for the logger to answer. */
const CONTROL_TIMEOUT_MS = 1000;

/** Requests are short; anything longer is cut. */
const MAX_REQUEST = 256;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Where the control socket of log file `file` is: its path, and its ipc://
 * endpoint, or why it can have none (`unusable`): a path longer than
 * {@link MAX_SOCKET_PATH} bytes. A path that starts with `@` or `*` gets
 * `./` in front: libzmq takes `@` for Linux's abstract namespace (no file,
 * so no file permissions: any local user could connect) and `*` for a
 * socket of its own choosing elsewhere.
 *
 * @example
 * ```ts
 * controlSocket("./log.txt"); // { path: "./log.txt.ctl", endpoint: "ipc://./log.txt.ctl" }
 * controlSocket("@log"); // { path: "./@log.ctl", endpoint: "ipc://./@log.ctl" }
 * ```
 */
export function controlSocket(
  file: string,
): { path: string; endpoint: string; unusable?: string } {
  const path = `${/^[@*]/.test(file) ? "./" : ""}${file}${CONTROL_SUFFIX}`;
  const bytes = encoder.encode(path).length;
  const unusable = bytes > MAX_SOCKET_PATH
    ? `its path is ${bytes} bytes long, and a Unix socket's may have ${MAX_SOCKET_PATH} at most (give --file a shorter path, a relative one say)`
    : undefined;
  return { path, endpoint: `ipc://${path}`, unusable };
}

/** What the logger does for each request: each returns the answer. */
export interface ControlHandlers {
  setLevel(level: Level): string;
  status(): string;
}

/** The logger's end: a REP socket at the control path. */
export class ControlServer implements Disposable {
  readonly #path: string;

  private constructor(readonly socket: Socket, path: string) {
    this.#path = path;
  }

  /**
   * Binds the control socket of `file`. Without it the logger still logs:
   * it says why on stderr, in one line, and returns undefined.
   */
  static open(
    context: Context,
    file: string,
    program: string,
  ): ControlServer | undefined {
    const { path, endpoint, unusable } = controlSocket(file);
    const what = `Cannot offer --set-level and --status at ${path}`;
    if (unusable !== undefined) {
      console.error(`${program}: ${what}: ${unusable}; logging without them`);
      return undefined;
    }
    const socket = context.socket(ZMQ.REP, { [ZMQ.LINGER]: 0 });
    try {
      socket.bind(endpoint, what);
      return new ControlServer(socket, path);
    } catch (err) {
      socket.close();
      console.error(`${program}: ${describe(err)}; logging without them`);
      return undefined;
    }
  }

  /** Answers the waiting request, if there is one. */
  answer(handlers: ControlHandlers): void {
    const request = new Uint8Array(MAX_REQUEST);
    const size = this.socket.receive(request);
    if (size === -1) return; // nothing after all
    const words = decoder.decode(
      request.subarray(0, Math.min(size, MAX_REQUEST)),
    ).split(" ");
    let reply: string;
    if (
      words[0] === "level" && (LEVELS as readonly string[]).includes(words[1])
    ) {
      reply = handlers.setLevel(words[1] as Level);
    } else if (words[0] === "status") {
      reply = handlers.status();
    } else {
      reply = `unknown request ${JSON.stringify(words.join(" "))}`;
    }
    this.socket.send(encoder.encode(reply));
  }

  /** Closes the socket and removes its file, which libzmq leaves behind. */
  [Symbol.dispose](): void {
    this.socket.close();
    unlinkFile(this.#path);
  }
}

/**
 * Whether another logger already logs to `file`: its control socket answers.
 * Binding there would quietly take the socket over (libzmq removes the path
 * first), leaving two loggers on one file and --status talking to the wrong
 * one. Where nothing listens, the connection fails at once and the socket
 * monitor says so, so a logger starting alone does not wait. Where there can
 * be no socket (the path is too long), there is no other logger either.
 */
export async function anotherLoggerAt(
  context: Context,
  file: string,
): Promise<boolean> {
  const { path, endpoint, unusable } = controlSocket(file);
  if (unusable !== undefined) return false;
  using probe = context.socket(ZMQ.REQ, {
    [ZMQ.LINGER]: 0,
    [ZMQ.IMMEDIATE]: 1, // writable only once a logger is really there
  });
  using monitor = context.socket(ZMQ.PAIR, { [ZMQ.LINGER]: 0 });
  const events = "inproc://logging_basic-probe";
  const what = "Cannot look for another logger";
  probe.monitor(events, ZMQ.EVENT_CONNECT_RETRIED, what);
  monitor.connect(events, what);
  probe.connect(endpoint, `${what} at ${path}`);
  const [ready] = await poll(
    [probe, monitor],
    [ZMQ.POLLOUT, ZMQ.POLLIN],
    CONTROL_TIMEOUT_MS,
  );
  return (ready & ZMQ.POLLOUT) !== 0;
}

/**
 * Sends `request` (`level NAME` or `status`) to the logger of log file
 * `file` and resolves to its answer; rejects with one line when no logger
 * answers.
 *
 * @example
 * ```ts
 * await askLogger("./log.txt", "level warn"); // "level changed from debug to warn"
 * ```
 */
export async function askLogger(
  file: string,
  request: string,
): Promise<string> {
  const { path: where, endpoint, unusable } = controlSocket(file);
  if (unusable !== undefined) {
    throw new Error(
      `No logger can answer for ${file} at ${where}: ${unusable}`,
    );
  }
  await using context = new Context();
  // immediate: not writable until a logger is really at the other end.
  using socket = context.socket(ZMQ.REQ, {
    [ZMQ.LINGER]: 0,
    [ZMQ.IMMEDIATE]: 1,
  });
  socket.connect(endpoint, "connect");
  const [ready] = await poll([socket], ZMQ.POLLOUT, CONTROL_TIMEOUT_MS);
  if (!(ready & ZMQ.POLLOUT)) {
    throw new Error(
      `No logger is running for ${file}: nothing answers at ${where}`,
    );
  }
  socket.send(encoder.encode(request), ZMQ.DONTWAIT, "send");
  const [answered] = await poll([socket], ZMQ.POLLIN, CONTROL_TIMEOUT_MS);
  if (!(answered & ZMQ.POLLIN)) {
    throw new Error(`The logger for ${file} did not answer at ${where}`);
  }
  const reply = new Uint8Array(4096);
  const size = socket.receive(reply);
  return decoder.decode(reply.subarray(0, Math.min(Math.max(size, 0), 4096)));
}
