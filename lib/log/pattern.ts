/**
 * Filter patterns (`--include`, `--exclude`, `--include-host`,
 * `--exclude-host`) as regular expressions that cannot stall the logger.
 *
 * Why: a pattern is the operator's, but the text it is matched against is
 * any sender's. JavaScript's usual regexp engine backtracks, and on some
 * patterns it takes exponential time on some texts: `(a+)+$` against a few
 * dozen a's and a `!` takes minutes, twice as long for each further a. The
 * logger matches on its one thread, so meanwhile it writes no line, answers
 * no `--status` and handles no SIGTERM.
 *
 * V8 has a second engine that runs in time linear in the text: with
 * {@link LINEAR_ENGINE_FLAG} (the logger's shebang gives it, and
 * `deno task compile` bakes it into the binaries; `node:v8`'s
 * `setFlagsFromString` is too late to turn it on), a pattern compiled with
 * the `l` flag runs on it. Every filter that is more than plain text does:
 * slower than the usual engine on a short message, but linear in the text
 * whatever the pattern. Plain text (`heartbeat`, `^pi`) has nothing to
 * backtrack over and stays on the usual engine. Leaving a match on the
 * usual engine until it has backtracked 50,000 times (the flag's second
 * half) is not enough: that count starts again at each position in the
 * text, so an unanchored `(.*a){4}` never reaches it and still takes seconds
 * on a 64 KiB message.
 * Patterns the linear engine cannot run are refused at start: backreferences
 * (`\1`, `\k<name>`), lookaheads (`(?=`, `(?!`), `(?i:...)` groups, and
 * counted repeats that copy a part more than 16 times (`a{17}`, `(a{4}){5}`;
 * `a{2,}` and `a*` are fine).
 *
 * @example
 * ```ts
 * import { filterPattern } from "./pattern.ts";
 * filterPattern("^pi", "--include-host").test("pi1"); // true
 * ```
 *
 * @module
 */

import { commandName } from "../base/words.ts";
import { UsageError } from "../base/errors.ts";

/**
 * The Deno flag that gives V8's linear-time regexp engine (for the `l`
 * flag), and moves a match that backtracks too much onto it.
 */
export const LINEAR_ENGINE_FLAG =
  "--v8-flags=--enable-experimental-regexp-engine,--enable-experimental-regexp-engine-on-excessive-backtracks";

/** The regexp flag for V8's linear-time engine. */
const LINEAR = "l";

/** A pattern that is plain text, perhaps after a `^`: no quantifier, class, group or escape. */
const LITERAL = /^\^?[^\\^$.|?*+()[\]{}]*$/;

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
  // Plain text (optionally anchored with ^) cannot backtrack: the usual
  // engine matches it in linear time, 20 times faster than the linear one.
  if (LITERAL.test(text)) return new RegExp(text);
  try {
    return new RegExp(text, LINEAR);
  } catch {
    throw new UsageError(
      `Cannot filter as '${flag}' must be a regular expression that runs in linear time (no backreferences, lookaheads, (?i:) groups or repeat counts above 16): current value is ${
        JSON.stringify(text)
      }`,
    );
  }
}
