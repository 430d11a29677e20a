/**
 * Out of file descriptors: when every descriptor the logger may open is in
 * use, libzmq cannot accept a new sender's connection. It tries again and
 * again (a core spent) and says nothing; new senders are locked out. This
 * watches the PULL socket's failed accepts and says so on stderr, with the
 * limit and the fix, at most once a minute.
 *
 * @example
 * ```ts
 * import { AcceptWatch } from "./accepts.ts";
 * using accepts = new AcceptWatch(context, socket, "logging_basic");
 * accepts.check(); // between batches
 * ```
 *
 * @module
 */

import { plural } from "../base/words.ts";
import {
  type Context,
  openFileLimit,
  type Socket,
  ZMQ,
} from "../zmq/sockets.ts";

/** A failure to accept is said at most once in this time. */
const REPORT_EVERY_MS = 60_000;

/** Most monitor events read in one check: a busy loop makes many. */
const MAX_EVENTS = 1000;

/** The PULL socket's failed accepts, read from libzmq's socket monitor. */
export class AcceptWatch implements Disposable {
  readonly #monitor: Socket;
  #reported = -Infinity;
  #failures = 0;

  constructor(context: Context, socket: Socket, readonly program: string) {
    const endpoint = `inproc://${program}-accepts`;
    const what = "Cannot watch for failed accepts";
    socket.monitor(endpoint, ZMQ.EVENT_ACCEPT_FAILED, what);
    this.#monitor = context.socket(ZMQ.PAIR, { [ZMQ.LINGER]: 0 });
    this.#monitor.connect(endpoint, what);
  }

  /**
   * The monitor socket, to wait on with the others: libzmq blocks its I/O
   * thread (every connection's traffic) while the monitor's queue is full,
   * so its events must be read as they come.
   */
  get socket(): Socket {
    return this.#monitor;
  }

  /** Reads the failed accepts so far; says so if it is time to. */
  check(): void {
    let outOfFiles = false;
    for (let i = 0; i < MAX_EVENTS; i++) {
      const frames = this.#monitor.receiveFrames();
      if (frames === undefined) break;
      // Event frame: the event (16 bits) and a value (32 bits), little-endian.
      const view = new DataView(frames[0].buffer);
      const errno = view.getUint32(2, true);
      this.#failures++;
      if (errno === ZMQ.EMFILE || errno === ZMQ.ENFILE) outOfFiles = true;
    }
    const now = Date.now();
    if (!outOfFiles || now - this.#reported < REPORT_EVERY_MS) return;
    this.#reported = now;
    const limit = openFileLimit();
    console.error(
      `${this.program}: Cannot accept new senders: out of file descriptors (${
        plural(this.#failures, "failed accept")
      } so far; this process may open ${
        limit ?? "?"
      } files): raise the limit (LimitNOFILE= in its systemd unit, ulimit -n in a shell), or fewer senders stay connected; said again at most once a minute`,
    );
  }

  [Symbol.dispose](): void {
    this.#monitor.close();
  }
}
