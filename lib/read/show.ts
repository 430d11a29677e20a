/**
 * Reading the log back: `--show` prints the lines that pass the filters and
 * the time range, `--follow` goes on as the file grows, like
 * `tail -F | grep`, and through logrotate without losing a line (the file,
 * its rotations and its NUL bytes are read by `followed_log.ts`). With
 * `--context N` (`-B`, `-A`) each comes with the lines around it from its
 * host and tag (`show_context.ts`).
 *
 * @example
 * ```ts
 * import { showLog } from "./show.ts";
 * await showLog({ file: "./log.txt", filters, format: "text", follow: false });
 * ```
 *
 * @module
 */

import { describe } from "../base/errors.ts";
import { plural } from "../base/words.ts";
import { fileProblem } from "../log/file_hints.ts";
import { FollowedLog } from "./followed_log.ts";
import { ContextLines, MAX_KEPT_CHARS, MAX_KEYS } from "./show_context.ts";
import type { ContextOptions } from "./read_options.ts";
import {
  dropReason,
  type Filters,
  jsonLine,
  type LogLine,
  parseLogLine,
} from "../log/log_line.ts";

/** Who says the notes on stderr. */
const PROGRAM = "logging_basic";

/** How often `--show --follow` looks for new lines. */
const FOLLOW_INTERVAL_MS = 200;

const encoder = new TextEncoder();

/** What `--show` was asked for. */
export interface ShowOptions {
  file: string;
  filters: Filters;
  /** The time range, in ms since the epoch. */
  since?: number;
  until?: number;
  /** Print lines as they are in the file (`text`) or as JSON Lines. */
  format: "text" | "json";
  /** Keep reading as the file grows. */
  follow: boolean;
  /** Only the last this many matching lines. */
  lines?: number;
  /** Lines before and after each, from its host and tag. */
  context?: ContextOptions;
}

/**
 * Whether the line passes `--show`'s filters and time range: `"untimed"`
 * when it passes the filters but has no time for the range to place it.
 */
function shows(line: LogLine, options: ShowOptions): boolean | "untimed" {
  if (dropReason(line.message, options.filters) !== undefined) return false;
  if (options.since === undefined && options.until === undefined) return true;
  const time = Date.parse(line.received ?? line.message.sent ?? "");
  if (Number.isNaN(time)) return "untimed";
  return (options.since === undefined || time >= options.since) &&
    (options.until === undefined || time <= options.until);
}

/** The line as `--show` prints it: as it is in the file, or as JSON. */
function showLine(text: string, line: LogLine, options: ShowOptions): string {
  return options.format === "json"
    ? jsonLine(line.message, line.received ?? null)
    : text;
}

/**
 * Prints the log's lines that pass the filters; with `--follow`, goes on
 * printing new ones as they are written (until Ctrl-C): when logrotate
 * moves the file, it finishes the old one before the new one; when it
 * truncates it, what it had not read yet comes from the copy. A run of NUL
 * bytes is skipped, with a note on stderr. Rejects with one line when the
 * file cannot be read.
 *
 * While following, SIGHUP does not end it (its default action would, exit
 * 129, when a `pkill -HUP` meant for the logger reaches it too): it looks at
 * the file at once instead.
 */
export async function showLog(options: ShowOptions): Promise<void> {
  using file = openToRead(options.file);
  let stopping = false;
  let wake = () => {};
  const stop = () => {
    stopping = true;
    wake();
  };
  const look = () => wake();
  if (options.follow) {
    Deno.addSignalListener("SIGINT", stop);
    Deno.addSignalListener("SIGHUP", look);
  }
  const printer = new LinePrinter(options);
  try {
    while (!stopping) {
      const text = file.read();
      if (text !== undefined) {
        printer.add(text);
        continue;
      }
      printer.endOfFile();
      if (!options.follow) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, FOLLOW_INTERVAL_MS);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = () => {};
      file.look();
    }
  } catch (err) {
    if (err instanceof Deno.errors.BrokenPipe) return; // e.g. piped into head
    throw new Error(
      `Cannot read log file '${options.file}': ${describe(err)}`,
    );
  } finally {
    if (options.follow) {
      Deno.removeSignalListener("SIGINT", stop);
      Deno.removeSignalListener("SIGHUP", look);
    }
  }
}

/** Opens the log to read it, or says in one line why it cannot. */
function openToRead(path: string): FollowedLog {
  try {
    return new FollowedLog(
      path,
      (text) => console.error(`${PROGRAM}: ${text}`),
    );
  } catch (err) {
    throw new Error(
      `Cannot read log file '${path}': ${fileProblem(err, path, "read")}`,
    );
  }
}

/**
 * Cuts text into lines and prints those `--show` keeps; `--lines N` keeps
 * the last N; with `--context`, ContextLines adds the lines around them.
 */
class LinePrinter {
  #rest = "";
  #last: string[] | undefined;
  /** Lines --since/--until left out for want of a time, said at the end of the file. */
  #untimed = 0;
  readonly #context: ContextLines | undefined;

  constructor(readonly options: ShowOptions) {
    const { context, format, lines } = options;
    this.#context = context && new ContextLines(context, format, lines);
    this.#last = lines !== undefined && !context ? [] : undefined;
  }

  /** Text read from the file: its whole lines are printed or kept. */
  add(text: string): void {
    const parts = (this.#rest + text).split("\n");
    this.#rest = parts.pop()!;
    let output = "";
    for (const part of parts.flatMap(withoutNuls)) {
      const line = parseLogLine(part);
      const passes = shows(line, this.options);
      if (passes === "untimed") this.#untimed++;
      if (this.#context !== undefined) {
        output += this.#context.add(part, line, passes === true);
        continue;
      }
      if (passes !== true) continue;
      const shown = showLine(part, line, this.options);
      if (this.#last === undefined) output += `${shown}\n`;
      else {
        this.#last.push(shown);
        if (this.#last.length > this.options.lines!) this.#last.shift();
      }
    }
    if (output) print(output);
  }

  /** At the end of the file, `--lines N` prints the last N; after that, every line as it comes. */
  endOfFile(): void {
    if (this.#untimed > 0) {
      console.error(
        `logging_basic: left out ${
          plural(this.#untimed, "line")
        } without a time (logged without --timestamps, sent without one), as --since and --until need one`,
      );
      this.#untimed = 0;
    }
    if (this.#context !== undefined) return endOfContext(this.#context);
    if (this.#last === undefined) return;
    if (this.#last.length > 0) print(`${this.#last.join("\n")}\n`);
    this.#last = undefined;
  }
}

/** Prints what --context holds at the end of the file, and says what it forgot. */
function endOfContext(context: ContextLines): void {
  const held = context.endOfFile();
  if (held) print(held);
  if (context.forgotten === 0) return;
  console.error(
    `logging_basic: forgot the lines kept of ${
      plural(context.forgotten, "host and tag pair")
    } seen least recently, to stay within ${MAX_KEYS} pairs and ${
      MAX_KEPT_CHARS >> 20
    } MiB of lines kept: a match of theirs came with fewer lines of context`,
  );
  context.forgotten = 0;
}

/**
 * A line as read, where a run of NUL bytes (one "\0" in the text) ends the
 * part before it: the parts that are not empty.
 */
function withoutNuls(text: string): string[] {
  return text.includes("\0")
    ? text.split("\0").filter((part) => part !== "")
    : [text];
}

/** Writes all of `text` to standard output. */
function print(text: string): void {
  const bytes = encoder.encode(text);
  let done = 0;
  while (done < bytes.length) {
    done += Deno.stdout.writeSync(bytes.subarray(done));
  }
}
