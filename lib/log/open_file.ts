/**
 * Opening the log safely, for writing and for reading: only a regular file
 * of this user is taken. A symbolic link, FIFO, device, directory or socket
 * at the path is refused; so is a file another user made (in a shared
 * directory they could plant it first). Deno has no O_NOFOLLOW, so
 * {@link openLogFile} creates a missing file with O_EXCL (which never
 * follows a link) and checks an existing one with lstat before opening it
 * and fstat after. A file it creates gets mode 0640 (less with the umask);
 * an existing file keeps its mode.
 *
 * @example
 * ```ts
 * import { openLogFile } from "./open_file.ts";
 * using file = openLogFile("./log.txt");
 * ```
 *
 * @module
 */

import { describe } from "../base/errors.ts";
import { fileProblem } from "./file_hints.ts";

/** The mode of a log file the logger creates (before the umask): no one else may write it. */
export const LOG_FILE_MODE = 0o640;

/** How often the path may change under {@link openLogFile} before it gives up. */
const OPEN_TRIES = 3;

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
export function sharedWarning(
  file: Deno.FsFile,
  path: string,
): string | undefined {
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
