/**
 * The log file: one object owns the open file and the bytes waiting to be
 * written to it, as the standard library's log `FileHandler` does. It opens
 * for appending (never truncating), writes whole lines, opens its path again
 * after logrotate, and holds what it could not write until it can.
 *
 * @example
 * ```ts
 * import { LogFile } from "./lib/log_file.ts";
 * using file = new LogFile("./log.txt", "logging_basic");
 * file.lines.addLine("arg1 arg2 arg3");
 * await file.flush(() => false); // the book's write() and flush()
 * ```
 *
 * @module
 */

import { describe, plural } from "./cli.ts";

/** The log file the shebang lets the logger write and read. */
export const SHEBANG_LOG_FILE = "./log.txt";

/** How often a logger that cannot write tries again. */
const WRITE_RETRY_MS = 1000;

const encoder = new TextEncoder();

/**
 * What went wrong with the log file, with the remedy for a missing Deno
 * permission.
 *
 * @example
 * ```ts
 * fileProblem(new Deno.errors.NotFound("No such file"), "x.txt", "read"); // "No such file"
 * ```
 */
export function fileProblem(
  err: unknown,
  path: string,
  access: "read" | "write",
): string {
  if (err instanceof Deno.errors.NotCapable) {
    return `Deno was not given ${access} permission for it (the shebang allows ${SHEBANG_LOG_FILE} only); ` +
      `start the logger as 'deno run -q --no-prompt -P=logging_basic --allow-write=${path} ` +
      `--allow-read=${path} logging_basic.ts --file ${path}'`;
  }
  return describe(err);
}

/** Grows as needed; holds the bytes of the lines to write next. */
export class LineBuffer {
  bytes = new Uint8Array(1 << 17);
  length = 0;

  /** Makes room for `size` more bytes after `length`. */
  reserve(size: number): void {
    if (this.length + size <= this.bytes.length) return;
    let capacity = this.bytes.length * 2;
    while (capacity < this.length + size) capacity *= 2;
    const bigger = new Uint8Array(capacity);
    bigger.set(this.bytes.subarray(0, this.length));
    this.bytes = bigger;
  }

  /** Adds `text` and a newline. */
  addLine(text: string): void {
    this.reserve(text.length * 3 + 1);
    const at = this.length;
    this.length += encoder.encodeInto(text, this.bytes.subarray(at)).written;
    this.bytes[this.length++] = 0x0a;
  }

  /** How many whole lines wait from byte `from` on. */
  linesFrom(from: number): number {
    let count = 0;
    for (let i = from; i < this.length; i++) {
      if (this.bytes[i] === 0x0a) count++;
    }
    return count;
  }
}

/** The log file, open for appending, and the lines waiting for it. */
export class LogFile implements Disposable {
  /** The lines to write next: add to it, then {@link flush}. */
  readonly lines = new LineBuffer();
  #file: Deno.FsFile;
  #reopenWanted = false;

  /** Opens `path` for appending, or explains in one line why it cannot. */
  constructor(readonly path: string, readonly program: string) {
    this.#file = LogFile.#open(path);
  }

  static #open(path: string): Deno.FsFile {
    try {
      return Deno.openSync(path, { append: true, create: true });
    } catch (err) {
      throw new Error(
        `Cannot open log file '${path}': ${fileProblem(err, path, "write")}`,
      );
    }
  }

  /** Asks for the path to be opened again at the next flush (SIGHUP, after logrotate). */
  reopenSoon(): void {
    this.#reopenWanted = true;
  }

  /**
   * Writes the waiting lines; a log file is opened for appending, so lines
   * stay whole. A write that fails (disk full, file made read-only) is
   * reported once on stderr and tried again every WRITE_RETRY_MS, a reopen
   * asked for meanwhile is done; the caller takes no more messages in the
   * meantime, so they wait in ZeroMQ's queues and the senders'. When
   * `stopping()` while it fails, it throws with the count of lines not
   * written.
   */
  async flush(stopping: () => boolean): Promise<void> {
    const lines = this.lines;
    let written = 0;
    let failing = false;
    while (written < lines.length) {
      try {
        written += this.#file.writeSync(
          lines.bytes.subarray(written, lines.length),
        );
      } catch (err) {
        const held = plural(lines.linesFrom(written), "line");
        if (stopping()) {
          throw new Error(
            `stopped with ${held} not written to '${this.path}': ${
              describe(err)
            }`,
          );
        }
        if (!failing) {
          console.error(
            `${this.program}: Cannot write to '${this.path}': ${
              describe(err)
            }; keeping ${held} and trying again every ${
              WRITE_RETRY_MS / 1000
            } s (senders wait meanwhile)`,
          );
          failing = true;
        }
        await new Promise((resolve) => setTimeout(resolve, WRITE_RETRY_MS));
        this.#reopenIfWanted();
      }
    }
    if (failing) {
      console.error(`${this.program}: writing to '${this.path}' again`);
    }
    lines.length = 0;
    this.#reopenIfWanted();
  }

  /** Opens the path again if asked to, keeping the old file if that fails. */
  #reopenIfWanted(): void {
    if (!this.#reopenWanted) return;
    this.#reopenWanted = false;
    try {
      const fresh = LogFile.#open(this.path);
      this.#file.close();
      this.#file = fresh;
    } catch (err) {
      console.error(
        `${this.program}: ${
          describe(err)
        }; still writing to the file it had open`,
      );
    }
  }

  /** Closes the file; what is not flushed is not written. */
  close(): void {
    this.#file.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
