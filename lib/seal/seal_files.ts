/**
 * Opening the sealer's files, with the errors said in one line: the state
 * (`LOG.seal-key`) and the seal file (`LOG.seal`, opened as the log is:
 * a regular file of this user, appended to, never through a link), and
 * telling files apart by device and inode.
 *
 * @example
 * ```ts
 * import { openSealFile } from "./seal_files.ts";
 * using seal = openSealFile("./log.txt.seal");
 * ```
 *
 * @module
 */

import { describe } from "../base/errors.ts";
import { openRegularFile } from "../log/open_file.ts";
import { keyPath } from "./seal_options.ts";
import { StateFile } from "./state.ts";

/**
 * A file's identity: device and inode.
 *
 * @example
 * ```ts
 * identityOf(Deno.statSync("./log.txt")); // "2049:1234567"
 * ```
 */
export function identityOf(info: Deno.FileInfo): string {
  return `${info.dev}:${info.ino}`;
}

/**
 * Whether anything is at `path`.
 *
 * @example
 * ```ts
 * exists("./log.txt.seal"); // false before the first seal
 * ```
 */
export function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/**
 * Whether the file at `path` is the one open as `file`.
 *
 * @example
 * ```ts
 * sameFile("./log.txt.seal", seal); // false once logrotate moved it
 * ```
 */
export function sameFile(path: string, file: Deno.FsFile): boolean {
  return identityOf(Deno.statSync(path)) === identityOf(file.statSync());
}

/**
 * Opens the sealing state of the log at `file`, or says in one line why it
 * cannot.
 *
 * @example
 * ```ts
 * using state = openState("./log.txt", "logging_basic");
 * ```
 */
export function openState(file: string, program: string): StateFile {
  const path = keyPath(file);
  try {
    return StateFile.open(path, program);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new Error(
        `Cannot seal: there is no sealing key at ${path}; make one with --seal-init (it prints the verification key, once)`,
      );
    }
    throw new Error(`Cannot seal with ${path}: ${describe(err)}`);
  }
}

/**
 * Opens the seal file to append (made with the log's mode), or says in one
 * line why it cannot.
 *
 * @example
 * ```ts
 * using seal = openSealFile("./log.txt.seal");
 * ```
 */
export function openSealFile(path: string): Deno.FsFile {
  try {
    return openRegularFile(path);
  } catch (err) {
    throw new Error(`Cannot open seal file '${path}': ${describe(err)}`);
  }
}
