/**
 * `parseArgs` from `node:util`, with its messages in one line each: the one
 * module that loads `node:util`, so that a command line with no option (the
 * book's plain `./log_cmd_basic.ts arg1 arg2 arg3`) can skip loading it.
 *
 * @example
 * ```ts
 * import { parseCommandLine } from "./command_line.ts";
 * parseCommandLine({ args: ["-p", "6000"], options: { port: { type: "string", short: "p" } } })
 *   .values.port; // "6000"
 * ```
 *
 * @module
 */

import { parseArgs, type ParseArgsConfig } from "node:util";

/** The options of a `parseArgs` configuration, as this module reads them. */
type OptionsConfig = Record<string, { type: string; short?: string }>;

/** How the user may write an option: `'--lines' (-n)`, or `'--timeout'`. */
function optionNames(long: string, short?: string): string {
  return short === undefined ? `'--${long}'` : `'--${long}' (-${short})`;
}

/**
 * Turns an error from `parseArgs` into one line for the user, naming the long
 * option also when a short one was written. With the `config` given to
 * `parseArgs` it can say more: which short option was given a value it does
 * not take (`-F=1`), and which short option an unknown letter may have meant.
 *
 * @example
 * ```ts
 * parseArgsProblem(new Error("Option '-n, --lines <value>' argument missing"));
 * // "Option '--lines' (-n) needs a value"
 * parseArgsProblem(new Error("Unknown option '--x'. To specify ..."));
 * // "Unknown option '--x'. To specify ..."
 * ```
 */
export function parseArgsProblem(
  err: unknown,
  config?: { args?: string[]; options?: OptionsConfig },
): string {
  const text = err instanceof Error ? err.message : String(err);
  // "Option '-n, --lines <value>' argument missing" (for -n and --lines alike).
  const missing = /^Option '(?:-(\w), )?--([\w-]+) <value>' argument missing/
    .exec(text);
  if (missing) {
    return `Option ${optionNames(missing[2], missing[1])} needs a value`;
  }
  // Node's message for "--port -1" spans three lines; say it in one.
  const ambiguous = /^Option '(?:-\w, )?(--[\w-]+)[^']*' argument is ambiguous/
    .exec(text);
  if (ambiguous) {
    const flag = ambiguous[1];
    return `Option '${flag}' needs a value (write ${flag}=VALUE for one that starts with '-')`;
  }
  // For "-n -3" it names the short option, and the long one in its advice.
  const shortAmbiguous =
    /^Option '-(\w)' argument is ambiguous[\s\S]*use '(--[\w-]+)=-XYZ'/.exec(
      text,
    );
  if (shortAmbiguous) {
    const [, short, flag] = shortAmbiguous;
    return `Option '-${short}' (${flag}) needs a value (write ${flag}=VALUE for one that starts with '-')`;
  }
  // "--follow=1": "Option '-F, --follow' does not take an argument".
  const noValue = /^Option '(?:-(\w), )?--([\w-]+)' does not take an argument/
    .exec(text);
  if (noValue) {
    return `Option ${
      optionNames(noValue[2], noValue[1])
    } does not take a value: write it alone`;
  }
  const unknown = /^Unknown option '-(.)'/.exec(text);
  if (unknown) return unknownShort(text, unknown[1], config);
  return text.split("\n")[0];
}

/** An unknown short option: `-x`, or the `=` of a boolean's `-F=1`. */
function unknownShort(
  text: string,
  letter: string,
  config?: { args?: string[]; options?: OptionsConfig },
): string {
  const options = Object.entries(config?.options ?? {});
  const byShort = (short: string) =>
    options.find(([, option]) => option.short === short);
  if (letter === "=") {
    // parseArgs read "-F=1" as -F, -= and -1: the option before = takes no value.
    const arg = config?.args?.find((arg) => /^-[^-][^=]*=/.test(arg));
    const short = arg?.slice(0, arg.indexOf("=")).slice(-1);
    const known = short === undefined ? undefined : byShort(short);
    if (known) {
      return `Option ${
        optionNames(known[0], short)
      } does not take a value: write it alone`;
    }
    return "Unknown option '-=': a short option takes no '=' (write -X VALUE, or --LONG=VALUE)";
  }
  const other = /^[a-z]$/i.test(letter)
    ? byShort(
      letter === letter.toLowerCase()
        ? letter.toUpperCase()
        : letter.toLowerCase(),
    )
    : undefined;
  if (other) {
    return `Unknown option '-${letter}' (-${other[1].short} is --${
      other[0]
    }; short options are case-sensitive)`;
  }
  return text.split("\n")[0];
}

/**
 * `parseArgs`, with its errors in one line each ({@link parseArgsProblem}):
 * what it throws is an Error whose message is that line.
 *
 * @example
 * ```ts
 * parseCommandLine({ args: ["-n"], options: { lines: { type: "string", short: "n" } } });
 * // throws Error("Option '--lines' (-n) needs a value")
 * ```
 */
export function parseCommandLine<T extends ParseArgsConfig>(
  config: T,
): ReturnType<typeof parseArgs<T>> {
  const joined = shortWithEquals(config);
  if (joined !== undefined) throw new Error(joined);
  try {
    return parseArgs(config);
  } catch (err) {
    throw new Error(
      parseArgsProblem(
        err,
        config as { args?: string[]; options?: OptionsConfig },
      ),
    );
  }
}

/**
 * `-p=5`: parseArgs takes "=5" as the value of a short option that takes one,
 * and the option then names "=5" as wrong. Said as what it is instead.
 */
function shortWithEquals(config: ParseArgsConfig): string | undefined {
  const args = config.args ?? [];
  const end = args.indexOf("--");
  for (const arg of end === -1 ? args : args.slice(0, end)) {
    const match = /^-([A-Za-z])=(.*)$/.exec(arg);
    if (!match) continue;
    const [, short, value] = match;
    const option = Object.entries(config.options ?? {}).find(([, option]) =>
      option.short === short && option.type === "string"
    );
    if (option === undefined) continue;
    const long = option[0];
    return `Option ${
      optionNames(long, short)
    } takes its value after a space, or after '=' in its long form: write -${short} ${value} or --${long}=${value}`;
  }
  return undefined;
}
