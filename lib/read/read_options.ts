/**
 * The options of the modes that read the log: `--show`'s context of each
 * line shown, `--context N` (`-C N`), `--before-context N` (`-B N`) and
 * `--after-context N` (`-A N`), as grep's; `--stats`'s (stats_options.ts),
 * `--capacity` among them; and the check that each goes with its mode.
 * Small, so the command line reads them without loading the readers.
 *
 * @example
 * ```ts
 * import { parseReadFlags } from "./read_options.ts";
 * parseReadFlags({ context: "3", "after-context": "1" }, "show").context; // { before: 3, after: 1 }
 * ```
 *
 * @module
 */

import { UsageError } from "../base/errors.ts";
import { parseStatsOptions, type StatsOptions } from "./stats_options.ts";

/** Lines shown before and after each line that passes the filters, from its host and tag. */
export interface ContextOptions {
  before: number;
  after: number;
}

/** The most lines of context asked for on either side. */
export const MAX_CONTEXT = 100_000;

/** The flags read here, as the command line's parser gives them. */
export interface ReadFlags {
  context?: string;
  "before-context"?: string;
  "after-context"?: string;
  capacity?: boolean;
  by?: string;
  every?: string;
  format?: string;
}

/** A number of lines of context, or a clear refusal. */
function contextLines(text: string, flag: string): number {
  const lines = /^\d{1,6}$/.test(text) ? Number(text) : NaN;
  if (!(lines <= MAX_CONTEXT)) {
    throw new UsageError(
      `Cannot show the log as '${flag}' must be a whole number from 0 to ${MAX_CONTEXT}: current value is ${
        JSON.stringify(text)
      }`,
    );
  }
  return lines;
}

/**
 * Reads the context flags (`-A` and `-B` take the place of `-C` on their
 * side, as in grep) and, in `--stats`, its options; refuses the context
 * flags and `--capacity` with another mode.
 *
 * @example
 * ```ts
 * parseReadFlags({ "before-context": "2" }, "show").context; // { before: 2, after: 0 }
 * parseReadFlags({ by: "host" }, "stats").stats?.by; // "host"
 * ```
 */
export function parseReadFlags(
  flags: ReadFlags,
  mode: string,
): { context?: ContextOptions; stats?: StatsOptions } {
  const given = (["context", "before-context", "after-context"] as const)
    .filter((flag) => flags[flag] !== undefined);
  if (mode !== "show" && given.length > 0) {
    throw new UsageError(
      `'--${given[0]}' goes with --show: add --show to read the log`,
    );
  }
  if (mode !== "stats" && flags.capacity) {
    throw new UsageError(
      "'--capacity' goes with --stats: add --stats to count the log",
    );
  }
  if (mode === "stats") return { stats: parseStatsOptions(flags) };
  if (given.length === 0) return {};
  const both = flags.context === undefined
    ? 0
    : contextLines(flags.context, "--context");
  const side = (flag: "before-context" | "after-context") => {
    const text = flags[flag];
    return text === undefined ? both : contextLines(text, `--${flag}`);
  };
  return {
    context: { before: side("before-context"), after: side("after-context") },
  };
}
