/**
 * How a sender's connection comes up, and if not why: the PUSH socket's
 * options (CurveZMQ client, ZeroMQ 3 or later only), and a
 * {@link ConnectionWatch} on libzmq's socket monitor that tells a refused or
 * missing CurveZMQ key, a host name that does not resolve, and something
 * that is not a ZeroMQ logger apart from a logger that is not there yet.
 *
 * @example
 * ```ts
 * import { ConnectionWatch, pushOptions } from "./handshake.ts";
 * const socket = context.socket(ZMQ.PUSH, pushOptions());
 * using watch = new ConnectionWatch(context, socket, { host: "localhost", port: 5555 });
 * watch.problem(); // undefined, or why the logger will not take this sender
 * ```
 *
 * @module
 */

import {
  type Context,
  type Socket,
  type SocketOptions,
  ZMQ,
} from "../zmq/sockets.ts";
import { connectEndpoint, hostPort } from "./endpoint.ts";
import { greetingAt, shownBytes } from "./greeting.ts";

/** How long the logger may be missing before a sender says it is waiting. */
export const WAIT_NOTICE_MS = 500;

/**
 * How long a peer may take the connection without greeting before a sender
 * doubts it is a ZeroMQ logger: one greets within a round trip.
 */
const SILENT_MS = 250;

/** How long a look at what answers waits for its greeting. */
const GREETING_WAIT_MS = 1000;

const PROGRAM = "log_cmd_basic";

/** A sender's CurveZMQ keys: the logger's public key and its own pair. */
export interface SenderCurve {
  serverKey: string;
  publicKey: string;
  secretKey: string;
}

/**
 * Socket options of a sender's PUSH socket: a CurveZMQ client with `curve`,
 * and a ZAP domain, which makes libzmq hang up on a peer that does not
 * greet as ZeroMQ 3 or later does. Without one, libzmq would take any bytes
 * (an SSH server's banner, say) for ZeroMQ 2's greeting-less protocol and
 * send the messages there. No ZAP handler is needed on this side.
 *
 * @example
 * ```ts
 * context.socket(ZMQ.PUSH, { [ZMQ.LINGER]: 0, ...pushOptions(curve) });
 * ```
 */
export function pushOptions(curve?: SenderCurve): SocketOptions {
  const options: SocketOptions = { [ZMQ.ZAP_DOMAIN]: "zmqlog-sender" };
  if (curve === undefined) return options;
  return {
    ...options,
    [ZMQ.CURVE_SERVERKEY]: curve.serverKey,
    [ZMQ.CURVE_PUBLICKEY]: curve.publicKey,
    [ZMQ.CURVE_SECRETKEY]: curve.secretKey,
  };
}

/** The events a {@link ConnectionWatch} hears. */
const WATCHED = ZMQ.EVENT_CONNECT_DELAYED | ZMQ.EVENT_CONNECTED |
  ZMQ.EVENT_CONNECT_RETRIED | ZMQ.EVENT_DISCONNECTED |
  ZMQ.EVENT_HANDSHAKE_SUCCEEDED | ZMQ.EVENT_HANDSHAKE_FAILED_NO_DETAIL |
  ZMQ.EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ.EVENT_HANDSHAKE_FAILED_AUTH;

let monitors = 0;

/**
 * What libzmq's socket monitor says of a sender's connection to the logger:
 * whether a handshake succeeded, why the logger will not take this sender
 * ({@link problem}), and why none has taken it yet ({@link waitingReason}).
 * When a handshake fails without a reason, it greets the address itself
 * (lib/sender/greeting.ts) to learn what answers there.
 */
export class ConnectionWatch implements Disposable {
  /** The monitor's socket, to poll: it is readable when there is news. */
  readonly monitor: Socket;
  readonly #context: Context;
  readonly #host: string;
  readonly #where: string;
  readonly #endpoint: string;
  readonly #curve?: SenderCurve;
  /** A connection was begun since the last retry. */
  #begun = false;
  /** The last try ended before a connection began: the name did not resolve. */
  #unresolved = false;
  /** Since when a connection is up and its handshake has not ended. */
  #greetingSince?: number;
  /** A look found a peer that took the connection and said nothing. */
  #silent = false;
  #succeeded = false;

  constructor(
    context: Context,
    socket: Socket,
    logger: { host: string; port: number },
    curve?: SenderCurve,
  ) {
    this.#context = context;
    this.#host = logger.host;
    this.#where = hostPort(logger.host, logger.port);
    this.#endpoint = connectEndpoint(logger.host, logger.port);
    this.#curve = curve;
    const endpoint = `inproc://${PROGRAM}-handshakes-${monitors++}`;
    const what = "Cannot watch the handshake with the logger";
    socket.monitor(endpoint, WATCHED, what);
    this.monitor = context.socket(ZMQ.PAIR, { [ZMQ.LINGER]: 0 });
    this.monitor.connect(endpoint, what);
  }

  /** Whether a handshake with the logger has succeeded. */
  get succeeded(): boolean {
    return this.#succeeded;
  }

  /**
   * Reads what the monitor heard. Returns why the logger will not take this
   * sender (its key refused or missing, or what answers is not a ZeroMQ
   * logger), or undefined.
   */
  problem(): string | undefined {
    let problem: string | undefined;
    for (let frames; (frames = this.monitor.receiveFrames()) !== undefined;) {
      // Event frame: the event (16 bits) and a value (32 bits), little-endian.
      const event = new DataView(frames[0].buffer).getUint16(0, true);
      const handshaking = this.#greetingSince !== undefined;
      if (
        event === ZMQ.EVENT_CONNECT_DELAYED || event === ZMQ.EVENT_CONNECTED
      ) {
        this.#begun = true;
        this.#unresolved = false;
        if (event === ZMQ.EVENT_CONNECTED) this.#greetingSince = Date.now();
      } else if (event === ZMQ.EVENT_CONNECT_RETRIED) {
        this.#unresolved = !this.#begun;
        this.#begun = false;
      } else if (event === ZMQ.EVENT_HANDSHAKE_SUCCEEDED) {
        this.#succeeded = true;
        this.#silent = false;
        this.#greetingSince = undefined;
      } else if (event === ZMQ.EVENT_HANDSHAKE_FAILED_AUTH && this.#curve) {
        this.#greetingSince = undefined;
        problem =
          `the logger at ${this.#where} refused this sender: its CurveZMQ public key ${this.#curve.publicKey} is not on the logger's --curve-allow list`;
      } else if (event !== ZMQ.EVENT_DISCONNECTED || handshaking) {
        // A failed handshake, or a peer that hung up on the greeting.
        this.#greetingSince = undefined;
        problem ??= this.#whatFailed();
      }
    }
    return problem;
  }

  /**
   * Why no logger has taken the connection yet, as far as the monitor
   * heard (read it with {@link problem} first): the host name does not
   * resolve, or what answers took the connection but has not greeted as
   * ZeroMQ does. `final` words it for giving up.
   */
  waitingReason(final = false): string | undefined {
    if (this.#unresolved && !/^[\d.]+$|:/.test(this.#host)) {
      return `the host name ${this.#host} does not resolve${
        final ? "" : " (yet)"
      }`;
    }
    const since = this.#greetingSince;
    if (
      this.#silent ||
      (since !== undefined && Date.now() - since >= SILENT_MS)
    ) {
      return final
        ? `what answers there took the connection but never greeted as ZeroMQ does, so it is not a ZeroMQ logger (or one that cannot take more connections)`
        : `what answers there took the connection but has not greeted as ZeroMQ does (is it a ZeroMQ logger?)`;
    }
    return undefined;
  }

  /**
   * Why a handshake failed, from what answers at the address: a logger
   * that asks for another mechanism, or no ZeroMQ peer at all. Undefined
   * when a look cannot tell (libzmq tries again meanwhile).
   */
  #whatFailed(): string | undefined {
    const greeting = greetingAt(
      this.#context,
      this.#endpoint,
      GREETING_WAIT_MS,
    );
    const notZeroMQ = `what answers at ${this.#where} is not a ZeroMQ logger`;
    switch (greeting.kind) {
      case "zeromq":
        if (this.#curve) {
          return `the CurveZMQ handshake with the logger at ${this.#where} failed: is --curve-server-key the logger's public key, and does the logger run with --curve-key?`;
        }
        return greeting.mechanism === "NULL"
          ? undefined // it takes this sender: a logger starting or stopping
          : `the handshake with the logger at ${this.#where} failed: if it runs with --curve-key, give its public key with --curve-server-key`;
      case "other":
        return `${notZeroMQ}: it answered ${shownBytes(greeting.bytes)}`;
      case "closed":
        return `${notZeroMQ}: it closed the connection without ZeroMQ's greeting`;
      case "silent":
        this.#silent = true;
        return undefined;
      case "unreachable":
        return undefined;
    }
  }

  [Symbol.dispose](): void {
    this.monitor.close();
  }
}
