/**
 * What both command lines share: the usage error, `parseArgs`'s messages in
 * one line, the port, and the one place an error becomes the line a user sees.
 *
 * @example
 * ```ts
 * import { parsePort, UsageError } from "./lib/cli.ts";
 * parsePort("6000", "listen"); // 6000
 * ```
 *
 * @module
 */

/** A command-line mistake: shown to the user as one line, exit status 2. */
export class UsageError extends Error {}

/**
 * Turns an error from `parseArgs` into one line for the user.
 *
 * @example
 * ```ts
 * parseArgsProblem(new Error("Unknown option '--x'. To specify ..."));
 * // "Unknown option '--x'. To specify ..."
 * ```
 */
export function parseArgsProblem(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  // Node's message for "--port -1" spans three lines; say it in one.
  const ambiguous = /^Option '(?:-\w, )?(--[\w-]+)[^']*' argument is ambiguous/
    .exec(text);
  if (ambiguous) {
    const flag = ambiguous[1];
    return `Option '${flag}' needs a value (write ${flag}=VALUE for one that starts with '-')`;
  }
  return text.split("\n")[0];
}

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
 * An error's message, for the one line a user sees.
 *
 * @example
 * ```ts
 * describe(new Error("disk full")); // "disk full"
 * ```
 */
export function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Says what went wrong on stderr, as `PROGRAM: what`, and gives the exit
 * status: 2 for a usage error, 1 otherwise. The one place an error is shown.
 *
 * @example
 * ```ts
 * return fail("logging_basic", err); // prints "logging_basic: ...", returns 1
 * ```
 */
export function fail(program: string, err: unknown): number {
  console.error(`${program}: ${describe(err)}`);
  return err instanceof UsageError ? 2 : 1;
}

/**
 * `n` and a noun, plural unless one.
 *
 * @example
 * ```ts
 * plural(1, "line"); // "1 line"
 * plural(3, "line"); // "3 lines"
 * ```
 */
export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

/**
 * How a user runs one of the scripts, for `--help`: a compiled binary goes
 * by its name.
 *
 * @example
 * ```ts
 * commandName("logging_basic"); // "./logging_basic.ts" (or "logging_basic" when compiled)
 * ```
 */
export function commandName(program: string): string {
  return Deno.build.standalone ? program : `./${program}.ts`;
}
