/**
 * Words every layer writes: a count with its noun, a rough length of time,
 * a word quoted for the shell, the name a user runs a script by. Imports
 * nothing.
 *
 * @example
 * ```ts
 * import { plural } from "./words.ts";
 * plural(2, "line"); // "2 lines"
 * ```
 *
 * @module
 */

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
 * A length of time in `seconds`, rounded, in the largest unit it fills, for
 * an estimate a person reads.
 *
 * @example
 * ```ts
 * roughTime(42); // "42 seconds"
 * roughTime(3 * 3600 + 60); // "3 hours"
 * roughTime(1e9); // "32 years"
 * ```
 */
export function roughTime(seconds: number): string {
  const units: [string, number][] = [
    ["year", 365.25 * 86400],
    ["day", 86400],
    ["hour", 3600],
    ["minute", 60],
  ];
  for (const [unit, size] of units) {
    if (seconds >= size) {
      return `${Math.round(seconds / size).toLocaleString("en")} ${unit}s`
        .replace(/^1 (\w+)s$/, "1 $1");
    }
  }
  return plural(Math.round(seconds), "second");
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

/**
 * `word` as the shell reads it back unchanged: as it is when it holds only
 * characters no shell treats specially, else in single quotes. For hints
 * that are commands a user pastes.
 *
 * @example
 * ```ts
 * shellQuote("./log.txt"); // "./log.txt"
 * shellQuote("my log.txt"); // "'my log.txt'"
 * shellQuote("it's"); // "'it'\\''s'"
 * ```
 */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_\/.,:=+@%-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", "'\\''")}'`;
}
