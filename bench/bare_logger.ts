/**
 * The C logger's loop in Deno, on our libzmq binding and nothing else: PULL
 * on PORT, take every queued message into one buffer, one write when the
 * queue is empty, wait in zmq_poll. What Deno and FFI cost under a load,
 * apart from the logger's own code (bench/results.md, Issue 28).
 *
 * @example
 * ```sh
 * deno run -q --allow-ffi=./node_modules --allow-write=log.txt bench/bare_logger.ts 5555
 * ```
 *
 * @module
 */

import { Context, Poller, ZMQ } from "../lib/zmq/sockets.ts";

const MAX_MESSAGE_SIZE = 65536;
const BUFFER_SIZE = 1 << 20;

await using context = new Context();
using socket = context.socket(ZMQ.PULL, { [ZMQ.LINGER]: 0 });
socket.bind(`tcp://*:${Deno.args[0] ?? "5555"}`);
using file = Deno.openSync("log.txt", { append: true, create: true });
const buffer = new Uint8Array(BUFFER_SIZE + MAX_MESSAGE_SIZE + 1);
const waitOn = new Poller([socket], ZMQ.POLLIN);
let length = 0;
while (true) {
  const size = socket.receiveAt(buffer, length, MAX_MESSAGE_SIZE);
  if (size >= 0) {
    length += size;
    buffer[length++] = 0x0a;
  }
  if (length > 0 && (size < 0 || length >= BUFFER_SIZE)) {
    for (let at = 0; at < length;) {
      at += file.writeSync(buffer.subarray(at, length));
    }
    length = 0;
  }
  if (size < 0) waitOn.here(-1);
}
