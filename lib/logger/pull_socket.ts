/**
 * The logger's PULL socket options: the largest message, how much libzmq
 * may queue per sender, the ZAP domain that keeps out ZeroMQ 2 peers, and
 * CurveZMQ when the logger has a key pair.
 *
 * @example
 * ```ts
 * import { pullOptions } from "./pull_socket.ts";
 * using socket = context.socket(ZMQ.PULL, pullOptions({ bind: "*", maxMessageSize: 65536 }));
 * ```
 *
 * @module
 */

import { type SocketOptions, ZMQ } from "../zmq/sockets.ts";

/**
 * What libzmq may queue per sender, at most, in bytes of the largest
 * messages: a flood of them from 8 senders then holds 32 MiB in queues, half
 * of what the logger needs anyway. Fewer messages queued cost the logger CPU
 * with small ones (libzmq's threads hand work over every half queue).
 */
const QUEUE_BYTES_PER_SENDER = 4 * 1024 * 1024;

/**
 * The ZAP domain the PULL socket names (ZeroMQ RFC 27): with one, libzmq
 * refuses peers of ZeroMQ 2's protocol (ZMTP 1.0), which has no greeting, so
 * any bytes sent to the port would be taken as messages. Without a ZAP
 * handler bound, everyone else still gets in.
 */
export const ZAP_DOMAIN = "zmqlog";

/**
 * The PULL socket's options. With `secretKey` it is a CurveZMQ server: only
 * senders that know its public key get in (and, with an allow-list, libzmq
 * asks the SenderGate about each).
 *
 * @example
 * ```ts
 * pullOptions({ bind: "*", maxMessageSize: 65536 })[ZMQ.RCVHWM]; // 64
 * ```
 */
export function pullOptions(
  options: { bind: string; maxMessageSize: number },
  secretKey?: string,
): SocketOptions {
  const socket: SocketOptions = {
    [ZMQ.LINGER]: 0, // nothing is ever queued for sending on a PULL socket
    // `*` takes IPv6 and IPv4 senders alike (libzmq falls back to IPv4
    // alone where the machine has no IPv6); an IPv6 address needs it.
    [ZMQ.IPV6]: options.bind === "*" || options.bind.includes(":") ? 1 : 0,
    [ZMQ.MAXMSGSIZE]: options.maxMessageSize,
    [ZMQ.RCVHWM]: queuedPerSender(options.maxMessageSize),
    [ZMQ.ZAP_DOMAIN]: ZAP_DOMAIN,
  };
  if (secretKey !== undefined) {
    socket[ZMQ.CURVE_SERVER] = 1;
    socket[ZMQ.CURVE_SECRETKEY] = secretKey;
  }
  return socket;
}

/**
 * How many messages libzmq may queue for each sender (ZMQ_RCVHWM): its
 * default, 1,000, unless that many of the largest size would pass
 * QUEUE_BYTES_PER_SENDER; at least 16, as the bound is a count and a lower
 * one slows small messages too. A sender beyond it waits (PUSH blocks,
 * nothing is lost).
 *
 * @example
 * ```ts
 * queuedPerSender(65536); // 64
 * queuedPerSender(4096); // 1000
 * queuedPerSender(16 * 1024 * 1024); // 16
 * ```
 */
export function queuedPerSender(maxMessageSize: number): number {
  return Math.max(
    16,
    Math.min(1000, Math.floor(QUEUE_BYTES_PER_SENDER / maxMessageSize)),
  );
}
