/**
 * What went wrong with a file the logger reads or writes, in one line, and
 * for a missing Deno permission the command that grants it: a `deno run`
 * line a user can paste from any directory (words quoted for the shell), or
 * for a compiled binary the build that makes one for that file.
 *
 * @example
 * ```ts
 * import { fileProblem } from "./file_hints.ts";
 * fileProblem(new Deno.errors.NotCapable("no"), "/var/log/zmq.log", "write");
 * // "Deno was not given write permission for it (...); start the logger as: deno run ..."
 * ```
 *
 * @module
 */

import { describe } from "../base/errors.ts";
import { shellQuote } from "../base/words.ts";
import { LINEAR_ENGINE_FLAG } from "./pattern.ts";

/** The log file the shebang lets the logger write and read. */
export const SHEBANG_LOG_FILE = "./log.txt";

/**
 * How to start the logger by hand, for a hint: `deno run` of the script by
 * its real path (so the command works from any directory).
 */
function loggerScript(): string {
  const url = new URL("../../logging_basic.ts", import.meta.url);
  return url.protocol === "file:"
    ? decodeURIComponent(url.pathname)
    : "logging_basic.ts";
}

/**
 * A `deno run` command that starts the logger with `args`, granting it what
 * its shebang does for ./log.txt, but for the files and host given: a hint
 * the user can paste as it is, from any directory (words are quoted for the
 * shell).
 *
 * @example
 * ```ts
 * loggerRunCommand({ write: ["my log"], read: ["my log"] }, ["--file", "my log"]);
 * // "deno run -q --no-prompt -P=logging_basic --v8-flags=... --allow-write='my log' ..."
 * ```
 */
export function loggerRunCommand(
  grants: { write: string[]; read: string[]; net?: string },
  args: string[],
): string {
  // Deno reads "," as between two paths, and ",," as a comma in one.
  const flag = (name: string, values: string[]) =>
    `--allow-${name}=${
      shellQuote(values.map((value) => value.replaceAll(",", ",,")).join(","))
    }`;
  return [
    "deno run -q --no-prompt -P=logging_basic",
    LINEAR_ENGINE_FLAG,
    // An empty --allow-write= would allow every file: left out instead.
    ...(grants.write.length === 0 ? [] : [flag("write", grants.write)]),
    flag("read", grants.read),
    ...(grants.net === undefined ? [] : [flag("net", [grants.net])]),
    ...[loggerScript(), ...args].map(shellQuote),
  ].join(" ");
}

/** This run's arguments, naming `path` as the log file if they did not. */
function argsFor(path: string): string[] {
  const args = [...Deno.args];
  const named = args.some((arg, i) =>
    arg === path && (args[i - 1] === "--file" || args[i - 1] === "-f") ||
    arg === `--file=${path}`
  );
  return named ? args : [...args, "--file", path];
}

/**
 * What went wrong with the log file, with the remedy for a missing Deno
 * permission: a command that grants it, which works from any directory (for
 * a compiled binary, the build that makes one for that file).
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
    const link = symbolicLink(path);
    if (link !== undefined) {
      return `it is a symbolic link (to ${link}), and the logger reads and writes only a regular file, never through a link: give --file the file itself`;
    }
    if (Deno.build.standalone) {
      return `this binary was not given ${access} permission for it, as it may use only the log file it was built for; build one for it: deno task compile --file ${
        shellQuote(path)
      }`;
    }
    // --show and --stats only read; the logger also writes, and removes
    // its control socket beside the log at exit.
    const reading = Deno.args.some((arg) =>
      arg === "--show" || arg === "--stats"
    );
    return `Deno was not given ${access} permission for it (the shebang allows ${SHEBANG_LOG_FILE} only); start ${
      reading ? "it" : "the logger"
    } as: ${
      loggerRunCommand(
        { write: reading ? [] : [path, `${path}.ctl`], read: [path] },
        argsFor(path),
      )
    }`;
  }
  return describe(err);
}

/** Where the symbolic link at `path` points, or undefined if it is none (or Deno may not look). */
function symbolicLink(path: string): string | undefined {
  try {
    if (!Deno.lstatSync(path).isSymlink) return undefined;
    return JSON.stringify(Deno.readLinkSync(path)).slice(1, -1);
  } catch {
    return undefined;
  }
}
