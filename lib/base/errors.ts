/**
 * The errors every layer may throw, and how one reads as a line: a
 * {@link UsageError} is the user's mistake (exit status 2), {@link Interrupted}
 * is Ctrl-C (130). Imports nothing.
 *
 * @example
 * ```ts
 * import { describe, UsageError } from "./errors.ts";
 * describe(new UsageError("bad --port")); // "bad --port"
 * ```
 *
 * @module
 */

/** A command-line mistake: shown to the user as one line, exit status 2. */
export class UsageError extends Error {}

/** Stopped by Ctrl-C (SIGINT): shown as one line, exit status 130 (128 + 2). */
export class Interrupted extends Error {}

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
