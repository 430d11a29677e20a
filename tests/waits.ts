/**
 * Waiting for a condition with a deadline that fails the test saying what
 * it waited for. tests/helpers.ts exports these too, with the waits that
 * need its processes.
 *
 * @module
 */

/** How long the helpers' polls pause between two looks. */
export const POLL_MS = 20;

/**
 * Looks at `condition` every `intervalMs` until it holds (returns anything
 * but `false`, `undefined` or `null`) and resolves to what it returned.
 * At the deadline it throws "waited N ms for WHAT"; `what` may be a
 * function, to say what was there instead. An error thrown by `condition`
 * ends the wait at once.
 *
 * @example
 * ```ts
 * await waitFor(
 *   () => readText(log).includes("after rotation"),
 *   () => `"after rotation" in ${log}; it holds ${readText(log)}`,
 * );
 * ```
 */
export async function waitFor<T>(
  condition: () =>
    | T
    | false
    | undefined
    | null
    | Promise<T | false | undefined | null>,
  what: string | (() => string),
  timeoutMs = 15_000,
  intervalMs = POLL_MS,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const value = await condition();
    if (value !== false && value !== undefined && value !== null) return value;
    if (Date.now() > deadline) {
      throw new Error(
        `waited ${timeoutMs} ms for ${
          typeof what === "string" ? what : what()
        }`,
      );
    }
    await sleep(intervalMs); // a poll's pause between looks, not a stand-in
  }
}

/**
 * Waits until something (a file, a link, a socket) is at `path`.
 *
 * @example
 * ```ts
 * logger.kill("SIGHUP");
 * await waitForPath(log); // the logger has opened a new file there
 * ```
 */
export async function waitForPath(
  path: string,
  timeoutMs = 15_000,
): Promise<void> {
  await waitFor(
    () => {
      try {
        Deno.lstatSync(path);
        return true;
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) return false;
        throw err;
      }
    },
    `something at ${path}`,
    timeoutMs,
  );
}

/**
 * Waits for `done`, failing after `ms` saying it waited that long for `what`.
 * The timer is the deadline, not a wait: it is cleared as soon as `done`
 * settles.
 *
 * @example
 * ```ts
 * const end = await within(5_000, "the logger to exit", logger.finish());
 * ```
 */
export async function within<T>(
  ms: number,
  what: string,
  done: Promise<T>,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`waited ${ms} ms for ${what}`)),
      ms,
    );
  });
  try {
    return await Promise.race([done, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Resolves after `ms` milliseconds. Not for waiting for something to
 * happen: use {@link waitFor} and the other waitFor helpers.
 */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
