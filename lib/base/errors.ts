/**
 * The errors every layer may throw, and how one reads as a line: a
 * {@link UsageError} is the user's mistake (exit status 2), {@link Interrupted}
 * is Ctrl-C (130) or SIGTERM (143). Imports nothing.
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

/**
 * Stopped by Ctrl-C (SIGINT) or SIGTERM: shown as one line; the exit status
 * is 128 + the signal's number, as a shell reports it: 130 for Ctrl-C, 143
 * for SIGTERM.
 */
export class Interrupted extends Error {
  /** 130 (128 + SIGINT) or 143 (128 + SIGTERM). */
  readonly exitStatus: number;

  constructor(message: string, signal: "SIGINT" | "SIGTERM" = "SIGINT") {
    super(message);
    this.exitStatus = signal === "SIGTERM" ? 143 : 130;
  }
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
