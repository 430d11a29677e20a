/**
 * Filter patterns (`--include`, `--exclude`, `--include-host`,
 * `--exclude-host`) as regular expressions that cannot stall the logger.
 *
 * Why: a pattern is the operator's, but the text it is matched against is
 * any sender's. JavaScript's usual regexp engine backtracks, and on some
 * patterns it takes exponential time on some texts: `(a+)+$` against 33 a's
 * and a `!` (34 bytes) takes about 20 minutes, twice that for each further
 * a. The logger matches on its one thread, so meanwhile it writes no line,
 * answers no `--status` and handles no SIGTERM.
 *
 * V8 has a second engine that runs in time linear in the text. With
 * {@link LINEAR_ENGINE_FLAG} (the logger's shebang gives it, and
 * `deno task compile` bakes it into the binaries; `node:v8`'s
 * `setFlagsFromString` is too late to turn it on) a match starts on the usual
 * engine, as fast as ever on everyday patterns (0.1 µs for `heartbeat` on a
 * 100-byte message), and moves to the linear one after 50,000 backtracks: the
 * attack message then takes 3 ms, 64 KiB of a's 13 ms. That move is possible
 * only for a pattern the linear engine can run, so each pattern is also
 * compiled for it (the `l` flag) at start, and refused when it cannot:
 * backreferences (`\1`, `\k<name>`), lookaheads (`(?=`, `(?!`), `(?i:...)`
 * groups, and counted repeats that copy a part more than 16 times (`a{17}`,
 * `(a{4}){5}`; `a{2,}` and `a*` are fine).
 *
 * @example
 * ```ts
 * import { filterPattern } from "./lib/pattern.ts";
 * filterPattern("^pi", "--include-host").test("pi1"); // true
 * ```
 *
 * @module
 */

import { commandName, UsageError } from "./cli.ts";

/**
 * The Deno flag that gives V8's linear-time regexp engine (for the `l`
 * flag), and moves a match that backtracks too much onto it.
 */
export const LINEAR_ENGINE_FLAG =
  "--v8-flags=--enable-experimental-regexp-engine,--enable-experimental-regexp-engine-on-excessive-backtracks";

/** The regexp flag for V8's linear-time engine. */
const LINEAR = "l";

/** Whether this Deno was started with {@link LINEAR_ENGINE_FLAG} (its first half shows). */
export function hasLinearEngine(): boolean {
  try {
    new RegExp("x", LINEAR);
    return true;
  } catch {
    return false;
  }
}

/**
 * Compiles a filter pattern, checked to be one V8's linear-time engine can
 * take over. A pattern that is not a regular expression, one that engine
 * refuses, and any pattern when the engine is missing get a
 * {@link UsageError} that names `flag` and the fix.
 *
 * @example
 * ```ts
 * filterPattern("(a+)+$", "--exclude").test("a".repeat(33) + "!"); // false, at once
 * filterPattern("(a)\\1", "--exclude"); // throws: must ... run in linear time
 * ```
 */
export function filterPattern(text: string, flag: string): RegExp {
  try {
    new RegExp(text); // the syntax, named first, with or without the engine
  } catch {
    throw new UsageError(
      `Cannot filter as '${flag}' must be a regular expression: current value is ${
        JSON.stringify(text)
      }`,
    );
  }
  if (!hasLinearEngine()) {
    throw new UsageError(
      Deno.build.standalone
        ? `Cannot filter as '${flag}' needs V8's linear-time regular expressions, which this binary was built without: build it again with deno task compile`
        : `Cannot filter as '${flag}' needs V8's linear-time regular expressions: run ${
          commandName("logging_basic")
        } through its shebang, or add ${LINEAR_ENGINE_FLAG} to 'deno run'`,
    );
  }
  try {
    new RegExp(text, LINEAR);
    return new RegExp(text);
  } catch {
    throw new UsageError(
      `Cannot filter as '${flag}' must be a regular expression that runs in linear time (no backreferences, lookaheads, (?i:) groups or repeat counts above 16): current value is ${
        JSON.stringify(text)
      }`,
    );
  }
}
