/**
 * What both command lines share: the port, and the one place an error
 * becomes the line a user sees (`parseArgs` itself is in command_line.ts).
 *
 * @example
 * ```ts
 * import { parsePort } from "./args.ts";
 * parsePort("6000", "listen"); // 6000
 * ```
 *
 * @module
 */

import { describe, Interrupted, UsageError } from "../base/errors.ts";

/**
 * Reads a TCP port number from a command-line value.
 *
 * @example
 * ```ts
 * parsePort("5555", "listen"); // 5555
 * parsePort("70000", "listen"); // throws UsageError
 * ```
 */
export function parsePort(text: string, action: string): number {
  const port = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(port >= 1 && port <= 65535)) {
    throw new UsageError(
      `Cannot ${action} as '--port' must be 1-65535: current value is ${
        JSON.stringify(text)
      }`,
    );
  }
  return port;
}

/**
 * Says what went wrong on stderr, as `PROGRAM: what`, and gives the exit
 * status: 2 for a usage error, 130 when stopped by Ctrl-C (143 by SIGTERM),
 * 1 otherwise. The one place an error is shown.
 *
 * @example
 * ```ts
 * return fail("logging_basic", err); // prints "logging_basic: ...", returns 1
 * ```
 */
export function fail(program: string, err: unknown): number {
  console.error(`${program}: ${describe(err)}`);
  return err instanceof UsageError
    ? 2
    : err instanceof Interrupted
    ? err.exitStatus
    : 1;
}
