/**
 * How a sender's connection comes up: the socket options that make it a
 * CurveZMQ client, and whether the handshake worked, and if not why:
 * libzmq's socket monitor tells a refused or missing CurveZMQ key apart from
 * a logger that is not there yet.
 *
 * @example
 * ```ts
 * import { handshakeProblem, watchHandshakes } from "./handshake.ts";
 * using monitor = watchHandshakes(context, socket);
 * handshakeProblem(monitor, "localhost:5555"); // undefined, or why it failed
 * ```
 *
 * @module
 */

import { type Context, type Socket, ZMQ } from "../zmq/sockets.ts";

/** How long the logger may be missing before a sender says it is waiting. */
export const WAIT_NOTICE_MS = 500;

const PROGRAM = "log_cmd_basic";

/** A sender's CurveZMQ keys: the logger's public key and its own pair. */
export interface SenderCurve {
  serverKey: string;
  publicKey: string;
  secretKey: string;
}

/** Socket options that make a PUSH socket a CurveZMQ client. */
export function curveClientOptions(
  curve?: SenderCurve,
): Record<number, string> {
  if (curve === undefined) return {};
  return {
    [ZMQ.CURVE_SERVERKEY]: curve.serverKey,
    [ZMQ.CURVE_PUBLICKEY]: curve.publicKey,
    [ZMQ.CURVE_SECRETKEY]: curve.secretKey,
  };
}

let monitors = 0;

/**
 * A socket that hears how `socket`'s handshakes end (libzmq's socket
 * monitor): a refused or missing CurveZMQ key would otherwise look like a
 * missing logger.
 */
export function watchHandshakes(context: Context, socket: Socket): Socket {
  const endpoint = `inproc://${PROGRAM}-handshakes-${monitors++}`;
  const events = ZMQ.EVENT_HANDSHAKE_SUCCEEDED |
    ZMQ.EVENT_HANDSHAKE_FAILED_NO_DETAIL |
    ZMQ.EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ.EVENT_HANDSHAKE_FAILED_AUTH;
  const what = "Cannot watch the handshake with the logger";
  socket.monitor(endpoint, events, what);
  const monitor = context.socket(ZMQ.PAIR, { [ZMQ.LINGER]: 0 });
  monitor.connect(endpoint, what);
  return monitor;
}

/**
 * Why the handshake with the logger failed, if `monitor` heard that it did;
 * `onSucceeded` is called when it heard of one that succeeded.
 */
export function handshakeProblem(
  monitor: Socket,
  where: string,
  curve?: SenderCurve,
  onSucceeded?: () => void,
): string | undefined {
  let problem: string | undefined;
  for (let frames; (frames = monitor.receiveFrames()) !== undefined;) {
    // Event frame: the event (16 bits) and a value (32 bits), little-endian.
    const event = new DataView(frames[0].buffer).getUint16(0, true);
    if (event === ZMQ.EVENT_HANDSHAKE_SUCCEEDED) {
      onSucceeded?.();
    } else if (event === ZMQ.EVENT_HANDSHAKE_FAILED_AUTH && curve) {
      problem =
        `the logger at ${where} refused this sender: its CurveZMQ public key ${curve.publicKey} is not on the logger's --curve-allow list`;
    } else if (curve) {
      problem ??=
        `the CurveZMQ handshake with the logger at ${where} failed: is --curve-server-key the logger's public key, and does the logger run with --curve-key?`;
    } else {
      problem ??=
        `the handshake with the logger at ${where} failed: if it runs with --curve-key, give its public key with --curve-server-key`;
    }
  }
  return problem;
}
