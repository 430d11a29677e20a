/**
 * The control socket: how `--set-level`, `--status` and `--reopen` talk to a
 * running logger. Both ends of its small protocol live here: the logger's
 * {@link ControlServer} and the asking side, {@link askLogger}.
 *
 * It is a Unix socket next to the log file (`./log.txt.ctl` for
 * `./log.txt`), so no one over the network can reach it, and it is its
 * user's own: made with mode 0600 whatever the umask, and the asking side
 * talks only to a socket its own user answers on (libzmq gives the peer's
 * credentials to a ZAP handler), so another user's socket at the path is
 * never taken for a logger. A request is one frame of text, `level NAME`,
 * `status` or `reopen`; the answer is one frame of text.
 *
 * @example
 * ```ts
 * import { askLogger } from "./control.ts";
 * await askLogger("./log.txt", "status"); // "level debug; 3 messages logged to ./log.txt"
 * ```
 *
 * @module
 */

import { type Level, LEVELS } from "../log/wire.ts";
import {
  Context,
  poll,
  type Socket,
  type SocketOptions,
  ZMQ,
  ZmqError,
} from "../zmq/sockets.ts";

/** The control socket of log file `f` is `f` + this. */
export const CONTROL_SUFFIX = ".ctl";

/** The longest path a Unix socket may have: sun_path holds 108 bytes with its NUL. */
export const MAX_SOCKET_PATH = 107;

/** How long the asking side waits for the logger to answer. */
const CONTROL_TIMEOUT_MS = 1000;

/** Requests are short; anything longer is cut. */
const MAX_REQUEST = 256;

/** The umask while the control socket is made: read and write for its user only. */
const CONTROL_UMASK = 0o177;

/** Where libzmq asks a context's ZAP handler (ZeroMQ RFC 27) about a peer. */
const ZAP_ENDPOINT = "inproc://zeromq.zap.01";

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

/**
 * Who answers at a control socket's path: a ZeroMQ socket of this user
 * (`"own"`), another user's (their user id, `-1` if unknown), something that
 * is not ZeroMQ (`"foreign"`), or nothing (`"nobody"`).
 */
type Answerer = "own" | "foreign" | "nobody" | number;

/** What the logger does for each request: each returns the answer. */
export interface ControlHandlers {
  setLevel(level: Level): string;
  status(): string;
  /** Opens the log's path again (after logrotate), as SIGHUP does. */
  reopen(): string;
}

/** The logger's end: a REP socket at the control path. */
export class ControlServer implements Disposable {
  readonly #path: string;

  private constructor(readonly socket: Socket, path: string) {
    this.#path = path;
  }

  /**
   * Binds the control socket of `file`. Where its path is too long for a
   * Unix socket the logger still logs: it says why on stderr, in one line,
   * and this returns undefined. A socket that cannot be made (something this
   * user may not remove is at the path) throws one line: the logger does not
   * start, rather than run without --status, --set-level and --reopen.
   */
  static open(
    context: Context,
    file: string,
    program: string,
  ): ControlServer | undefined {
    const { path, endpoint, unusable } = controlSocket(file);
    if (unusable !== undefined) {
      console.error(
        `${program}: Cannot offer --set-level and --status at ${path}: ${unusable}; logging without them`,
      );
      return undefined;
    }
    const socket = context.socket(ZMQ.REP, { [ZMQ.LINGER]: 0 });
    // libzmq makes the socket file with the process's umask (Deno.umask
    // needs --allow-sys=umask, which the logger's permission set grants).
    const umask = Deno.umask(CONTROL_UMASK);
    try {
      // libzmq first removes what is at the path (a socket left behind),
      // where this user may.
      socket.bind(endpoint);
      return new ControlServer(socket, path);
    } catch (err) {
      socket.close();
      if (!(err instanceof ZmqError)) throw err;
      throw new Error(
        `${cannotServe(file)}: its control socket cannot be made at ${path}: ${
          err.errno === ZMQ.EADDRINUSE
            ? "something nothing answers on is there, and this user may not remove it (another user's, in a directory with the sticky bit such as /tmp?): remove it, or give --file another path"
            : `${err.reason}: give --file a path in a directory this user may write to`
        }`,
      );
    } finally {
      Deno.umask(umask);
    }
  }

  /** Answers the waiting request, if there is one. */
  answer(handlers: ControlHandlers): void {
    // Every frame is taken, or the REP socket could not answer (and the
    // logger would stop on its error): a request is one frame.
    const frames = this.socket.receiveFrames(MAX_REQUEST, 2);
    if (frames === undefined) return; // nothing after all
    const words = decoder.decode(frames[0]).split(" ");
    let reply: string;
    if (frames.length > 1) {
      reply = "unknown request: a request is one frame of text";
    } else if (
      words[0] === "level" && (LEVELS as readonly string[]).includes(words[1])
    ) {
      reply = handlers.setLevel(words[1] as Level);
    } else if (words[0] === "status") {
      reply = handlers.status();
    } else if (words[0] === "reopen") {
      reply = handlers.reopen();
    } else {
      reply = `unknown request ${JSON.stringify(words.join(" "))}`;
    }
    this.socket.send(encoder.encode(reply));
  }

  /**
   * Closes the socket and removes its file, which libzmq leaves behind. That
   * takes write permission for the path (the shebang grants ./log.txt.ctl);
   * without it the file stays, which does no harm: nothing answers there,
   * and the next logger binds over it.
   */
  [Symbol.dispose](): void {
    this.socket.close();
    try {
      Deno.removeSync(this.#path);
    } catch {
      // Already gone, or not ours to remove: see above.
    }
  }
}

/**
 * A REQ socket that talks only to a control socket its own user answers on,
 * in a context of its own. libzmq asks the context's ZAP handler about each
 * peer before the handshake ends, with the peer's credentials (SO_PEERCRED)
 * at the end of the address, `...:UID:GID:PID`; the handler lets only this
 * process's user through, so nothing is sent to anyone else.
 */
class ControlConnection implements AsyncDisposable {
  readonly #context = new Context();
  readonly #sockets: Socket[] = [];
  readonly socket: Socket;
  readonly #zap: Socket;
  readonly #monitor: Socket;

  constructor(endpoint: string, what: string) {
    const open = (type: number, options: SocketOptions) => {
      const socket = this.#context.socket(type, options);
      this.#sockets.push(socket);
      return socket;
    };
    this.#zap = open(ZMQ.REP, { [ZMQ.LINGER]: 0 });
    this.#zap.bind(ZAP_ENDPOINT, what);
    this.socket = open(ZMQ.REQ, {
      [ZMQ.LINGER]: 0,
      [ZMQ.IMMEDIATE]: 1, // writable only once the handshake is done
      [ZMQ.ZAP_DOMAIN]: "zmqlog-control",
    });
    this.#monitor = open(ZMQ.PAIR, { [ZMQ.LINGER]: 0 });
    const events = "inproc://zmqlog-control-events";
    this.socket.monitor(
      events,
      ZMQ.EVENT_CONNECTED | ZMQ.EVENT_CONNECT_RETRIED | ZMQ.EVENT_DISCONNECTED,
      what,
    );
    this.#monitor.connect(events, what);
    this.socket.connect(endpoint, what);
  }

  /**
   * Waits for the handshake and says who answers: `"own"` once a ZeroMQ
   * socket of this user does (a logger), the user id when it is another
   * user's (`-1` when libzmq cannot tell), `"foreign"` when something took
   * the connection but never spoke ZeroMQ (or hung up on it), `"nobody"`
   * when nothing listens (no file, a socket left behind, or another kind of
   * file: the connection fails at once, and the monitor says so).
   */
  async handshake(): Promise<Answerer> {
    const deadline = Date.now() + CONTROL_TIMEOUT_MS;
    const own = Deno.uid() ?? -1;
    let connected = false;
    while (Date.now() < deadline) {
      const [ready, asked, heard] = await poll(
        [this.socket, this.#zap, this.#monitor],
        [ZMQ.POLLOUT, ZMQ.POLLIN, ZMQ.POLLIN],
        deadline - Date.now(),
      );
      if (ready & ZMQ.POLLOUT) return "own";
      if (asked & ZMQ.POLLIN) {
        const user = this.#answerZap(own);
        if (user !== own) return user;
      } else if (heard & ZMQ.POLLIN) {
        const event = this.#event();
        if (event === ZMQ.EVENT_CONNECTED) connected = true;
        else if (connected) return "foreign"; // it hung up on ZeroMQ
        else if (event === ZMQ.EVENT_CONNECT_RETRIED) return "nobody";
      }
    }
    return connected ? "foreign" : "nobody";
  }

  /** The event the monitor heard (its first frame: 16 bits, little-endian). */
  #event(): number {
    const [frame] = this.#monitor.receiveFrames() ?? [];
    return frame && frame.length >= 2
      ? new DataView(frame.buffer).getUint16(0, true)
      : -1;
  }

  /** Lets the peer through if it runs as `own`; returns its user id. */
  #answerZap(own: number): number {
    // version, request id, domain, address, routing id, mechanism.
    const [version, id, , address] = this.#zap.receiveFrames() ?? [];
    const peer = /:(\d+):\d+:\d*$/.exec(decoder.decode(address));
    const user = peer ? Number(peer[1]) : -1;
    const ok = user === own;
    this.#zap.sendFrames([
      version ?? encoder.encode("1.0"),
      id ?? new Uint8Array(0),
      encoder.encode(ok ? "200" : "400"),
      encoder.encode(ok ? "OK" : "another user"),
      new Uint8Array(0),
      new Uint8Array(0),
    ]);
    return user;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    for (const socket of this.#sockets) socket.close();
    await this.#context.terminate();
  }
}

/**
 * Whether another logger already logs to `file`: a logger of this user
 * answers at its control socket. Binding there would quietly take the socket
 * over (libzmq removes the path first), leaving two loggers on one file and
 * --status talking to the wrong one. A socket left behind by a killed
 * logger does not count (the logger takes its path over); where there can
 * be no socket (the path is too long), there is no other logger either.
 * Rejects with one line when something else answers there: another user's
 * socket, or a listener that does not speak ZeroMQ. The logger does not
 * start then: it would take over someone's live socket, or run without
 * --status, --set-level and --reopen.
 *
 * @example
 * ```ts
 * await anotherLoggerAt("./log.txt"); // false: nothing answers at ./log.txt.ctl
 * ```
 */
export async function anotherLoggerAt(file: string): Promise<boolean> {
  const { path, endpoint, unusable } = controlSocket(file);
  if (unusable !== undefined) return false;
  await using connection = new ControlConnection(
    endpoint,
    `Cannot look for another logger at ${path}`,
  );
  const answerer = await connection.handshake();
  if (answerer === "own") return true;
  if (answerer === "nobody") return false;
  const what = answerer === "foreign"
    ? `something that is not a ZeroMQ socket listens at ${path}`
    : `a socket of another user (${
      answerer === -1 ? "user unknown" : `uid ${answerer}`
    }; the logger runs as uid ${Deno.uid()}) answers at ${path}`;
  throw new Error(
    `${
      cannotServe(file)
    }: ${what}, where its control socket (for --status, --set-level and --reopen) belongs: stop what listens there and remove it, or give --file another path`,
  );
}

/** The start of the line that says why the logger of `file` cannot start. */
function cannotServe(file: string): string {
  return `Cannot log to ${file}`;
}

/**
 * Sends `request` (`level NAME`, `status` or `reopen`) to the logger of log file
 * `file` and resolves to its answer; rejects with one line when no logger
 * of this user answers.
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
  await using connection = new ControlConnection(endpoint, "connect");
  const peer = await connection.handshake();
  if (peer === "nobody") {
    throw new Error(
      `No logger is running for ${file}: nothing answers at ${where}`,
    );
  }
  if (peer === "foreign") {
    throw new Error(
      `No logger is running for ${file}: what listens at ${where} does not speak ZeroMQ, so it is no logger; nothing was sent`,
    );
  }
  if (peer !== "own") {
    throw new Error(
      `Cannot ask the logger for ${file}: the socket at ${where} is another user's (${
        peer === -1 ? "user unknown" : `uid ${peer}`
      }; you are uid ${Deno.uid()}), so it is not your logger; nothing was sent`,
    );
  }
  const { socket } = connection;
  socket.send(encoder.encode(request), ZMQ.DONTWAIT, "send");
  const [answered] = await poll([socket], ZMQ.POLLIN, CONTROL_TIMEOUT_MS);
  if (!(answered & ZMQ.POLLIN)) {
    throw new Error(`The logger for ${file} did not answer at ${where}`);
  }
  const reply = new Uint8Array(4096);
  const size = socket.receive(reply);
  return decoder.decode(reply.subarray(0, Math.min(Math.max(size, 0), 4096)));
}
