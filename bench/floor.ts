/**
 * The memory floor for `deno task bench`: what every run of our scripts
 * holds before it has a socket. It loads libzmq from npm:zeromq's addon as
 * the scripts do (lib/zmq/, through Deno FFI) and opens a ZeroMQ context,
 * then says `ready` on stdout and waits until its stdin ends, so that the
 * bench can read its peak RSS from /proc meanwhile. With `node:util` it
 * also loads that, as our scripts do for any option (lib/cli/command_line.ts):
 * the fixed cost of reading a command line with node:util's parseArgs.
 *
 * @example
 * ```sh
 * deno run -q --allow-ffi=./node_modules bench/floor.ts < /dev/null
 * deno run -q --allow-ffi=./node_modules bench/floor.ts node:util < /dev/null
 * ```
 *
 * @module
 */

import { Context } from "../lib/zmq/sockets.ts";

if (Deno.args[0] === "node:util") await import("node:util");
await using _context = new Context();
console.log("ready");
for await (const _chunk of Deno.stdin.readable) {
  // Read to the end: the bench closes stdin once it has read the peak.
}
