/**
 * The log file: one object owns the open file and the bytes waiting to be
 * written to it, as the standard library's log `FileHandler` does. It opens
 * for appending (never truncating), writes whole lines, opens its path again
 * after logrotate, and holds what it could not write until it can.
 *
 * It writes only to a regular file: a symbolic link, FIFO, device, directory
 * or socket at its path is refused, at start and on every reopen. Deno has no
 * O_NOFOLLOW, so {@link openLogFile} creates a missing file with O_EXCL
 * (which never follows a link) and checks an existing one with lstat before
 * opening it and fstat after. A file it creates gets mode 0640 (less with
 * the umask); an existing file keeps its mode. A file removed while open is
 * noticed after each write, and the path opened again.
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

import { describe, plural } from "../cli/args.ts";
import { fileProblem } from "./file_hints.ts";

/** How often a logger that cannot write tries again. */
const WRITE_RETRY_MS = 1000;

/** The mode of a log file the logger creates (before the umask): no one else may write it. */
export const LOG_FILE_MODE = 0o640;

/** How often the path may change under {@link openLogFile} before it gives up. */
const OPEN_TRIES = 3;

const encoder = new TextEncoder();

/**
 * Opens the log file at `path` for appending, creating it with
 * {@link LOG_FILE_MODE} if it is missing, or explains in one line why it
 * cannot: it must be a regular file, and a symbolic link is never followed.
 *
 * @example
 * ```ts
 * using file = openLogFile("./log.txt");
 * ```
 */
export function openLogFile(path: string): Deno.FsFile {
  try {
    return openRegularFile(path);
  } catch (err) {
    throw new Error(`Cannot open log file '${path}': ${describe(err)}`);
  }
}

/**
 * {@link openLogFile} without the file name in its errors; `rewrite` opens
 * to read and write in place instead of to append. Deno's open has no
 * O_NOFOLLOW, so: a missing file is created with O_EXCL, which fails on
 * anything at the path, a dangling link too; what is there is looked at with
 * lstat, opened, and looked at again with fstat: another file in between
 * (swapped in after the lstat) is closed unwritten, and it starts over.
 */
export function openRegularFile(
  path: string,
  how: "append" | "rewrite" = "append",
): Deno.FsFile {
  const append = how === "append";
  for (let tries = 1;; tries++) {
    try {
      return Deno.openSync(path, {
        append,
        write: !append,
        read: !append,
        createNew: true,
        mode: LOG_FILE_MODE,
      });
    } catch (err) {
      if (!(err instanceof Deno.errors.AlreadyExists)) {
        throw new Error(fileProblem(err, path, "write"));
      }
    }
    const changing = tries < OPEN_TRIES;
    let before: Deno.FileInfo;
    try {
      before = Deno.lstatSync(path);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound && changing) continue;
      throw new Error(fileProblem(err, path, "read"));
    }
    const kind = notRegular(path, before);
    if (kind !== undefined) {
      throw new Error(
        `it is ${kind}; the logger writes only to a regular file`,
      );
    }
    let file: Deno.FsFile;
    try {
      file = append
        ? openExisting(path)
        : Deno.openSync(path, { read: true, write: true });
    } catch (err) {
      if (err instanceof Deno.errors.NotFound && changing) continue;
      throw new Error(fileProblem(err, path, "write"));
    }
    const after = file.statSync();
    if (after.isFile && after.dev === before.dev && after.ino === before.ino) {
      const untrusted = notOurs(after);
      if (untrusted === undefined) return file;
      file.close();
      throw new Error(untrusted);
    }
    file.close();
    if (!changing) {
      throw new Error(
        `it was replaced while being opened, ${OPEN_TRIES} times; the logger writes only to a regular file`,
      );
    }
  }
}

/**
 * Opens the log at `path` to read it (for `--forward`), only when it is a
 * regular file: a symbolic link another user put there is not followed, and
 * a FIFO is not waited on (opened to read only, it would block until a
 * writer came). As {@link openRegularFile}, it looks with lstat, opens, and
 * checks with fstat that it opened what it looked at.
 *
 * @example
 * ```ts
 * using file = openRegularFileToRead("./log.txt");
 * ```
 */
export function openRegularFileToRead(path: string): Deno.FsFile {
  let before: Deno.FileInfo;
  try {
    before = Deno.lstatSync(path);
  } catch (err) {
    throw new Error(fileProblem(err, path, "read"));
  }
  const kind = notRegular(path, before);
  if (kind !== undefined) {
    throw new Error(`it is ${kind}; only a regular file is read`);
  }
  let file: Deno.FsFile;
  try {
    // Read and write where it may (never written): a FIFO swapped in after
    // the lstat then opens at once, and the fstat below refuses it.
    file = Deno.openSync(path, { read: true, write: true });
  } catch {
    try {
      file = Deno.openSync(path, { read: true });
    } catch (err) {
      throw new Error(fileProblem(err, path, "read"));
    }
  }
  const after = file.statSync();
  if (after.isFile && after.dev === before.dev && after.ino === before.ino) {
    return file;
  }
  file.close();
  throw new Error(
    "it was replaced while being opened; only a regular file is read",
  );
}

/**
 * Opens an existing file for appending. Read and write, where it may: a FIFO
 * swapped in after the lstat then opens at once (opened to write only, it
 * would wait for a reader) and is refused by the fstat after.
 */
function openExisting(path: string): Deno.FsFile {
  try {
    return Deno.openSync(path, { read: true, append: true });
  } catch (err) {
    if (!(err instanceof Deno.errors.PermissionDenied)) throw err;
  }
  return Deno.openSync(path, { append: true }); // one it may write, not read
}

/**
 * Why an existing file is not one to write the log to, if it is not: another
 * user made it (in a shared directory they could plant it first, then read,
 * cut or forge the lines), or anyone may write to it.
 */
function notOurs(info: Deno.FileInfo): string | undefined {
  const uid = Deno.uid();
  if (info.uid !== null && info.uid !== uid) {
    return `it belongs to another user (uid ${info.uid}; the logger runs as uid ${uid}), who could change what it holds; the logger writes only to a file of its own: remove it, or give it to this user (chown)`;
  }
  return undefined;
}

/**
 * A warning when anyone may write to the open log file, so could cut or
 * forge its lines. Only a warning: on file systems without Unix modes (vfat,
 * CIFS, Windows drives under WSL) every file shows as 0777, and chmod cannot
 * change that.
 */
function sharedWarning(file: Deno.FsFile, path: string): string | undefined {
  let mode: number | null;
  try {
    mode = file.statSync().mode;
  } catch {
    return undefined; // Deno's fstat needs read permission, which may not be given
  }
  if (mode === null || (mode & 0o002) === 0) return undefined;
  return `warning: anyone may write to ${path} (mode ${
    (mode & 0o777).toString(8).padStart(4, "0")
  }), so could change its lines: chmod o-w it`;
}

/** What the file at `path` is, when it is not a regular file. */
function notRegular(path: string, info: Deno.FileInfo): string | undefined {
  if (info.isFile) return undefined;
  if (info.isSymlink) return `a symbolic link (to ${linkTarget(path)})`;
  if (info.isDirectory) return "a directory";
  if (info.isFifo) return "a FIFO (named pipe)";
  if (info.isSocket) return "a socket";
  if (info.isCharDevice) return "a character device";
  if (info.isBlockDevice) return "a block device";
  return "not a regular file";
}

/** Where the symbolic link at `path` points, in one line (JSON's escapes). */
function linkTarget(path: string): string {
  try {
    return JSON.stringify(Deno.readLinkSync(path)).slice(1, -1);
  } catch {
    return "a target it cannot read";
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

  /** Opens `path` for appending, or explains in one line why it cannot. */
  constructor(readonly path: string, readonly program: string) {
    this.#file = openLogFile(path);
    this.#warnIfShared();
  }

  /** Says on stderr when anyone may write to the file now open. */
  #warnIfShared(): void {
    const warning = sharedWarning(this.#file, this.path);
    if (warning !== undefined) console.error(`${this.program}: ${warning}`);
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
   * After each write, fstat tells whether the file is still linked: lines
   * written to a file removed meanwhile (`rm`, or another file moved over
   * it) would be lost, so the path is opened again (a new file) and they are
   * written there; while it cannot be, they are held as above.
   */
  async flush(stopping: () => boolean): Promise<void> {
    const lines = this.lines;
    let written = 0;
    let failing = false;
    while (written < lines.length) {
      try {
        if (this.#removed) this.#openRemoved();
        written += this.#file.writeSync(
          lines.bytes.subarray(written, lines.length),
        );
        if (written === lines.length && this.#unlinked()) {
          this.#removed = true;
          written = 0; // they went with the removed file
        }
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
    this.#file.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
