/**
 * The log file: one object owns the open file and the bytes waiting to be
 * written to it, as the standard library's log `FileHandler` does. It opens
 * for appending (never truncating), writes whole lines, opens its path again
 * after logrotate, and holds what it could not write until it can.
 *
 * It writes only to a regular file of its own user, opened as
 * lib/log/open_file.ts says, at start and on every reopen. A file removed
 * while open is noticed soon after a write, and the path opened again.
 *
 * @example
 * ```ts
 * import { LogFile } from "./log_file.ts";
 * using file = new LogFile("./log.txt", "logging_basic");
 * file.lines.addLine("arg1 arg2 arg3");
 * await file.flush(() => false); // the book's write() and flush()
 * ```
 *
 * @module
 */

import { describe } from "../base/errors.ts";
import { plural } from "../base/words.ts";
import { openLogFile, openRegularFile, sharedWarning } from "./open_file.ts";
import { repairTornEnd } from "./torn_end.ts";

/** How often a logger that cannot write tries again. */
const WRITE_RETRY_MS = 1000;

/**
 * Lines written are kept until fstat says their file is still linked, at
 * most this long after the last look (a look is fstat and, for Deno's
 * permission check, a readlink per directory of the path: under a steady
 * trickle of messages, once a write, it cost a fifth of the logger's CPU;
 * bench/results.md, Issue 28) ...
 */
const LINK_CHECK_MS = 100;

/** ... or until they are this many bytes. */
const LINK_CHECK_BYTES = 256 * 1024;

const encoder = new TextEncoder();

/** Whether something is at `path`; true when Deno may not look. */
function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch (err) {
    return !(err instanceof Deno.errors.NotFound);
  }
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
  /** The open file was removed: the path must be opened again before writing. */
  #removed = false;
  /** Whether fstat may tell if the open file was removed. */
  #checkLinks = true;
  /**
   * `lines` up to here are in the file, not yet known to be in one still
   * linked (see LINK_CHECK_MS); the rest are not written yet.
   */
  #written = 0;
  /** When fstat last said the file is linked. */
  #checkedAt = 0;

  /**
   * What was mended at the end of the file as it was found (a line cut
   * short, NUL bytes after a crash), in words; `undefined` when it was whole.
   */
  readonly repaired: string | undefined;

  /**
   * `--seal` (lib/seal/sealer.ts): told of each batch once it is all in the
   * file, with the file it is in, before the path may be opened again.
   */
  onWritten?: (
    bytes: Uint8Array,
    file: Deno.FsFile,
    stopping: () => boolean,
  ) => Promise<void>;

  /** The file was made by this object, and nothing has used it yet. */
  #madeUnused: boolean;

  /** Opens `path` for appending, or explains in one line why it cannot. */
  constructor(readonly path: string, readonly program: string) {
    this.#madeUnused = !exists(path);
    this.#file = openLogFile(path);
    this.#warnIfShared();
    this.repaired = repairTornEnd(this.#file);
  }

  /**
   * Says the file is in use: from now on it stays when closed. Until then a
   * file this object made, still empty, is removed when it is closed, so a
   * logger that fails to start (its port is taken) leaves nothing behind.
   */
  keep(): void {
    this.#madeUnused = false;
  }

  /** Says on stderr when anyone may write to the file now open. */
  #warnIfShared(): void {
    const warning = sharedWarning(this.#file, this.path);
    if (warning !== undefined) console.error(`${this.program}: ${warning}`);
  }

  /**
   * Whether {@link flush} has anything to do: lines to write, a reopen, or
   * lines written whose file is due to be looked at (see LINK_CHECK_MS).
   */
  get pending(): boolean {
    return this.#written < this.lines.length || this.#reopenWanted ||
      (this.lines.length > 0 &&
        Date.now() - this.#checkedAt >= LINK_CHECK_MS);
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
   *
   * After a write, fstat tells whether the file is still linked: lines
   * written to a file removed meanwhile (`rm`, or another file moved over
   * it) would be lost, so the path is opened again (a new file) and they are
   * written there; while it cannot be, they are held as above. So the lines
   * are kept until it has looked. It looks at the first flush LINK_CHECK_MS
   * after its last look (the logger flushes at least every 200 ms, idle),
   * or once they reach LINK_CHECK_BYTES, a reopen is asked for, or it is
   * stopping; with `--seal`, after each write, as a batch is sealed at once.
   */
  async flush(stopping: () => boolean): Promise<void> {
    const lines = this.lines;
    let failing = false;
    while (true) {
      try {
        if (this.#removed) this.#openRemoved();
        while (this.#written < lines.length) {
          this.#written += this.#file.writeSync(
            lines.bytes.subarray(this.#written, lines.length),
          );
        }
        if (!this.#linkCheckDue(stopping())) return;
        if (!this.#unlinked()) break;
        this.#removed = true;
        this.#written = 0; // they went with the removed file
      } catch (err) {
        const held = plural(lines.linesFrom(this.#written), "line");
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
    this.#checkedAt = Date.now();
    if (failing) {
      console.error(`${this.program}: writing to '${this.path}' again`);
    }
    if (this.onWritten !== undefined && lines.length > 0) {
      await this.onWritten(
        lines.bytes.subarray(0, lines.length),
        this.#file,
        stopping,
      );
    }
    lines.length = 0;
    this.#written = 0;
    this.#reopenIfWanted();
  }

  /** Whether to look now if the lines written went to a file still linked. */
  #linkCheckDue(stopping: boolean): boolean {
    return stopping || !this.#checkLinks || this.onWritten !== undefined ||
      this.#reopenWanted || this.#removed ||
      this.lines.length >= LINK_CHECK_BYTES ||
      Date.now() - this.#checkedAt >= LINK_CHECK_MS;
  }

  /**
   * Whether the open file was removed (fstat: no link left). Deno's fstat
   * asks for read permission on the path: without it, this cannot tell and
   * says no, as the logger did before it looked.
   */
  #unlinked(): boolean {
    if (!this.#checkLinks) return false;
    try {
      return this.#file.statSync().nlink === 0;
    } catch (err) {
      if (!(err instanceof Deno.errors.NotCapable)) throw err;
      this.#checkLinks = false;
      return false;
    }
  }

  /** The open file was removed: opens its path again, or throws why not. */
  #openRemoved(): void {
    let fresh: Deno.FsFile;
    try {
      fresh = openRegularFile(this.path);
    } catch (err) {
      throw new Error(
        `it was removed while open, and opening its path again failed: ${
          describe(err)
        }`,
      );
    }
    this.#replaceWith(fresh);
    console.error(
      `${this.program}: '${this.path}' was removed or replaced while the logger had it open; writing to the file now at that path`,
    );
  }

  #replaceWith(fresh: Deno.FsFile): void {
    this.#file.close();
    this.#file = fresh;
    this.#removed = false;
    this.#warnIfShared();
  }

  /** Opens the path again if asked to, keeping the old file if that fails. */
  #reopenIfWanted(): void {
    if (!this.#reopenWanted) return;
    this.#reopenWanted = false;
    if (this.#removed) return; // flush opens it again, or says why not
    try {
      this.#replaceWith(openLogFile(this.path));
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
    const remove = this.#madeUnused && this.#empty();
    this.#file.close();
    if (remove) {
      try {
        Deno.removeSync(this.path);
      } catch {
        // Not ours to remove after all: it stays, empty.
      }
    }
  }

  /** Whether the open file is empty; false when Deno may not tell. */
  #empty(): boolean {
    try {
      return this.#file.statSync().size === 0;
    } catch {
      return false;
    }
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
