/**
 * What both command lines share: reading their options (with `parseArgs`,
 * in command_line.ts, loaded only when there is an option), the port, and
 * the one place an error becomes the line a user sees.
 *
 * @example
 * ```ts
 * import { parsePort } from "./args.ts";
 * parsePort("6000", "listen"); // 6000
 * ```
 *
 * @module
 */

import type { parseArgs, ParseArgsConfig } from "node:util";
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

/**
 * What `parseArgs` gives for a command line with no option, without
 * loading `node:util`: each option's default. The book's plain calls have
 * none, and `node:util` costs a one-shot sender start-up time and a logger
 * memory (bench/results.md, Issue 28). The import above is of types only:
 * it loads nothing.
 *
 * @example
 * ```ts
 * defaultValues({
 *   options: {
 *     port: { type: "string", default: "5555" },
 *     tag: { type: "string" },
 *     include: { type: "string", multiple: true, default: [] },
 *   },
 * }); // { port: "5555", include: [] }
 * ```
 */
export function defaultValues<T extends ParseArgsConfig>(
  config: T,
): ReturnType<typeof parseArgs<T>>["values"] {
  // No prototype, as parseArgs gives: no inherited `constructor` to find.
  const values: Record<string, unknown> = Object.create(null);
  for (const [name, option] of Object.entries(config.options ?? {})) {
    const value = option.default;
    if (value === undefined) continue;
    // A list of its own, as parseArgs gives: the caller may add to it.
    values[name] = Array.isArray(value) ? [...value] : value;
  }
  return values as ReturnType<typeof parseArgs<T>>["values"];
}

/**
 * The values of the options on the command line `config.args`, read by
 * node:util's parseArgs (lib/cli/command_line.ts), which is loaded only
 * when there is an argument to read ({@link defaultValues} otherwise). A
 * usage error says what is wrong in one line, then `hint`.
 *
 * @example
 * ```ts
 * const config = { args: ["-p", "6000"], options: { port: { type: "string" as const, short: "p" } } };
 * (await readOptions(config, "try --help")).port; // "6000"
 * ```
 */
export async function readOptions<T extends ParseArgsConfig>(
  config: T,
  hint: string,
): Promise<ReturnType<typeof parseArgs<T>>["values"]> {
  if ((config.args ?? []).length === 0) return defaultValues(config);
  const { parseArgsProblem, parseCommandLine } = await import(
    "./command_line.ts"
  );
  try {
    return parseCommandLine(config).values;
  } catch (err) {
    throw new UsageError(`${parseArgsProblem(err)} (${hint})`);
  }
}
